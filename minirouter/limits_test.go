package minirouter

import (
	"fmt"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

func TestSessionLimits(t *testing.T) {
	r := newTestRouter(t, Config{MaxSubscriptions: 2, MaxRegistrations: 1,
		Realms: []RealmConfig{{Name: "realm1", MaxSessions: 2}}})
	c := joinClient(t, r, allRoles())
	for i, topic := range []string{"a", "b", "a"} { // the same subscription again is no new one
		c.send(&wamp.Subscribe{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Topic: wamp.URI(topic)})
		expect[*wamp.Subscribed](c)
	}
	c.send(&wamp.Subscribe{Request: 9, Options: wamp.Dict{}, Topic: "c"})
	if e := c.expectError(wamp.ErrUnavailable.URI); fmt.Sprint(e.Args) != "[limit: 2 subscriptions per session]" {
		t.Errorf("SUBSCRIBE over the limit: %v", e.Args)
	}
	c.send(&wamp.Register{Request: 10, Options: wamp.Dict{}, Procedure: "p"})
	expect[*wamp.Registered](c)
	c.send(&wamp.Register{Request: 11, Options: wamp.Dict{}, Procedure: "q"})
	c.expectError(wamp.ErrUnavailable.URI)

	joinClient(t, r, allRoles()) // the realm's second session
	tr, err := r.Connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	third := &testClient{t: t, tr: tr}
	third.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
	if a := expect[*wamp.Abort](third); a.Reason != wamp.ErrUnavailable.URI {
		t.Errorf("third session: ABORT %s", a.Reason)
	}
	if n := r.Stats().LimitRefusals; n != 3 {
		t.Errorf("LimitRefusals = %d, want 3", n)
	}
	// a place freed by a session that leaves is taken again (once the
	// router has removed it, just after its GOODBYE)
	c.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal.URI})
	expect[*wamp.Goodbye](c)
	deadline := time.Now().Add(5 * time.Second)
	for {
		tr, err := r.Connect(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		next := &testClient{t: t, tr: tr}
		next.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
		m, err := next.recv()
		tr.Close()
		if _, ok := m.(*wamp.Welcome); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no place after a session left: %v %v", m, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
