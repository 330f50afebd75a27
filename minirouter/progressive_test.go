package minirouter

import (
	"context"
	"strings"
	"testing"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// helloStream announces progressive call invocations (and call canceling,
// which a callee needs for them) as caller and callee.
const helloStream = `[1,"realm1",{"roles":{"callee":{"features":{"call_canceling":true,"progressive_call_invocations":true,"progressive_call_results":true}},"caller":{"features":{"call_canceling":true,"progressive_call_invocations":true,"progressive_call_results":true}}}}]`

func TestProgressiveCallInvocations(t *testing.T) {
	// a: caller, b: callee (both streaming), c: a callee without the feature.
	const join = `
		a> ` + helloStream + `
		a< [2,$sa,*]
		b> ` + helloStream + `
		b< [2,$sb,*]
		b> [64,1,{},"fw.write"]
		b< [65,1,$reg]
		c> ` + helloFull + `
		c< [2,$sc,*]
		c> [64,1,{},"old.write"]
		c< [65,1,$old]`
	tests := []struct{ name, script string }{
		{"chunks in order to one invocation", `
			a> [48,7,{"progress":true},"fw.write",["c1"]]
			b< [68,$inv,$reg,{"progress":true},["c1"]]
			a> [48,7,{"progress":true},"fw.write",["c2"]]
			b< [68,$inv,$reg,{"progress":true},["c2"]]
			a> [48,7,{},"fw.write",["c3"]]
			b< [68,$inv,$reg,{},["c3"]]
			b> [70,$inv,{},[3]]
			a< [50,7,{},[3]]
			# the request ID is free again
			a> [48,7,{},"fw.write",["again"]]
			b< [68,$inv2,$reg,{},["again"]]`},
		{"options frozen at the first call", `
			a> [48,8,{"disclose_me":true,"progress":true,"receive_progress":true},"fw.write",[1]]
			b< [68,$inv,$reg,{"caller":$sa,"caller_authid":*,"caller_authrole":*,"progress":true,"receive_progress":true},[1]]
			b> [70,$inv,{"progress":true},["ack1"]]
			a< [50,8,{"progress":true},["ack1"]]
			a> [48,8,{"progress":false,"disclose_me":false,"timeout":"junk"},"other.uri",[2]]
			b< [68,$inv,$reg,{"caller":$sa,"caller_authid":*,"caller_authrole":*,"receive_progress":true},[2]]
			b> [70,$inv,{},["done"]]
			a< [50,8,{},["done"]]`},
		{"callee without the feature", `
			a> [48,9,{"progress":true},"old.write",[1]]
			a< [8,48,9,{},"wamp.error.feature_not_supported",*]
			a> [48,10,{"progress":true},"wamp.session.count"]
			a< [8,48,10,{},"wamp.error.feature_not_supported",*]`},
		{"callee answers early: later chunks dropped", `
			a> [48,5,{"progress":true},"fw.write",[1]]
			b< [68,$inv,$reg,{"progress":true},[1]]
			b> [8,68,$inv,{},"app.error.bad_image"]
			a< [8,48,5,{},"app.error.bad_image"]
			a> [48,5,{"progress":true},"fw.write",[2]]
			a> [48,5,{},"fw.write",[3]]
			# dropped: the next call is the first thing b sees
			a> [48,6,{},"fw.write",["next"]]
			b< [68,$inv2,$reg,{},["next"]]
			# the last CALL forgot the ended stream: ID 5 is a new call again
			a> [48,5,{},"fw.write",["new"]]
			b< [68,$inv3,$reg,{},["new"]]`},
		{"cancel mid-stream", `
			a> [48,5,{"progress":true},"fw.write",[1]]
			b< [68,$inv,$reg,{"progress":true},[1]]
			a> [49,5,{"mode":"killnowait"}]
			b< [69,$inv,{"mode":"killnowait","reason":"wamp.error.canceled"}]
			a< [8,48,5,{},"wamp.error.canceled",*]
			a> [48,5,{"progress":true},"fw.write",[2]]
			a> [48,6,{},"fw.write",["next"]]
			b< [68,$inv2,$reg,{},["next"]]`},
		{"cancel kill mid-stream: chunks dropped while the callee answers", `
			a> [48,5,{"progress":true},"fw.write",[1]]
			b< [68,$inv,$reg,{"progress":true},[1]]
			a> [49,5,{"mode":"kill"}]
			b< [69,$inv,{"mode":"kill","reason":"wamp.error.canceled"}]
			a> [48,5,{"progress":true},"fw.write",[2]]
			b> [8,68,$inv,{},"wamp.error.canceled"]
			a< [8,48,5,{},"wamp.error.canceled"]
			a> [48,6,{},"fw.write",["next"]]
			b< [68,$inv2,$reg,{},["next"]]`},
		{"timeout mid-stream", `
			a> [48,5,{"progress":true,"timeout":50},"fw.write",[1]]
			b< [68,$inv,$reg,{"progress":true},[1]]
			b< [69,$inv,{"mode":"killnowait","reason":"wamp.error.timeout"}]
			a< [8,48,5,{},"wamp.error.timeout",*]
			a> [48,5,{},"fw.write",[2]]
			a> [48,6,{},"fw.write",["next"]]
			b< [68,$inv2,$reg,{},["next"]]`},
		{"caller leaves mid-stream", `
			a> [48,5,{"progress":true},"fw.write",[1]]
			b< [68,$inv,$reg,{"progress":true},[1]]
			a: close
			b< [69,$inv,{"mode":"killnowait","reason":"wamp.error.canceled"}]`},
		{"callee leaves mid-stream", `
			a> [48,5,{"progress":true},"fw.write",[1]]
			b< [68,$inv,$reg,{"progress":true},[1]]
			b: close
			a< [8,48,5,{},"wamp.error.canceled",*]
			a> [48,5,{"progress":true},"fw.write",[2]]
			a> [48,6,{},"fw.write"]
			a< [8,48,6,{},"wamp.error.no_such_procedure"]`},
		{"same request ID after the last chunk is a duplicate", `
			a> [48,5,{"progress":true},"fw.write",[1]]
			b< [68,$inv,$reg,{"progress":true},[1]]
			a> [48,5,{},"fw.write",[2]]
			b< [68,$inv,$reg,{},[2]]
			a> [48,5,{"progress":true},"fw.write",[3]]
			a< [3,*,"wamp.error.protocol_violation"]`},
	}
	runScripts(t, Config{}, join, tests)
}

func TestProgressiveCallNotAnnounced(t *testing.T) {
	// A caller that did not announce the feature may not stream: the spec
	// makes it a protocol violation.
	runScript(t, newTestRouter(t, Config{}), `
		b> `+helloStream+`
		b< [2,$sb,*]
		b> [64,1,{},"fw.write"]
		b< [65,1,$reg]
		a> `+helloFull+`
		a< [2,$sa,*]
		a> [48,1,{"progress":true},"fw.write",[1]]
		a< [3,*,"wamp.error.protocol_violation"]
		a< EOF`)
}

func TestProgressiveCallWelcome(t *testing.T) {
	// The dealer announces the feature, and the revocation features.
	r := newTestRouter(t, Config{})
	tr, err := r.Connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	c := &testClient{t: t, tr: tr}
	c.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
	w := expect[*wamp.Welcome](c)
	for _, f := range []struct{ role, name string }{
		{wamp.RoleDealer, wamp.FeatureProgressiveCallInvocations},
		{wamp.RoleDealer, wamp.FeatureRegistrationRevocation},
		{wamp.RoleBroker, wamp.FeatureSubscriptionRevocation},
	} {
		if !wamp.HasFeature(w.Details, f.role, f.name) {
			t.Errorf("WELCOME does not announce %s.%s: %v", f.role, f.name, w.Details["roles"])
		}
	}
}

// streamRoles announces progressive call invocations as caller and callee.
func streamRoles() wamp.Dict {
	roles := allRoles()
	for _, role := range []string{"caller", "callee"} {
		roles[role].(wamp.Dict)["features"].(wamp.Dict)["progressive_call_invocations"] = true
	}
	return roles
}

func TestProgressiveChunkRefused(t *testing.T) {
	// A chunk the callee's connection refuses (here: larger than it
	// accepts) fails the whole call; the chunks still on their way are
	// dropped and counted.
	r := newTestRouter(t, Config{})
	a, b := peer.Pipe(wamp.JSON, 1024) // the callee accepts 1 KiB messages
	r.Attach(context.Background(), b, nil)
	t.Cleanup(func() { a.Close() })
	callee := &testClient{t: t, tr: a}
	callee.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": streamRoles()}})
	expect[*wamp.Welcome](callee)
	callee.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "fw.write"})
	expect[*wamp.Registered](callee)
	caller := joinClient(t, r, streamRoles())

	chunk := func(args wamp.List, more bool) {
		o := wamp.Dict{}
		if more {
			o["progress"] = true
		}
		caller.send(&wamp.Call{Request: 3, Options: o, Procedure: "fw.write", Payload: wamp.Payload{Args: args}})
	}
	chunk(wamp.List{"small"}, true)
	inv := expect[*wamp.Invocation](callee)
	chunk(wamp.List{strings.Repeat("x", 2000)}, true)
	caller.expectError(wamp.ErrPayloadSizeExceeded.URI)
	if m := expect[*wamp.Interrupt](callee); m.Request != inv.Request {
		t.Errorf("INTERRUPT for %d, want %d", m.Request, inv.Request)
	}
	chunk(wamp.List{"late"}, true)
	chunk(wamp.List{"last"}, false)
	// a new call is the next thing the callee sees, and the caller gets nothing for the late chunks
	caller.send(&wamp.Call{Request: 4, Options: wamp.Dict{}, Procedure: "fw.write"})
	if m := expect[*wamp.Invocation](callee); len(m.Args) != 0 {
		t.Errorf("INVOCATION %v, want the new call", m.Args)
	}
	if got := r.Stats().StreamChunksDropped; got != 2 {
		t.Errorf("StreamChunksDropped = %d, want 2", got)
	}
}
