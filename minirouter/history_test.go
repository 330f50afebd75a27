package minirouter

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// getEvents calls wamp.subscription.get_events and returns the events as
// "arg:topic" strings, or the ERROR's URI.
func getEvents(c *testClient, sub wamp.ID, limit any, kw wamp.Dict) string {
	c.t.Helper()
	args := wamp.List{uint64(sub)}
	if limit != nil {
		args = append(args, limit)
	}
	c.send(&wamp.Call{Request: 90, Options: wamp.Dict{}, Procedure: "wamp.subscription.get_events",
		Payload: wamp.Payload{Args: args, Kwargs: kw}})
	m, err := c.recv()
	if err != nil {
		c.t.Fatalf("get_events: %v", err)
	}
	switch m := m.(type) {
	case *wamp.ErrorMessage:
		return string(m.Error)
	case *wamp.Result:
		var got []string
		for _, it := range m.Args {
			ev := it.(wamp.Dict)
			d := ev["details"].(wamp.Dict)
			args, _ := ev["args"].(wamp.List)
			if id, _ := wamp.ToID(ev["subscription"]); id != sub || ev["timestamp"] == nil || ev["publication"] == nil {
				c.t.Errorf("event %v", ev)
			}
			topic, _ := d["topic"].(string)
			got = append(got, fmt.Sprintf("%v:%s", args[0], topic))
		}
		return strings.Join(got, " ")
	}
	c.t.Fatalf("get_events answered %#v", m)
	return ""
}

func subscribeTo(c *testClient, topic wamp.URI, match wamp.MatchPolicy) wamp.ID {
	c.t.Helper()
	c.send(&wamp.Subscribe{Request: 5, Options: wamp.Dict{"match": string(match)}, Topic: topic})
	return expect[*wamp.Subscribed](c).Subscription
}

func publishAck(c *testClient, topic wamp.URI, arg any, opts wamp.Dict) wamp.ID {
	c.t.Helper()
	if opts == nil {
		opts = wamp.Dict{}
	}
	opts["acknowledge"] = true
	c.send(&wamp.Publish{Request: 1, Options: opts, Topic: topic, Payload: wamp.Payload{Args: wamp.List{arg}}})
	return expect[*wamp.Published](c).Publication
}

func historyRealm(rules ...HistoryRule) RealmConfig {
	return RealmConfig{Name: "realm1", History: rules}
}

