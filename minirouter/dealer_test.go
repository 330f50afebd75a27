package minirouter

import (
	"context"
	"strings"
	"testing"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// helloFull announces call canceling and progressive results.
const helloFull = `[1,"realm1",{"roles":{"callee":{"features":{"call_canceling":true,"progressive_call_results":true}},"caller":{"features":{"call_canceling":true,"progressive_call_results":true}}}}]`

func TestDealer(t *testing.T) {
	const join = `
		a> ` + helloFull + `
		a< [2,$sa,*]
		b> ` + helloFull + `
		b< [2,$sb,*]
		c> ` + hello + `
		c< [2,$sc,*]`
	tests := []struct{ name, script string }{
		{"call and result", `
			b> [64,1,{},"com.add"]
			b< [65,1,$reg]
			a> [48,7,{},"com.add",[1,2],{"k":"v"}]
			b< [68,$inv,$reg,{},[1,2],{"k":"v"}]
			b> [70,$inv,{},[3]]
			a< [50,7,{},[3]]`},
		{"no such procedure", `
			a> [48,1,{},"com.nothing"]
			a< [8,48,1,{},"wamp.error.no_such_procedure"]`},
		{"invalid URIs and options", `
			a> [48,1,{},"com..x"]
			a< [8,48,1,{},"wamp.error.invalid_uri",*]
			b> [64,1,{},"com.a b"]
			b< [8,64,1,{},"wamp.error.invalid_uri",*]
			b> [64,2,{"match":"fuzzy"},"com.x"]
			b< [8,64,2,{},"wamp.error.invalid_argument",*]
			b> [64,3,{"invoke":"everyone"},"com.x"]
			b< [8,64,3,{},"wamp.error.invalid_argument",*]
			a> [48,2,{"timeout":"soon"},"com.x"]
			a< [8,48,2,{},"wamp.error.invalid_argument",*]`},
		{"procedure already exists", `
			b> [64,1,{},"com.p"]
			b< [65,1,$reg]
			c> [64,1,{},"com.p"]
			c< [8,64,1,{},"wamp.error.procedure_already_exists",*]
			c> [64,2,{"invoke":"roundrobin"},"com.p"]
			c< [8,64,2,{},"wamp.error.procedure_already_exists",*]
			b> [64,2,{"invoke":"roundrobin"},"com.q"]
			b< [65,2,$q]
			c> [64,3,{"invoke":"first"},"com.q"]
			c< [8,64,3,{},"wamp.error.procedure_already_exists",*]
			c> [64,4,{},"com.q"]
			c< [8,64,4,{},"wamp.error.procedure_already_exists",*]
			b> [64,3,{"invoke":"roundrobin"},"com.q"]
			b< [8,64,3,{},"wamp.error.procedure_already_exists",*]
			c> [64,5,{"invoke":"roundrobin"},"com.q"]
			c< [65,5,$q]
			c> [64,6,{"match":"prefix"},"com.p"]
			c< [65,6,$pp]`},
		{"unregister", `
			b> [64,1,{},"com.p"]
			b< [65,1,$reg]
			b> [66,2,$reg]
			b< [67,2]
			b> [66,3,$reg]
			b< [8,66,3,{},"wamp.error.no_such_registration"]
			a> [48,1,{},"com.p"]
			a< [8,48,1,{},"wamp.error.no_such_procedure"]
			c> [64,1,{},"com.p"]
			c< [65,1,$reg2]`},
		{"shared registration roundrobin", `
			b> [64,1,{"invoke":"roundrobin"},"com.p"]
			b< [65,1,$reg]
			c> [64,1,{"invoke":"roundrobin"},"com.p"]
			c< [65,1,$reg]
			a> [48,1,{},"com.p",[1]]
			b< [68,$i1,$reg,{},[1]]
			a> [48,2,{},"com.p",[2]]
			c< [68,$i2,$reg,{},[2]]
			a> [48,3,{},"com.p",[3]]
			b< [68,$i3,$reg,{},[3]]
			c> [70,$i2,{},["c"]]
			a< [50,2,{},["c"]]
			b> [70,$i3,{},["b3"]]
			a< [50,3,{},["b3"]]
			b> [70,$i1,{},["b1"]]
			a< [50,1,{},["b1"]]`},
		{"shared registration first and last", `
			b> [64,1,{"invoke":"first"},"com.f"]
			b< [65,1,$f]
			c> [64,1,{"invoke":"first"},"com.f"]
			c< [65,1,$f]
			b> [64,2,{"invoke":"last"},"com.l"]
			b< [65,2,$l]
			c> [64,2,{"invoke":"last"},"com.l"]
			c< [65,2,$l]
			a> [48,1,{},"com.f"]
			b< [68,$i1,$f,{}]
			a> [48,2,{},"com.l"]
			c< [68,$i2,$l,{}]
			c> [66,3,$l]
			c< [67,3]
			a> [48,3,{},"com.l"]
			b< [68,$i3,$l,{}]`},
		{"pattern precedence", `
			b> [64,1,{},"com.a.b.c"]
			b< [65,1,$exact]
			c> [64,1,{"match":"prefix"},"com.a"]
			c< [65,1,$short]
			c> [64,2,{"match":"prefix"},"com.a.b"]
			c< [65,2,$long]
			b> [64,2,{"match":"wildcard"},"com..b.c"]
			b< [65,2,$wild]
			b> [64,3,{"match":"wildcard"},"com.z..c"]
			b< [65,3,$wild2]
			a> [48,1,{},"com.a.b.c"]
			b< [68,$i1,$exact,{}]
			a> [48,2,{},"com.a.b.x"]
			c< [68,$i2,$long,{"procedure":"com.a.b.x"}]
			a> [48,3,{},"com.a.x"]
			c< [68,$i3,$short,{"procedure":"com.a.x"}]
			a> [48,4,{},"com.q.b.c"]
			b< [68,$i4,$wild,{"procedure":"com.q.b.c"}]
			a> [48,5,{},"com.z.b.c"]
			b< [68,$i5,$wild2,{"procedure":"com.z.b.c"}]
			a> [48,6,{},"com.q.b.c.d"]
			a< [8,48,6,{},"wamp.error.no_such_procedure"]`},
		{"caller identification", `
			b> [64,1,{},"com.p"]
			b< [65,1,$reg]
			a> [48,1,{"disclose_me":true},"com.p"]
			b< [68,$inv,$reg,{"caller":$sa,"caller_authid":*,"caller_authrole":"anonymous"}]`},
		{"progressive call results", `
			b> [64,1,{},"com.p"]
			b< [65,1,$reg]
			a> [48,1,{"receive_progress":true},"com.p"]
			b< [68,$inv,$reg,{"receive_progress":true}]
			b> [70,$inv,{"progress":true},[1]]
			a< [50,1,{"progress":true},[1]]
			b> [70,$inv,{"progress":true},[2]]
			a< [50,1,{"progress":true},[2]]
			b> [70,$inv,{},["done"]]
			a< [50,1,{},["done"]]
			# progress the caller did not ask for is dropped
			a> [48,2,{},"com.p"]
			b< [68,$inv2,$reg,{}]
			b> [70,$inv2,{"progress":true},[1]]
			b> [70,$inv2,{},["final"]]
			a< [50,2,{},["final"]]`},
		{"callee error forwarded", `
			b> [64,1,{},"com.p"]
			b< [65,1,$reg]
			a> [48,1,{},"com.p"]
			b< [68,$inv,$reg,{}]
			b> [8,68,$inv,{"x":1},"com.app.bad_input",["bad"],{"field":"n"}]
			a< [8,48,1,{"x":1},"com.app.bad_input",["bad"],{"field":"n"}]
			# late answers to a finished invocation are discarded
			b> [70,$inv,{},["late"]]
			b> [8,68,$inv,{},"com.app.late"]
			a> [48,2,{},"com.p"]
			b< [68,$inv2,$reg,{}]
			b> [70,$inv2,{},["ok"]]
			a< [50,2,{},["ok"]]`},
		{"cancel skip", `
			b> [64,1,{},"com.p"]
			b< [65,1,$reg]
			a> [48,1,{},"com.p"]
			b< [68,$inv,$reg,{}]
			a> [49,1,{"mode":"skip"}]
			a< [8,48,1,{},"wamp.error.canceled",*]
			b> [70,$inv,{},["late"]]
			a> [48,2,{},"com.p"]
			b< [68,$inv2,$reg,{}]
			b> [70,$inv2,{},["ok"]]
			a< [50,2,{},["ok"]]`},
		{"cancel killnowait (default)", `
			b> [64,1,{},"com.p"]
			b< [65,1,$reg]
			a> [48,1,{},"com.p"]
			b< [68,$inv,$reg,{}]
			a> [49,1,{}]
			a< [8,48,1,{},"wamp.error.canceled",*]
			b< [69,$inv,{"mode":"killnowait","reason":"wamp.error.canceled"}]
			b> [8,68,$inv,{},"wamp.error.canceled"]
			b> [70,$inv,{},["late"]]
			a> [48,2,{},"com.p"]
			b< [68,$inv2,$reg,{}]
			b> [70,$inv2,{},["ok"]]
			a< [50,2,{},["ok"]]`},
		{"cancel kill waits for the callee", `
			b> [64,1,{},"com.p"]
			b< [65,1,$reg]
			a> [48,1,{},"com.p"]
			b< [68,$inv,$reg,{}]
			a> [49,1,{"mode":"kill"}]
			b< [69,$inv,{"mode":"kill","reason":"wamp.error.canceled"}]
			a> [49,1,{"mode":"kill"}]
			b> [8,68,$inv,{},"wamp.error.canceled",["interrupted"]]
			a< [8,48,1,{},"wamp.error.canceled",["interrupted"]]`},
		{"cancel kill to a callee without call_canceling is skip", `
			c> [64,1,{},"com.p"]
			c< [65,1,$reg]
			a> [48,1,{},"com.p"]
			c< [68,$inv,$reg,{}]
			a> [49,1,{"mode":"kill"}]
			a< [8,48,1,{},"wamp.error.canceled",*]
			c> [70,$inv,{},["late"]]
			c> [64,2,{},"com.alive"]
			c< [65,2,$r2]`},
		{"cancel with a bad mode, and of an unknown call", `
			a> [49,1,{"mode":"explode"}]
			a< [8,49,1,{},"wamp.error.invalid_argument",*]
			a> [49,2,{}]
			a> [48,3,{},"com.none"]
			a< [8,48,3,{},"wamp.error.no_such_procedure"]`},
		{"call timeout", `
			b> [64,1,{},"com.slow"]
			b< [65,1,$reg]
			a> [48,1,{"timeout":30},"com.slow"]
			b< [68,$inv,$reg,{}]
			a< [8,48,1,{},"wamp.error.timeout",*]
			b< [69,$inv,{"mode":"killnowait","reason":"wamp.error.timeout"}]
			b> [70,$inv,{},["too late"]]
			a> [48,2,{"timeout":5000},"com.slow"]
			b< [68,$inv2,$reg,{}]
			b> [70,$inv2,{},["in time"]]
			a< [50,2,{},["in time"]]`},
		{"callee leaves: pending calls fail with canceled", `
			b> [64,1,{},"com.p"]
			b< [65,1,$reg]
			a> [48,1,{},"com.p"]
			b< [68,$inv,$reg,{}]
			b: close
			a< [8,48,1,{},"wamp.error.canceled",*]
			a> [48,2,{},"com.p"]
			a< [8,48,2,{},"wamp.error.no_such_procedure"]`},
		{"caller leaves: the callee is interrupted", `
			b> [64,1,{},"com.p"]
			b< [65,1,$reg]
			a> [48,1,{},"com.p"]
			b< [68,$inv,$reg,{}]
			a> [6,{},"wamp.close.normal"]
			a< [6,{},"wamp.close.goodbye_and_out"]
			b< [69,$inv,{"mode":"killnowait","reason":"wamp.error.canceled"}]`},
	}
	runScripts(t, Config{}, join, tests)
}

func TestMaxPendingCalls(t *testing.T) {
	r := newTestRouter(t, Config{MaxPendingCalls: 2})
	runScript(t, r, `
		b> `+helloFull+`
		b< [2,$sb,*]
		b> [64,1,{},"com.p"]
		b< [65,1,$reg]
		a> `+helloFull+`
		a< [2,$sa,*]
		a> [48,1,{},"com.p"]
		b< [68,$i1,$reg,{}]
		a> [48,2,{},"com.p"]
		b< [68,$i2,$reg,{}]
		a> [48,3,{},"com.p"]
		a< [8,48,3,{},"wamp.error.unavailable",*]
		b> [70,$i1,{}]
		a< [50,1,{}]
		a> [48,4,{},"com.p"]
		b< [68,$i3,$reg,{}]`)
}

func TestRegistrationPick(t *testing.T) {
	a, b, c := &session{id: 1}, &session{id: 2}, &session{id: 3}
	callees := []*session{a, b, c}
	tests := []struct {
		invoke string
		want   []wamp.ID
	}{
		{invokeSingle, []wamp.ID{1, 1, 1}},
		{invokeFirst, []wamp.ID{1, 1, 1}},
		{invokeLast, []wamp.ID{3, 3, 3}},
		{invokeRoundRobin, []wamp.ID{1, 2, 3, 1}},
	}
	for _, tc := range tests {
		reg := &registration{invoke: tc.invoke, callees: callees}
		for i, want := range tc.want {
			if got := reg.pick().id; got != want {
				t.Errorf("%s pick %d = %d, want %d", tc.invoke, i, got, want)
			}
		}
	}
	reg := &registration{invoke: invokeRandom, callees: callees}
	seen := map[wamp.ID]bool{}
	for range 200 {
		seen[reg.pick().id] = true
	}
	if len(seen) != 3 {
		t.Errorf("random picked %v of 3 callees in 200 calls", seen)
	}
	// Round robin stays fair when a callee leaves.
	rl := &realm{regs: newTable[*registration](), regByID: map[wamp.ID]*registration{}}
	reg = &registration{invoke: invokeRoundRobin, callees: []*session{a, b, c}, next: 2}
	rl.dropCallee(reg, a)
	if got := reg.pick().id; got != 3 {
		t.Errorf("after dropping the first callee, roundrobin picked %d, want 3", got)
	}
}

// A RESULT too large for the caller becomes ERROR payload_size_exceeded;
// an EVENT too large for a subscriber is dropped and counted.
func TestTooLargeForThePeer(t *testing.T) {
	r := newTestRouter(t, Config{})
	big := wamp.List{strings.Repeat("x", 2000)}
	callee := joinClient(t, r, allRoles())
	callee.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "com.big"})
	expect[*wamp.Registered](callee)

	a, b := peer.Pipe(wamp.JSON, 1024) // the small peer accepts 1 KiB messages
	r.Attach(context.Background(), b, nil)
	t.Cleanup(func() { a.Close() })
	small := &testClient{t: t, tr: a}
	small.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
	expect[*wamp.Welcome](small)

	small.send(&wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "com.big"})
	inv := expect[*wamp.Invocation](callee)
	callee.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}, Payload: wamp.Payload{Args: big}})
	small.expectError(wamp.ErrPayloadSizeExceeded.URI)

	small.send(&wamp.Subscribe{Request: 2, Options: wamp.Dict{}, Topic: "com.t"})
	expect[*wamp.Subscribed](small)
	callee.send(&wamp.Publish{Request: 1, Options: wamp.Dict{"acknowledge": true}, Topic: "com.t", Payload: wamp.Payload{Args: big}})
	expect[*wamp.Published](callee)
	callee.send(&wamp.Publish{Request: 2, Options: wamp.Dict{}, Topic: "com.t", Payload: wamp.Payload{Args: wamp.List{"small"}}})
	if ev := expect[*wamp.Event](small); ev.Args[0] != "small" {
		t.Errorf("EVENT %v", ev.Args)
	}
	if got := r.Stats().EventsDropped; got != 1 {
		t.Errorf("EventsDropped = %d, want 1", got)
	}
}

