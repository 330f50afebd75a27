package minirouter

import (
	"fmt"
	"testing"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestSmallestRawSocketClientJoins: a RawSocket client that announces the
// smallest maximum length (512 octets) joins in both serializers, whether
// it announces few features (the WELCOME keeps the shared ones) or all of
// them (it gets the bare roles; MessagePack fits the full details), and then works: it subscribes, receives
// an event and calls a meta procedure.
func TestSmallestRawSocketClientJoins(t *testing.T) {
	every := func(features []string) wamp.Dict {
		f := wamp.Dict{}
		for _, name := range features {
			f[name] = true
		}
		return wamp.Dict{"features": f}
	}
	clients := map[string]wamp.Dict{
		"few features": allRoles(),
		"all features": {"publisher": every(brokerFeatures), "subscriber": every(brokerFeatures),
			"caller": every(dealerFeatures), "callee": every(dealerFeatures)},
	}
	r := newTestRouter(t, Config{})
	addr := serveTCP(t, r)
	for _, ser := range []wamp.Serializer{wamp.JSON, wamp.MsgPack} {
		for name, roles := range clients {
			t.Run(fmt.Sprint(ser.Name(), "/", name), func(t *testing.T) {
				c := dialClient(t, addr, rawsocket.ClientConfig{Serializer: ser, MaxMessageSize: 512})
				c.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": roles}})
				w := expect[*wamp.Welcome](c)
				for _, k := range []string{"realm", "authid", "authrole", "authmethod"} {
					if w.Details[k] == nil {
						t.Errorf("WELCOME without %s: %v", k, w.Details)
					}
				}
				for _, role := range []string{wamp.RoleBroker, wamp.RoleDealer} {
					if !wamp.HasRole(w.Details, role) {
						t.Errorf("WELCOME without role %s: %v", role, w.Details)
					}
				}
				// In JSON the full details do not fit: a client that announced
				// call_canceling keeps it, one that announced everything gets
				// the bare roles.
				if want := name == "few features"; ser == wamp.JSON && wamp.HasFeature(w.Details, wamp.RoleDealer, wamp.FeatureCallCanceling) != want {
					t.Errorf("dealer call_canceling announced: %v, want %v (%v)", !want, want, w.Details)
				}
				c.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "small.t"})
				expect[*wamp.Subscribed](c)
				c.send(&wamp.Publish{Request: 2, Options: wamp.Dict{"exclude_me": false}, Topic: "small.t", Payload: wamp.Payload{Args: wamp.List{"hi"}}})
				if ev := expect[*wamp.Event](c); len(ev.Args) != 1 || ev.Args[0] != "hi" {
					t.Errorf("EVENT %v", ev.Args)
				}
				c.send(&wamp.Call{Request: 3, Options: wamp.Dict{}, Procedure: "wamp.session.count"})
				expect[*wamp.Result](c)
			})
		}
	}
}

// TestWelcomeCutDown: the WELCOME's roles for a client that does not fit
// the full details name what it can talk to, with the features both sides
// announce, or none.
func TestWelcomeCutDown(t *testing.T) {
	hello := wamp.Dict{
		"subscriber": wamp.Dict{"features": wamp.Dict{wamp.FeaturePatternBasedSubscription: true, "x_unknown": true}},
		"caller":     wamp.Dict{},
	}
	got := fmt.Sprint(rolesFor(hello, true))
	want := fmt.Sprint(wamp.Dict{
		"broker": wamp.Dict{"features": wamp.Dict{wamp.FeaturePatternBasedSubscription: true}},
		"dealer": wamp.Dict{},
	})
	if got != want {
		t.Errorf("rolesFor(with features) = %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(rolesFor(wamp.Dict{"callee": wamp.Dict{}}, false)), fmt.Sprint(wamp.Dict{"dealer": wamp.Dict{}}); got != want {
		t.Errorf("rolesFor(callee, bare) = %s, want %s", got, want)
	}
}