func TestEventHistory(t *testing.T) {
	r := newTestRouter(t, Config{Realms: []RealmConfig{historyRealm(
		HistoryRule{Topic: "sensor.temp", Limit: 3},
		HistoryRule{Topic: "sensor.", Match: wamp.PrefixMatch},
		HistoryRule{Topic: "log..error", Match: wamp.WildcardMatch, MaxAge: time.Hour},
	)}})
	pub := joinClient(t, r, allRoles())
	// published before anyone subscribed: kept all the same
	var pubs []wamp.ID
	for i := range 5 {
		pubs = append(pubs, publishAck(pub, "sensor.temp", i, nil))
	}
	publishAck(pub, "sensor.hum", 40, nil)
	publishAck(pub, "other.topic", 99, nil) // no rule
	publishAck(pub, "log.a.error", "e1", nil)
	publishAck(pub, "log.a.info", "i1", nil)                                                // no rule
	publishAck(pub, "sensor.secret", "s", wamp.Dict{"eligible": wamp.List{uint64(pub.id)}}) // by session: never kept
	publishAck(pub, "sensor.admin", "a", wamp.Dict{"eligible_authrole": wamp.List{"admin"}})

	c := joinClient(t, r, allRoles())
	temp := subscribeTo(c, "sensor.temp", wamp.ExactMatch)
	all := subscribeTo(c, "sensor.", wamp.PrefixMatch)
	logs := subscribeTo(c, "log..error", wamp.WildcardMatch)
	tests := []struct {
		name  string
		sub   wamp.ID
		limit any
		kw    wamp.Dict
		want  string
	}{
		{"exact: the rule's last 3", temp, nil, nil, "2: 3: 4:"},
		{"positional limit", temp, 2, nil, "2: 3:"},
		{"kwargs limit wins", temp, 2, wamp.Dict{"limit": 1}, "2:"},
		{"reverse", temp, nil, wamp.Dict{"reverse": true, "limit": 2}, "4: 3:"},
		{"after_publication", temp, nil, wamp.Dict{"after_publication": uint64(pubs[3])}, "4:"},
		{"after an evicted publication: all", temp, nil, wamp.Dict{"after_publication": uint64(pubs[0])}, "2: 3: 4:"},
		{"before_publication", temp, nil, wamp.Dict{"before_publication": uint64(pubs[3])}, "2:"},
		{"until_publication", temp, nil, wamp.Dict{"until_publication": uint64(pubs[3])}, "2: 3:"},
		{"from_publication", temp, nil, wamp.Dict{"from_publication": uint64(pubs[3])}, "3: 4:"},
		{"prefix: every rule's events, in order", all, nil, nil, "2:sensor.temp 3:sensor.temp 4:sensor.temp 40:sensor.hum"},
		{"topic", all, nil, wamp.Dict{"topic": "sensor.hum"}, "40:sensor.hum"},
		{"wildcard", logs, nil, nil, "e1:log.a.error"},
		{"from_time future", temp, nil, wamp.Dict{"from_time": time.Now().Add(time.Hour).Format(time.RFC3339)}, ""},
		{"before_time future", temp, nil, wamp.Dict{"before_time": time.Now().Add(time.Hour).Format(time.RFC3339)}, "2: 3: 4:"},
		{"bad limit", temp, -1, nil, string(wamp.ErrInvalidArgument.URI)},
		{"bad time", temp, nil, wamp.Dict{"after_time": "yesterday"}, string(wamp.ErrInvalidArgument.URI)},
		{"bad publication", temp, nil, wamp.Dict{"after_publication": "x"}, string(wamp.ErrInvalidArgument.URI)},
		{"no such subscription", 12345, nil, nil, string(wamp.ErrNoSuchSubscription.URI)},
	}
	for _, tt := range tests {
		if got := getEvents(c, tt.sub, tt.limit, tt.kw); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	// live delivery is unchanged
	publishAck(pub, "sensor.temp", 5, nil)
	if ev := expect[*wamp.Event](c); ev.Args[0] != int64(5) && ev.Args[0] != uint64(5) {
		t.Errorf("live EVENT %v", ev.Args)
	}
}

func TestEventHistoryBudget(t *testing.T) {
	r := newTestRouter(t, Config{Realms: []RealmConfig{{Name: "realm1", MaxHistoryBytes: 300,
		History: []HistoryRule{{Topic: "a"}, {Topic: "b"}}}}})
	pub := joinClient(t, r, allRoles())
	publishAck(pub, "a", strings.Repeat("x", 1000), nil) // larger than the budget: refused
	for i := range 10 {
		publishAck(pub, wamp.URI([]string{"a", "b"}[i%2]), strings.Repeat("y", 40)+fmt.Sprint(i), nil)
	}
	st := r.HistoryStats("realm1")
	if st.Refused != 1 || st.Evicted == 0 || st.Bytes > 300 || st.Events == 0 {
		t.Fatalf("stats %+v", st)
	}
	c := joinClient(t, r, allRoles())
	a := subscribeTo(c, "a", wamp.ExactMatch)
	got := getEvents(c, a, nil, nil)
	if !strings.HasSuffix(got, "8:") || strings.Contains(got, "y0:") {
		t.Errorf("oldest should go first: %q", got)
	}
}

func TestEventHistoryAuthorization(t *testing.T) {
	r := newTestRouter(t, Config{Realms: []RealmConfig{{Name: "site",
		History: []HistoryRule{{Topic: "plant.", Match: wamp.PrefixMatch}},
		Users: []User{
			{AuthID: "ops", AuthRole: "admin", Ticket: "a"},
			{AuthID: "dev", AuthRole: "device", Ticket: "d"},
			{AuthID: "guest", AuthRole: "guest", Ticket: "g"},
		},
		Permissions: []Permission{
			{Role: "guest", URI: "wamp.subscription.get_events", Actions: []string{ActionCall}, Deny: true},
			{Role: "*", URI: "wamp.subscription.get_events", Actions: []string{ActionCall}},
			{Role: "admin", URI: "plant.", Match: wamp.PrefixMatch, Actions: []string{ActionSubscribe, ActionPublish}},
			{Role: "device", URI: "plant.line1", Actions: []string{ActionSubscribe}},
			{Role: "guest", URI: "plant.line1", Actions: []string{ActionSubscribe}},
		}}}})
	ops := joinTicket(t, r, "site", "ops", "a")
	publishAck(ops, "plant.line1", "public", nil)
	publishAck(ops, "plant.line1", "admins only", wamp.Dict{"eligible_authrole": wamp.List{"admin"}})
	publishAck(ops, "plant.line2", "line2", nil)
	dev := joinTicket(t, r, "site", "dev", "d")
	sub := subscribeTo(dev, "plant.line1", wamp.ExactMatch)
	all := subscribeTo(ops, "plant.", wamp.PrefixMatch)
	guest := joinTicket(t, r, "site", "guest", "g")
	tests := []struct {
		name string
		c    *testClient
		sub  wamp.ID
		want string
	}{
		{"the publication's filters apply", dev, sub, "public:"},
		{"admin sees all", ops, sub, "public: admins only:"},
		{"not allowed to subscribe to the subscription's topic", dev, all, string(wamp.ErrNotAuthorized.URI)},
		{"not allowed to call get_events", guest, sub, string(wamp.ErrNotAuthorized.URI)},
		{"prefix", ops, all, "public:plant.line1 admins only:plant.line1 line2:plant.line2"},
	}
	for _, tt := range tests {
		if got := getEvents(tt.c, tt.sub, nil, nil); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestEventHistoryFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "history")
	rc := RealmConfig{Name: "realm1", HistoryFile: file, History: []HistoryRule{{Topic: "t", Limit: 2}}}
	r := newTestRouter(t, Config{Realms: []RealmConfig{rc}})
	pub := joinClient(t, r, allRoles())
	for i := range 3 {
		publishAck(pub, "t", i, wamp.Dict{"exclude_authrole": wamp.List{"nobody"}})
	}
	r.Close() // writes the file
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left: %v", err)
	}
	r2 := newTestRouter(t, Config{Realms: []RealmConfig{rc}})
	c := joinClient(t, r2, allRoles())
	if got := getEvents(c, subscribeTo(c, "t", wamp.ExactMatch), nil, nil); got != "1: 2:" {
		t.Errorf("after restart: %q", got)
	}
	r2.Close()
	// A damaged tail keeps what comes before it.
	if err := os.WriteFile(file, append(b[:len(b)-3:len(b)-3], 0xff), 0o600); err != nil {
		t.Fatal(err)
	}
	r3 := newTestRouter(t, Config{Realms: []RealmConfig{rc}})
	c = joinClient(t, r3, allRoles())
	if got := getEvents(c, subscribeTo(c, "t", wamp.ExactMatch), nil, nil); got != "1:" {
		t.Errorf("damaged: %q", got)
	}
	if st := r3.HistoryStats("realm1"); st.FileErrors != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestHistoryConfigErrors(t *testing.T) {
	for _, rc := range []RealmConfig{
		{Name: "r", History: []HistoryRule{{Topic: "a..b"}}},
		{Name: "r", History: []HistoryRule{{Topic: "a", Limit: -1}}},
		{Name: "r", HistoryFile: "x"},
	} {
		if _, err := New(Config{Realms: []RealmConfig{rc}}); err == nil {
			t.Errorf("%+v accepted", rc)
		}
	}
}

func FuzzDecodeHistory(f *testing.F) {
	b, _ := encodeHistory([]*storedEvent{{at: time.Unix(1, 0), topic: "a.b", pub: 7, details: wamp.Dict{"x": 1},
		payload: wamp.Payload{Args: wamp.List{1, "two"}}, filter: publishFilter{eligibleAuthRole: []string{"r"}}}})
	f.Add(b)
	f.Add(historyMagic)
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, _ := decodeHistory(b)
		for _, ev := range evs {
			if !wamp.ValidURI(ev.topic, false, false) {
				t.Fatalf("invalid topic %q", ev.topic)
			}
		}
	})
}
