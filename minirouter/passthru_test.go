package minirouter

import (
	"bytes"
	"maps"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// pptClientRoles is allRoles with payload_passthru_mode announced in every role.
func pptClientRoles() wamp.Dict {
	roles := allRoles()
	for _, role := range []string{"publisher", "subscriber", "caller", "callee"} {
		d := roles[role].(wamp.Dict)
		f, _ := d["features"].(wamp.Dict)
		f = maps.Clone(f)
		if f == nil {
			f = wamp.Dict{}
		}
		f["payload_passthru_mode"] = true
		roles[role] = wamp.Dict{"features": f}
	}
	return roles
}

var (
	pptOpts = wamp.Dict{"ppt_scheme": "wamp", "ppt_serializer": "cbor", "ppt_cipher": "xsalsa20poly1305", "ppt_keyid": "k1"}
	opaque  = wamp.Payload{Args: wamp.List{[]byte{0, 1, 2, 0xff, 'x'}}}
)

// samePPT checks that d carries exactly pptOpts' ppt_* keys and p is opaque.
func samePPT(t *testing.T, what string, d wamp.Dict, p wamp.Payload) {
	t.Helper()
	for k, v := range pptOpts {
		if d[k] != v {
			t.Errorf("%s: %s = %v, want %v", what, k, d[k], v)
		}
	}
	if b, ok := p.Args[0].([]byte); !ok || len(p.Args) != 1 || !bytes.Equal(b, opaque.Args[0].([]byte)) || p.Kwargs != nil {
		t.Errorf("%s: payload %#v", what, p)
	}
}

func withOpts(extra wamp.Dict) wamp.Dict {
	d := maps.Clone(pptOpts)
	maps.Copy(d, extra)
	return d
}

func TestPassthruPubSub(t *testing.T) {
	r := newTestRouter(t, Config{})
	pub := joinClient(t, r, pptClientRoles())
	sub := joinClient(t, r, pptClientRoles())
	subscribeTo(sub, "sensor.", wamp.PrefixMatch)
	pub.send(&wamp.Publish{Request: 1, Options: withOpts(wamp.Dict{"acknowledge": true}), Topic: "sensor.t", Payload: opaque})
	expect[*wamp.Published](pub)
	ev := expect[*wamp.Event](sub)
	samePPT(t, "EVENT", ev.Details, ev.Payload)
	if ev.Details["topic"] != "sensor.t" || ev.Details["acknowledge"] != nil {
		t.Errorf("EVENT details %v", ev.Details)
	}

	tests := []struct {
		name string
		opts wamp.Dict
		p    wamp.Payload
	}{
		{"unknown scheme", wamp.Dict{"ppt_scheme": "rot13"}, opaque},
		{"custom scheme without name", wamp.Dict{"ppt_scheme": "x_"}, opaque},
		{"empty scheme", wamp.Dict{"ppt_scheme": ""}, opaque},
		{"non-string cipher", wamp.Dict{"ppt_cipher": 7}, opaque},
		{"two items", nil, wamp.Payload{Args: wamp.List{1, 2}}},
		{"kwargs", nil, wamp.Payload{Args: wamp.List{[]byte{1}}, Kwargs: wamp.Dict{"a": 1}}},
		{"no payload", nil, wamp.Payload{}},
	}
	for _, tt := range tests {
		o := withOpts(wamp.Dict{"acknowledge": true})
		maps.Copy(o, tt.opts)
		pub.send(&wamp.Publish{Request: 2, Options: o, Topic: "sensor.t", Payload: tt.p})
		if e := pub.expectError(wamp.ErrInvalidArgument.URI); len(e.Args) == 0 {
			t.Errorf("%s: no message", tt.name)
		}
	}
}

func TestPassthruNotAnnounced(t *testing.T) {
	r := newTestRouter(t, Config{})
	for _, m := range []wamp.Message{
		&wamp.Publish{Request: 1, Options: maps.Clone(pptOpts), Topic: "t", Payload: opaque},
		&wamp.Call{Request: 1, Options: maps.Clone(pptOpts), Procedure: "p", Payload: opaque},
	} {
		c := joinClient(t, r, allRoles())
		c.send(m)
		if a := expect[*wamp.Abort](c); a.Reason != wamp.ErrProtocolViolation.URI {
			t.Errorf("%v: ABORT %v", m.Type(), a)
		}
	}
}

func TestPassthruRPC(t *testing.T) {
	r := newTestRouter(t, Config{})
	callee := joinClient(t, r, pptClientRoles())
	callee.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "secret.rpc"})
	reg := expect[*wamp.Registered](callee).Registration
	caller := joinClient(t, r, pptClientRoles())

	// CALL -> INVOCATION, YIELD -> RESULT
	caller.send(&wamp.Call{Request: 7, Options: withOpts(nil), Procedure: "secret.rpc", Payload: opaque})
	inv := expect[*wamp.Invocation](callee)
	samePPT(t, "INVOCATION", inv.Details, inv.Payload)
	if inv.Registration != reg {
		t.Errorf("registration %v", inv.Registration)
	}
	callee.send(&wamp.Yield{Request: inv.Request, Options: withOpts(nil), Payload: opaque})
	res := expect[*wamp.Result](caller)
	samePPT(t, "RESULT", res.Details, res.Payload)

	// progressive results keep them too
	caller.send(&wamp.Call{Request: 8, Options: withOpts(wamp.Dict{"receive_progress": true}), Procedure: "secret.rpc", Payload: opaque})
	inv = expect[*wamp.Invocation](callee)
	callee.send(&wamp.Yield{Request: inv.Request, Options: withOpts(wamp.Dict{"progress": true}), Payload: opaque})
	res = expect[*wamp.Result](caller)
	samePPT(t, "progressive RESULT", res.Details, res.Payload)
	if res.Details["progress"] != true {
		t.Errorf("progress lost: %v", res.Details)
	}
	// ERROR -> ERROR with its details whole
	callee.send(&wamp.ErrorMessage{RequestType: wamp.INVOCATION, Request: inv.Request, Details: withOpts(nil),
		Error: "com.example.refused", Payload: opaque})
	e := caller.expectError("com.example.refused")
	samePPT(t, "ERROR", e.Details, e.Payload)

	// malformed options
	caller.send(&wamp.Call{Request: 9, Options: withOpts(wamp.Dict{"ppt_scheme": "bogus"}), Procedure: "secret.rpc", Payload: opaque})
	caller.expectError(wamp.ErrInvalidArgument.URI)

	// a callee that did not announce the feature
	plain := joinClient(t, r, allRoles())
	plain.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "plain.rpc"})
	expect[*wamp.Registered](plain)
	caller.send(&wamp.Call{Request: 10, Options: withOpts(nil), Procedure: "plain.rpc", Payload: opaque})
	caller.expectError(wamp.ErrFeatureNotSupported.URI)

	// a caller that did not announce it gets no passthru result
	plainCaller := joinClient(t, r, allRoles())
	plainCaller.send(&wamp.Call{Request: 11, Options: wamp.Dict{}, Procedure: "secret.rpc", Payload: opaque})
	inv = expect[*wamp.Invocation](callee)
	if inv.Details["ppt_scheme"] != nil {
		t.Errorf("ordinary call got %v", inv.Details)
	}
	callee.send(&wamp.Yield{Request: inv.Request, Options: withOpts(nil), Payload: opaque})
	plainCaller.expectError(wamp.ErrFeatureNotSupported.URI)
}

func TestPassthruKeptByHistoryAndRetention(t *testing.T) {
	r := newTestRouter(t, Config{Realms: []RealmConfig{historyRealm(HistoryRule{Topic: "t"})}})
	pub := joinClient(t, r, pptClientRoles())
	pub.send(&wamp.Publish{Request: 1, Options: withOpts(wamp.Dict{"acknowledge": true, "retain": true}), Topic: "t", Payload: opaque})
	expect[*wamp.Published](pub)
	sub := joinClient(t, r, pptClientRoles())
	sub.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{"get_retained": true}, Topic: "t"})
	id := expect[*wamp.Subscribed](sub).Subscription
	ev := expect[*wamp.Event](sub)
	samePPT(t, "retained EVENT", ev.Details, ev.Payload)
	sub.send(&wamp.Call{Request: 2, Options: wamp.Dict{}, Procedure: "wamp.subscription.get_events", Payload: wamp.Payload{Args: wamp.List{uint64(id)}}})
	res := expect[*wamp.Result](sub)
	item := res.Args[0].(wamp.Dict)
	samePPT(t, "history", item["details"].(wamp.Dict), wamp.Payload{Args: item["args"].(wamp.List)})
}
