package minirouter

import (
	"fmt"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// events reads EVENTs up to the one whose first argument is "end" and
// returns them as "arg:topic:retained" strings.
func events(c *testClient) []string {
	c.t.Helper()
	var got []string
	for {
		ev := expect[*wamp.Event](c)
		if len(ev.Args) > 0 && ev.Args[0] == "end" {
			return got
		}
		topic, _ := ev.Details["topic"].(string)
		retained, _ := ev.Details["retained"].(bool)
		got = append(got, fmt.Sprintf("%v:%s:%v", ev.Args[0], topic, retained))
	}
}

func TestEventRetention(t *testing.T) {
	r := newTestRouter(t, Config{})
	pub := joinClient(t, r, allRoles())
	other := joinClient(t, r, allRoles())
	publish := func(topic wamp.URI, arg any, opts wamp.Dict) {
		t.Helper()
		if opts == nil {
			opts = wamp.Dict{}
		}
		opts["acknowledge"] = true
		pub.send(&wamp.Publish{Request: 1, Options: opts, Topic: topic, Payload: wamp.Payload{Args: wamp.List{arg}}})
		expect[*wamp.Published](pub)
	}
	publish("sensor.temp", 20, wamp.Dict{"retain": true})
	publish("sensor.temp", 21, wamp.Dict{"retain": true}) // replaces 20
	publish("sensor.temp", 22, nil)                       // not retained
	publish("sensor.hum", 40, wamp.Dict{"retain": true})
	publish("sensor.secret", 1, wamp.Dict{"retain": true, "eligible": wamp.List{uint64(other.id)}})
	publish("sensor.mine", 2, wamp.Dict{"retain": true}) // exclude_me (default): never back to pub

	tests := []struct {
		name  string
		c     *testClient
		topic wamp.URI
		opts  wamp.Dict
		want  string
	}{
		{"exact", joinClient(t, r, allRoles()), "sensor.temp", wamp.Dict{"get_retained": true}, "[21::true]"},
		{"not asked", joinClient(t, r, allRoles()), "sensor.temp", wamp.Dict{}, "[]"},
		{"none retained", joinClient(t, r, allRoles()), "sensor.none", wamp.Dict{"get_retained": true}, "[]"},
		{"prefix, topic order, not eligible left out", joinClient(t, r, allRoles()), "sensor.", wamp.Dict{"get_retained": true, "match": "prefix"},
			"[40:sensor.hum:true 2:sensor.mine:true 21:sensor.temp:true]"},
		{"eligible", other, "sensor.secret", wamp.Dict{"get_retained": true}, "[1::true]"},
		{"publisher excluded", pub, "sensor.mine", wamp.Dict{"get_retained": true}, "[]"},
	}
	for _, tt := range tests {
		// a marker event on a topic of its own, published after the
		// SUBSCRIBED, ends the retained events
		tt.c.send(&wamp.Subscribe{Request: 8, Options: wamp.Dict{}, Topic: "marker"})
		expect[*wamp.Subscribed](tt.c)
		tt.c.send(&wamp.Subscribe{Request: 7, Options: tt.opts, Topic: tt.topic})
		expect[*wamp.Subscribed](tt.c)
		other := joinClient(t, r, allRoles())
		other.send(&wamp.Publish{Request: 1, Options: wamp.Dict{}, Topic: "marker", Payload: wamp.Payload{Args: wamp.List{"end"}}})
		if got := fmt.Sprint(events(tt.c)); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
	// A live event after the retained one carries no "retained".
	c := joinClient(t, r, allRoles())
	c.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{"get_retained": true}, Topic: "sensor.temp"})
	expect[*wamp.Subscribed](c)
	publish("sensor.temp", "end", nil)
	if got := fmt.Sprint(events(c)); got != "[21::true]" {
		t.Errorf("retained then live: %s", got)
	}
}

func TestEventRetentionBudget(t *testing.T) {
	r := newTestRouter(t, Config{Realms: []RealmConfig{{Name: "realm1", MaxRetained: 2, MaxRetainedBytes: 200}}})
	pub := joinClient(t, r, allRoles())
	for i, topic := range []wamp.URI{"a", "b", "c", "a", "d"} {
		pub.send(&wamp.Publish{Request: wamp.ID(i + 1), Options: wamp.Dict{"retain": true, "acknowledge": true}, Topic: topic, Payload: wamp.Payload{Args: wamp.List{i}}})
		expect[*wamp.Published](pub) // delivered (acknowledged) even when not retained
	}
	big := string(make([]byte, 300))
	pub.send(&wamp.Publish{Request: 9, Options: wamp.Dict{"retain": true, "acknowledge": true}, Topic: "a", Payload: wamp.Payload{Args: wamp.List{big}}})
	expect[*wamp.Published](pub)
	// "c" and "d" found the two topics taken; the big "a" the bytes spent
	if n := r.Stats().RetainRefused; n != 3 {
		t.Errorf("RetainRefused = %d, want 3", n)
	}
	c := joinClient(t, r, allRoles())
	c.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{"get_retained": true, "match": "wildcard"}, Topic: ""})
	c.expectError(wamp.ErrInvalidURI.URI)
	c.send(&wamp.Subscribe{Request: 2, Options: wamp.Dict{"get_retained": true, "match": "prefix"}, Topic: "a"})
	expect[*wamp.Subscribed](c)
	if ev := expect[*wamp.Event](c); ev.Args[0] != int64(3) {
		t.Errorf("retained a = %v, want the last that fitted (3)", ev.Args)
	}
}

func TestGetRetainedMalformed(t *testing.T) {
	r := newTestRouter(t, Config{})
	c := joinClient(t, r, allRoles())
	c.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{"get_retained": "yes"}, Topic: "t"})
	c.expectError(wamp.ErrInvalidArgument.URI)
}
