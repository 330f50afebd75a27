package minirouter

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// sessionInfo returns the Sessions entry of id.
func sessionInfo(t *testing.T, r *Router, id wamp.ID) SessionInfo {
	t.Helper()
	for _, s := range r.Sessions() {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("session %d not in Sessions()", id)
	return SessionInfo{}
}

// sessionInfoOut returns the Sessions entry of id once it counts out
// messages sent (the writer counts a message after writing it, when its
// receiver may have it already), or after stepTimeout.
func sessionInfoOut(t *testing.T, r *Router, id wamp.ID, out uint64) SessionInfo {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		info := sessionInfo(t, r, id)
		if info.MessagesOut >= out || time.Now().After(deadline) {
			return info
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSessionInfoTransportAndSince: a session shows the transport its
// attacher named (inproc for Connect, none without a name) and when it
// joined.
func TestSessionInfoTransportAndSince(t *testing.T) {
	r := newTestRouter(t, Config{})
	before := time.Now()
	tests := []struct {
		name, want string
		connect    func() wamp.Transport
	}{
		{"Connect", TransportInProcess, func() wamp.Transport {
			tr, err := r.Connect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return tr
		}},
		{"Attach named", "rs", func() wamp.Transport {
			a, b := peer.Pipe(wamp.JSON, 0)
			r.Attach(WithTransport(context.Background(), "rs"), b, nil)
			return a
		}},
		{"Attach unnamed", "", func() wamp.Transport {
			a, b := peer.Pipe(wamp.JSON, 0)
			r.Attach(context.Background(), b, nil)
			return a
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := tt.connect()
			t.Cleanup(func() { tr.Close() })
			c := &testClient{t: t, tr: tr}
			c.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
			id := expect[*wamp.Welcome](c).Session
			info := sessionInfoOut(t, r, id, 1)
			if info.Transport != tt.want {
				t.Errorf("Transport = %q, want %q", info.Transport, tt.want)
			}
			if info.Since.Before(before) || info.Since.After(time.Now()) {
				t.Errorf("Since = %v, want between %v and now", info.Since, before)
			}
			if info.MessagesIn != 1 || info.MessagesOut != 1 { // HELLO, WELCOME
				t.Errorf("messages in/out = %d/%d, want 1/1", info.MessagesIn, info.MessagesOut)
			}
		})
	}
}

// TestSessionInfoTopicsAndMessages: a session lists the first
// MaxTopicsListed distinct topics it published to, in order, and counts
// its publications to others; refused publications are left out; its
// messages in and out are counted.
func TestSessionInfoTopicsAndMessages(t *testing.T) {
	r := newTestRouter(t, Config{Realms: []RealmConfig{{Name: "realm1", Permissions: []Permission{
		{Role: "*", URI: "secret", Actions: []string{ActionPublish}, Deny: true},
		{Role: "*", URI: "", Match: wamp.PrefixMatch, Actions: []string{ActionPublish, ActionSubscribe, ActionCall, ActionRegister}},
	}}}})
	c := joinClient(t, r, allRoles())
	var want []string
	req := wamp.ID(0)
	publish := func(topic string) {
		req++
		c.send(&wamp.Publish{Request: req, Options: wamp.Dict{"acknowledge": true}, Topic: wamp.URI(topic)})
	}
	for i := range MaxTopicsListed + 2 {
		topic := fmt.Sprintf("sensor.t%02d", i)
		publish(topic)
		expect[*wamp.Published](c)
		if i < MaxTopicsListed {
			want = append(want, topic)
		}
	}
	publish("sensor.t00") // listed already
	expect[*wamp.Published](c)
	publish("secret") // refused: not listed, not counted
	c.expectError(wamp.ErrNotAuthorized.URI)
	publish("wamp.session.forged") // refused: reserved
	c.expectError(wamp.ErrInvalidURI.URI)

	n := uint64(MaxTopicsListed + 2 + 3)
	info := sessionInfoOut(t, r, c.id, 1+n)
	if !slices.Equal(info.Topics, want) {
		t.Errorf("Topics = %v, want %v", info.Topics, want)
	}
	if info.OtherTopicPublications != 2 {
		t.Errorf("OtherTopicPublications = %d, want 2", info.OtherTopicPublications)
	}
	if info.MessagesIn != 1+n || info.MessagesOut != 1+n {
		t.Errorf("messages in/out = %d/%d, want %d/%d", info.MessagesIn, info.MessagesOut, 1+n, 1+n)
	}
	info.Topics[0] = "changed" // a snapshot: the router's list stays
	if got := sessionInfo(t, r, c.id).Topics[0]; got != "sensor.t00" {
		t.Errorf("Topics[0] after changing a snapshot = %q", got)
	}
}

// TestAllowed: Router.Allowed answers as the realm's permissions decide a
// session's requests, and refuses an unknown realm or action.
func TestAllowed(t *testing.T) {
	r := newTestRouter(t, Config{Realms: []RealmConfig{
		{Name: "site", Permissions: []Permission{
			{Role: "viewer", URI: "light.get", Actions: []string{ActionCall}},
			{Role: "operator", URI: "light.", Match: wamp.PrefixMatch, Actions: []string{ActionCall}},
			{Role: "*", URI: "dev.{authid}.", Match: wamp.PrefixMatch, Actions: []string{ActionPublish}},
		}},
		{Name: "open"},
	}})
	tests := []struct {
		realm                wamp.URI
		authid, role, action string
		uri                  wamp.URI
		want                 bool
		wantErr              bool
	}{
		{"site", "v", "viewer", ActionCall, "light.get", true, false},
		{"site", "v", "viewer", ActionCall, "light.set", false, false},
		{"site", "o", "operator", ActionCall, "light.set", true, false},
		{"site", "o", "operator", ActionRegister, "light.set", false, false},
		{"site", "d1", "device", ActionPublish, "dev.d1.temp", true, false},
		{"site", "d1", "device", ActionPublish, "dev.d2.temp", false, false},
		{"open", "anyone", "anonymous", ActionSubscribe, "x", true, false},
		{"nowhere", "v", "viewer", ActionCall, "light.get", false, true},
		{"site", "v", "viewer", "delete", "light.get", false, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s %s %s", tt.realm, tt.role, tt.action, tt.uri), func(t *testing.T) {
			got, err := r.Allowed(tt.realm, tt.authid, tt.role, tt.action, tt.uri)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("Allowed = %v, %v; want %v (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
	if st := r.Stats(); st.AuthorizationDenials != 0 {
		t.Errorf("AuthorizationDenials = %d, want 0: Allowed counts nothing", st.AuthorizationDenials)
	}
}

// BenchmarkPublishedTopic is the routing path's cost of noting a topic
// already listed.
func BenchmarkPublishedTopic(b *testing.B) {
	var m sessionMeta
	for i := range MaxTopicsListed {
		m.published(wamp.URI(fmt.Sprintf("sensor.t%02d", i)))
	}
	b.ReportAllocs()
	for b.Loop() {
		m.published("sensor.t17")
	}
}
