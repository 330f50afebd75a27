package minirouter

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

const hello = `[1,"realm1",{"roles":{"caller":{},"callee":{},"publisher":{},"subscriber":{}}}]`

func TestWelcomeDetails(t *testing.T) {
	r := newTestRouter(t, Config{})
	c := joinClient(t, r, allRoles())
	if c.id < 1 || c.id > wamp.MaxID {
		t.Fatalf("session ID %d out of range", c.id)
	}
	// Re-join on a fresh connection to look at the details.
	tr, err := r.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c2 := &testClient{t: t, tr: tr}
	t.Cleanup(func() { tr.Close() })
	c2.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}}}})
	w := expect[*wamp.Welcome](c2)
	d := w.Details
	for k, want := range map[string]string{"authrole": "anonymous", "authmethod": "anonymous", "realm": "realm1"} {
		if d[k] != want {
			t.Errorf("details.%s = %v, want %q", k, d[k], want)
		}
	}
	if id, _ := d["authid"].(string); id == "" {
		t.Errorf("details.authid = %v, want a generated string", d["authid"])
	}
	roles, _ := d["roles"].(wamp.Dict)
	for role, want := range map[string][]string{"broker": brokerFeatures, "dealer": dealerFeatures} {
		rd, _ := roles[role].(wamp.Dict)
		fd, _ := rd["features"].(wamp.Dict)
		got := slices.Sorted(maps.Keys(fd))
		if !slices.Equal(got, want) {
			t.Errorf("%s features = %v, want %v", role, got, want)
		}
		for f, v := range fd {
			if v != true {
				t.Errorf("%s feature %s = %v", role, f, v)
			}
		}
	}
	if st := r.Stats(); st.Sessions != 2 || st.SessionsTotal != 2 {
		t.Errorf("Stats sessions = %d/%d, want 2/2", st.Sessions, st.SessionsTotal)
	}
	if n := len(r.Sessions()); n != 2 {
		t.Errorf("Sessions() lists %d, want 2", n)
	}
}

func TestSessionLifeCycle(t *testing.T) {
	tests := []struct{ name, script string }{
		{"goodbye", `
			a> ` + hello + `
			a< [2,$s,*]
			a> [6,{},"wamp.close.close_realm"]
			a< [6,{},"wamp.close.goodbye_and_out"]
			a< EOF`},
		{"no such realm", `
			a> [1,"nowhere",{"roles":{"caller":{}}}]
			a< [3,{"message":*},"wamp.error.no_such_realm"]
			a< EOF`},
		{"invalid realm URI", `
			a> [1,"bad realm#",{"roles":{"caller":{}}}]
			a< [3,{"message":*},"wamp.error.invalid_uri"]
			a< EOF`},
		{"hello without roles", `
			a> [1,"realm1",{}]
			a< [3,{"message":*},"wamp.error.protocol_violation"]
			a< EOF`},
		{"hello with empty roles", `
			a> [1,"realm1",{"roles":{}}]
			a< [3,{"message":*},"wamp.error.protocol_violation"]
			a< EOF`},
		{"message before hello", `
			a> [48,1,{},"com.x"]
			a< [3,{"message":*},"wamp.error.protocol_violation"]
			a< EOF`},
		{"garbage before hello", `
			a> this is not json
			a< [3,{"message":*},"wamp.error.protocol_violation"]
			a< EOF`},
		{"second hello", `
			a> ` + hello + `
			a< [2,$s,*]
			a> ` + hello + `
			a< [3,{"message":*},"wamp.error.protocol_violation"]
			a< EOF`},
		{"welcome from client", `
			a> ` + hello + `
			a< [2,$s,*]
			a> [2,1,{}]
			a< [3,{"message":*},"wamp.error.protocol_violation"]
			a< EOF`},
		{"garbage after welcome", `
			a> ` + hello + `
			a< [2,$s,*]
			a> [16,
			a< [3,{"message":*},"wamp.error.protocol_violation"]
			a< EOF`},
		{"unknown message code", `
			a> ` + hello + `
			a< [2,$s,*]
			a> [999,1,{}]
			a< [3,{"message":*},"wamp.error.protocol_violation"]
			a< EOF`},
		{"result from client", `
			a> ` + hello + `
			a< [2,$s,*]
			a> [50,1,{}]
			a< [3,{"message":*},"wamp.error.protocol_violation"]
			a< EOF`},
		{"error for a call from client", `
			a> ` + hello + `
			a< [2,$s,*]
			a> [8,48,1,{},"wamp.error.runtime_error"]
			a< [3,{"message":*},"wamp.error.protocol_violation"]
			a< EOF`},
		{"request ID zero", `
			a> ` + hello + `
			a< [2,$s,*]
			a> [32,0,{},"com.x"]
			a< [3,{"message":*},"wamp.error.protocol_violation"]
			a< EOF`},
		{"request ID above 2^53", `
			a> ` + hello + `
			a< [2,$s,*]
			a> [48,9007199254740993,{},"com.x"]
			a< [3,{"message":*},"wamp.error.protocol_violation"]
			a< EOF`},
		{"request ID 2^53 and non-sequential IDs are fine", `
			a> ` + hello + `
			a< [2,$s,*]
			a> [32,9007199254740992,{},"com.x"]
			a< [33,9007199254740992,$sub]
			a> [32,7,{},"com.y"]
			a< [33,7,$sub2]
			a> [32,3,{},"com.z"]
			a< [33,3,$sub3]`},
		{"duplicate pending call ID", `
			b> ` + hello + `
			b< [2,$sb,*]
			b> [64,1,{},"com.p"]
			b< [65,1,$reg]
			a> ` + hello + `
			a< [2,$s,*]
			a> [48,5,{},"com.p"]
			b< [68,$inv,$reg,{}]
			a> [48,5,{},"com.p"]
			a< [3,{"message":*},"wamp.error.protocol_violation"]
			a< EOF
			# the callee sees the pending call canceled? No: the caller left, and
			# the callee did not announce call_canceling, so it gets nothing;
			# its late YIELD is discarded and it keeps working.
			b> [70,$inv,{}]
			b> [32,2,{},"com.alive"]
			b< [33,2,$x]`},
		{"abort from client", `
			a> ` + hello + `
			a< [2,$s,*]
			a> [3,{},"wamp.close.normal"]
			a< EOF`},
	}
	runScripts(t, Config{}, "", tests)
}