// TestDiscloseCaller: a callee that registers with disclose_caller learns
// every caller; one that does not, only callers that ask disclose_me.
func TestDiscloseCaller(t *testing.T) {
	r := newTestRouter(t, Config{})
	callee, caller := joinClient(t, r, allRoles()), joinClient(t, r, allRoles())
	callee.send(&wamp.Register{Request: 1, Options: wamp.Dict{"disclose_caller": true}, Procedure: "told"})
	expect[*wamp.Registered](callee)
	callee.send(&wamp.Register{Request: 2, Options: wamp.Dict{}, Procedure: "untold"})
	expect[*wamp.Registered](callee)
	for i, tt := range []struct {
		proc     wamp.URI
		opts     wamp.Dict
		disclose bool
	}{{"told", wamp.Dict{}, true}, {"untold", wamp.Dict{}, false}, {"untold", wamp.Dict{"disclose_me": true}, true}} {
		caller.send(&wamp.Call{Request: wamp.ID(i + 1), Options: tt.opts, Procedure: tt.proc})
		inv := expect[*wamp.Invocation](callee)
		id, _ := wamp.ToID(inv.Details["caller"])
		if got := id == caller.id; got != tt.disclose {
			t.Errorf("%s %v: caller disclosed %v (details %v)", tt.proc, tt.opts, got, inv.Details)
		}
		callee.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}})
		expect[*wamp.Result](caller)
	}
	callee.send(&wamp.Register{Request: 3, Options: wamp.Dict{"disclose_caller": "yes"}, Procedure: "bad"})
	callee.expectError(wamp.ErrInvalidArgument.URI)
}
