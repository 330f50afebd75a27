package minirouter

import (
	"fmt"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

func metaCall(c *testClient, req wamp.ID, proc wamp.URI, args ...any) wamp.Message {
	c.t.Helper()
	c.send(&wamp.Call{Request: req, Options: wamp.Dict{}, Procedure: proc, Payload: wamp.Payload{Args: args}})
	m, err := c.recv()
	if err != nil {
		c.t.Fatalf("%s: %v", proc, err)
	}
	return m
}

func resultArg(t *testing.T, m wamp.Message) any {
	t.Helper()
	r, ok := m.(*wamp.Result)
	if !ok || len(r.Args) != 1 {
		t.Fatalf("expected a RESULT with one argument, got %#v", m)
	}
	return r.Args[0]
}

// TestMetaEvents follows a session's life through the meta events: join,
// registration created and joined, subscription created and joined, then
// the session leaves and everything it had goes, in order.
func TestMetaEvents(t *testing.T) {
	r := newTestRouter(t, Config{})
	w := joinClient(t, r, allRoles())
	w.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{"match": "prefix"}, Topic: "wamp."})
	expect[*wamp.Subscribed](w)
	for _, want := range []string{"wamp.subscription.on_create", "wamp.subscription.on_subscribe"} {
		if ev := expect[*wamp.Event](w); ev.Details["topic"] != want { // its own subscription's
			t.Fatalf("first events: %v, want %s", ev.Details["topic"], want)
		}
	}

	d := joinClient(t, r, allRoles())
	d.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "light.set"})
	reg := expect[*wamp.Registered](d).Registration
	d.send(&wamp.Subscribe{Request: 2, Options: wamp.Dict{}, Topic: "cmd"})
	sub := expect[*wamp.Subscribed](d).Subscription
	d.tr.Close()

	var got []string
	for range 9 {
		ev := expect[*wamp.Event](w)
		topic := ev.Details["topic"]
		var args []string
		for _, a := range ev.Args {
			switch v := a.(type) {
			case wamp.Dict:
				args = append(args, fmt.Sprintf("{%v %v}", v["uri"], v["authrole"]))
			case uint64, int64:
				switch fmt.Sprint(v) {
				case fmt.Sprint(uint64(d.id)):
					args = append(args, "D")
				case fmt.Sprint(uint64(reg)):
					args = append(args, "R")
				case fmt.Sprint(uint64(sub)):
					args = append(args, "S")
				default:
					args = append(args, "?")
				}
			default:
				args = append(args, fmt.Sprint(v))
			}
		}
		got = append(got, fmt.Sprintf("%v %v", topic, args))
	}
	want := []string{
		"wamp.session.on_join [{<nil> anonymous}]",
		"wamp.registration.on_create [D {light.set <nil>}]",
		"wamp.registration.on_register [D R]",
		"wamp.subscription.on_create [D {cmd <nil>}]",
		"wamp.subscription.on_subscribe [D S]",
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("event %d: %s, want %s", i, got[i], w)
		}
	}
	// On leaving, subscriptions and registrations go in either order, then on_leave.
	rest := fmt.Sprint(got[5:])
	for _, w := range []string{"wamp.subscription.on_unsubscribe [D S]", "wamp.subscription.on_delete [D S]",
		"wamp.registration.on_unregister [D R]", "wamp.registration.on_delete [D R]"} {
		if !contains(got[5:], w) {
			t.Errorf("missing %s in %s", w, rest)
		}
	}
	if ev := expect[*wamp.Event](w); ev.Details["topic"] != "wamp.session.on_leave" || len(ev.Args) != 3 {
		t.Errorf("last event %v %v, want wamp.session.on_leave with 3 arguments", ev.Details["topic"], ev.Args)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestMetaProcedures(t *testing.T) {
	r := newTestRouter(t, Config{})
	c := joinClient(t, r, allRoles())
	d := joinClient(t, r, allRoles())
	d.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "light.set"})
	reg := expect[*wamp.Registered](d).Registration
	d.send(&wamp.Register{Request: 2, Options: wamp.Dict{"match": "prefix"}, Procedure: "agent."})
	preg := expect[*wamp.Registered](d).Registration
	d.send(&wamp.Subscribe{Request: 3, Options: wamp.Dict{}, Topic: "cmd"})
	sub := expect[*wamp.Subscribed](d).Subscription
	c.send(&wamp.Subscribe{Request: 4, Options: wamp.Dict{"match": "wildcard"}, Topic: "c.."})
	expect[*wamp.Subscribed](c)

	id := func(i wamp.ID) string { return fmt.Sprint(uint64(i)) }
	tests := []struct {
		proc wamp.URI
		args []any
		want string // fmt of the result argument, or the error URI
	}{
		{"wamp.session.count", nil, "2"},
		{"wamp.session.count", []any{wamp.List{"nobody"}}, "0"},
		{"wamp.session.list", nil, fmt.Sprint(sortedIDs(c.id, d.id))},
		{"wamp.session.get", []any{uint64(d.id)}, "anonymous"},
		{"wamp.session.get", []any{uint64(12345)}, "wamp.error.no_such_session"},
		{"wamp.session.count", []any{"x"}, "wamp.error.invalid_argument"},
		{"wamp.registration.list", nil, fmt.Sprintf("map[exact:[%s] prefix:[%s] wildcard:[]]", id(reg), id(preg))},
		{"wamp.registration.lookup", []any{"light.set"}, id(reg)},
		{"wamp.registration.lookup", []any{"agent.", wamp.Dict{"match": "prefix"}}, id(preg)},
		{"wamp.registration.lookup", []any{"agent."}, "<nil>"},
		{"wamp.registration.match", []any{"agent.status"}, id(preg)},
		{"wamp.registration.match", []any{"none"}, "<nil>"},
		{"wamp.registration.get", []any{uint64(reg)}, "light.set exact single"},
		{"wamp.registration.get", []any{uint64(99)}, "wamp.error.no_such_registration"},
		{"wamp.registration.list_callees", []any{uint64(reg)}, fmt.Sprintf("[%d]", uint64(d.id))},
		{"wamp.registration.count_callees", []any{uint64(reg)}, "1"},
		{"wamp.subscription.lookup", []any{"cmd"}, id(sub)},
		{"wamp.subscription.match", []any{"cmd"}, fmt.Sprintf("[%s]", id(sub))},
		{"wamp.subscription.match", []any{"c.x.y"}, "[" + fmt.Sprint(subIDFor(t, r, "c..")) + "]"},
		{"wamp.subscription.match", []any{"nothing"}, "<nil>"},
		{"wamp.subscription.get", []any{uint64(sub)}, "cmd exact"},
		{"wamp.subscription.list_subscribers", []any{uint64(sub)}, fmt.Sprintf("[%d]", uint64(d.id))},
		{"wamp.subscription.count_subscribers", []any{uint64(sub)}, "1"},
		{"wamp.subscription.get", []any{"x"}, "wamp.error.invalid_argument"},
		{"wamp.subscription.count_subscribers", []any{uint64(7)}, "wamp.error.no_such_subscription"},
	}
	for i, tt := range tests {
		m := metaCall(c, wamp.ID(10+i), tt.proc, tt.args...)
		var got string
		switch m := m.(type) {
		case *wamp.ErrorMessage:
			got = string(m.Error)
		case *wamp.Result:
			v := resultArg(t, m)
			switch d := v.(type) {
			case wamp.Dict:
				if d["authrole"] != nil {
					got = fmt.Sprint(d["authrole"])
				} else if d["invoke"] != nil {
					got = fmt.Sprint(d["uri"], " ", d["match"], " ", d["invoke"])
				} else if d["uri"] != nil {
					got = fmt.Sprint(d["uri"], " ", d["match"])
				} else {
					got = fmt.Sprint(d)
				}
			default:
				got = fmt.Sprint(v)
			}
		}
		if got != tt.want {
			t.Errorf("%s%v = %s, want %s", tt.proc, tt.args, got, tt.want)
		}
	}
}

func sortedIDs(a, b wamp.ID) []uint64 {
	if a > b {
		a, b = b, a
	}
	return []uint64{uint64(a), uint64(b)}
}

func subIDFor(t *testing.T, r *Router, topic wamp.URI) uint64 {
	rl := r.realms["realm1"]
	rl.mu.Lock()
	defer rl.mu.Unlock()
	sub, ok := rl.subs.get(topic, wamp.WildcardMatch)
	if !ok {
		t.Fatalf("no subscription %s", topic)
	}
	return uint64(sub.id)
}

func TestReservedURIs(t *testing.T) {
	r := newTestRouter(t, Config{})
	c := joinClient(t, r, allRoles())
	c.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "wamp.session.count"})
	c.expectError(wamp.ErrInvalidURI.URI)
	c.send(&wamp.Publish{Request: 2, Options: wamp.Dict{"acknowledge": true}, Topic: "wamp.session.on_join"})
	c.expectError(wamp.ErrInvalidURI.URI)
}