// A protocol violation ends only that session: others keep working.
func TestViolationEndsOnlyThatSession(t *testing.T) {
	r := newTestRouter(t, Config{})
	runScript(t, r, `
		b> `+hello+`
		b< [2,$sb,*]
		b> [32,1,{},"com.t"]
		b< [33,1,$sub]
		a> `+hello+`
		a< [2,$sa,*]
		a> garbage
		a< [3,{"message":*},"wamp.error.protocol_violation"]
		a< EOF
		c> `+hello+`
		c< [2,$sc,*]
		c> [16,1,{"acknowledge":true},"com.t",["still here"]]
		c< [17,1,$pub]
		b< [36,$sub,$pub,{},["still here"]]`)
	if got := r.Stats().ProtocolViolations; got != 1 {
		t.Errorf("ProtocolViolations = %d, want 1", got)
	}
}

func TestHelloTimeout(t *testing.T) {
	r := newTestRouter(t, Config{HelloTimeout: 50 * time.Millisecond})
	_, done := pipeClient(t, r, wamp.JSON)
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("session ended with nil for a connection without HELLO")
		}
	case <-time.After(stepTimeout):
		t.Fatal("no HELLO did not end the connection")
	}
	if got := r.Stats().HandshakeFailures; got != 1 {
		t.Errorf("HandshakeFailures = %d, want 1", got)
	}
}

func TestIdleTimeout(t *testing.T) {
	r := newTestRouter(t, Config{IdleTimeout: 50 * time.Millisecond})
	runScript(t, r, `
		a> `+hello+`
		a< [2,$s,*]
		a< EOF`)
}

func TestAttachResult(t *testing.T) {
	r := newTestRouter(t, Config{})
	a, done := pipeClient(t, r, wamp.JSON)
	c := &testClient{t: t, tr: a}
	c.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
	expect[*wamp.Welcome](c)
	c.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal.URI})
	g := expect[*wamp.Goodbye](c)
	if g.Reason != wamp.CloseGoodbyeAndOut.URI {
		t.Errorf("GOODBYE reason %s", g.Reason)
	}
	if err := <-done; err != nil {
		t.Errorf("session ended after GOODBYE with %v, want nil", err)
	}
	if st := r.Stats(); st.Sessions != 0 || st.MessagesIn != 2 || st.MessagesOut != 2 {
		t.Errorf("Stats after GOODBYE: %+v; want 0 sessions, 2 messages in and out", st)
	}
}

func TestMaxSessions(t *testing.T) {
	r := newTestRouter(t, Config{MaxSessions: 1})
	runScript(t, r, `
		a> `+hello+`
		a< [2,$s,*]
		b> `+hello+`
		b< [3,{"message":*},"wamp.error.unavailable"]
		b< EOF`)
}

func TestContextEndsSession(t *testing.T) {
	r := newTestRouter(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	a, b := peer.Pipe(wamp.JSON, 0)
	t.Cleanup(func() { a.Close() })
	done := make(chan error, 1)
	r.Attach(ctx, b, func(err error) { done <- err })
	c := &testClient{t: t, tr: a}
	c.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
	expect[*wamp.Welcome](c)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("session ended with %v, want context.Canceled", err)
	}
	c.expectEnd()
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Realms: []RealmConfig{{Name: ""}}},
		{Realms: []RealmConfig{{Name: "a b"}}},
		{Realms: []RealmConfig{{Name: "r"}, {Name: "r"}}},
		{Realms: []RealmConfig{{Name: "r", SlowConsumer: "block"}}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}
