package minirouter

import (
	"fmt"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// TestReservedNamespaceOverRawSocket plays the attacks of a client on the
// "wamp." namespace over RawSocket: no registration that could capture a
// "wamp." call, no publication or testament that could forge a meta event;
// the router's procedures answer, and meta topics can still be subscribed.
func TestReservedNamespaceOverRawSocket(t *testing.T) {
	r := newTestRouter(t, Config{})
	addr := serveTCP(t, r)
	watcher := dialSession(t, addr, wamp.JSON)
	watcher.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{"match": "prefix"}, Topic: "wamp.session."})
	expect[*wamp.Subscribed](watcher)
	attacker := dialSession(t, addr, wamp.MsgPack)
	expect[*wamp.Event](watcher) // the attacker's on_join

	req := wamp.ID(0)
	type pattern struct {
		match wamp.MatchPolicy
		uri   wamp.URI
	}
	refused := []pattern{
		{wamp.ExactMatch, "wamp"},
		{wamp.ExactMatch, "wamp.session.forged"},
		{wamp.PrefixMatch, "w"},
		{wamp.PrefixMatch, "wamp"},
		{wamp.PrefixMatch, "wamp."},
		{wamp.PrefixMatch, "wamp.session."},
		{wamp.WildcardMatch, "wamp.."},
		{wamp.WildcardMatch, "..forged"},
		{wamp.WildcardMatch, ".session.count"},
		{wamp.WildcardMatch, "wamp"},
	}
	for _, p := range refused {
		req++
		attacker.send(&wamp.Register{Request: req, Options: wamp.Dict{"match": string(p.match)}, Procedure: p.uri})
		if e := expect[*wamp.ErrorMessage](attacker); e.Error != wamp.ErrInvalidURI.URI {
			t.Errorf("REGISTER %s %q: ERROR %s, want %s", p.match, p.uri, e.Error, wamp.ErrInvalidURI.URI)
		}
	}
	// Patterns next to the namespace are the application's.
	for _, p := range []pattern{{wamp.PrefixMatch, "wampx."}, {wamp.WildcardMatch, "com..forged"}} {
		req++
		attacker.send(&wamp.Register{Request: req, Options: wamp.Dict{"match": string(p.match)}, Procedure: p.uri})
		expect[*wamp.Registered](attacker)
	}

	caller := dialSession(t, addr, wamp.JSON)
	expect[*wamp.Event](watcher) // the caller's on_join
	caller.send(&wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "wamp.session.forged"})
	caller.expectError(wamp.ErrNoSuchProcedure.URI)
	caller.send(&wamp.Call{Request: 2, Options: wamp.Dict{}, Procedure: "wamp.session.count"})
	if n := fmt.Sprint(resultArg(t, expect[*wamp.Result](caller))); n != "3" {
		t.Errorf("wamp.session.count = %s, want 3", n)
	}

	for _, topic := range []wamp.URI{"wamp", "wamp.session.on_join", "wamp.session.on_leave"} {
		req++
		attacker.send(&wamp.Publish{Request: req, Options: wamp.Dict{"acknowledge": true}, Topic: topic})
		attacker.expectError(wamp.ErrInvalidURI.URI)
		req++
		attacker.send(addTestamentCall(req, string(topic), "forged", nil))
		attacker.expectError(wamp.ErrInvalidURI.URI)
	}
	attacker.tr.Close()

	// The watcher sees the attacker's genuine on_leave, and nothing forged.
	ev := expect[*wamp.Event](watcher)
	if topic, _ := ev.Details["topic"].(string); topic != "wamp.session.on_leave" || len(ev.Args) < 2 ||
		fmt.Sprint(ev.Args[0]) != fmt.Sprint(attacker.id) {
		t.Fatalf("after the attacker left: EVENT %v %v, want its on_leave", ev.Details, ev.Args)
	}
	watcher.send(&wamp.Call{Request: 2, Options: wamp.Dict{}, Procedure: "wamp.session.count"})
	expect[*wamp.Result](watcher) // no forged EVENT came first
}
