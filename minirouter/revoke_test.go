package minirouter

import (
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// revocationRoles announces every client role, and the revocation
// features as callee and subscriber when revocable is set.
func revocationRoles(revocable bool) wamp.Dict {
	roles := allRoles()
	if revocable {
		roles["callee"] = wamp.Dict{"features": wamp.Dict{"registration_revocation": true}}
		roles["subscriber"] = wamp.Dict{"features": wamp.Dict{"subscription_revocation": true}}
	}
	return roles
}

// joinTicketRoles joins realm as authid with a ticket, announcing roles.
func joinTicketRoles(t *testing.T, r *Router, realm wamp.URI, authid, ticket string, roles wamp.Dict) *testClient {
	t.Helper()
	tr, err := r.Connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	c := &testClient{t: t, tr: tr}
	c.joinTicketRoles(realm, authid, ticket, roles)
	return c
}

// revokeRouter serves realm "site": role admin may call the revocation
// procedures and subscribe to the meta events, role device may register,
// subscribe, publish and call under "dev.", and realm "open" has no
// permissions.
func revokeRouter(t *testing.T) *Router {
	return newTestRouter(t, Config{Realms: []RealmConfig{
		{Name: "open"},
		{Name: "site", Users: []User{
			{AuthID: "ops", AuthRole: "admin", Ticket: "a"},
			{AuthID: "dev1", AuthRole: "device", Ticket: "d1"},
			{AuthID: "dev2", AuthRole: "device", Ticket: "d2"},
		}, Permissions: []Permission{
			{Role: "admin", URI: "wamp.registration.remove_callee", Actions: []string{ActionCall}},
			{Role: "admin", URI: "wamp.subscription.remove_subscriber", Actions: []string{ActionCall}},
			{Role: "admin", URI: "wamp.", Match: "prefix", Actions: []string{ActionSubscribe}},
			{Role: "device", URI: "dev.", Match: "prefix",
				Actions: []string{ActionCall, ActionRegister, ActionSubscribe, ActionPublish}},
		}},
	}})
}

// metaEventIDs reads a meta event and returns its session and
// registration or subscription IDs.
func metaEventIDs(t *testing.T, c *testClient, sub wamp.ID) (wamp.ID, wamp.ID) {
	t.Helper()
	ev := expect[*wamp.Event](c)
	if ev.Subscription != sub || len(ev.Args) != 2 {
		t.Fatalf("meta event %v", ev)
	}
	s, _ := wamp.ToID(ev.Args[0])
	id, _ := wamp.ToID(ev.Args[1])
	return s, id
}

func TestRemoveCallee(t *testing.T) {
	r := revokeRouter(t)
	ops := joinTicketRoles(t, r, "site", "ops", "a", allRoles())
	dev1 := joinTicketRoles(t, r, "site", "dev1", "d1", revocationRoles(true))
	dev2 := joinTicketRoles(t, r, "site", "dev2", "d2", revocationRoles(false))
	subscribe := func(req wamp.ID, topic wamp.URI) wamp.ID {
		ops.send(&wamp.Subscribe{Request: req, Options: wamp.Dict{}, Topic: topic})
		return expect[*wamp.Subscribed](ops).Subscription
	}
	onUnregister := subscribe(1, "wamp.registration.on_unregister")
	onDelete := subscribe(2, "wamp.registration.on_delete")
	register := func(c *testClient) wamp.ID {
		c.send(&wamp.Register{Request: 1, Options: wamp.Dict{"invoke": "roundrobin"}, Procedure: "dev.reboot"})
		return expect[*wamp.Registered](c).Registration
	}
	reg := register(dev1)
	if register(dev2) != reg {
		t.Fatal("shared registration: two IDs")
	}
	call := func(c *testClient, req wamp.ID, args ...any) {
		c.send(&wamp.Call{Request: req, Options: wamp.Dict{}, Procedure: "wamp.registration.remove_callee",
			Payload: wamp.Payload{Args: args}})
	}

	// errors
	call(ops, 10, uint64(reg))
	ops.expectError(wamp.ErrInvalidArgument.URI)
	call(ops, 11, uint64(reg), uint64(12345))
	ops.expectError(wamp.ErrNoSuchSession.URI)
	call(ops, 12, uint64(999), uint64(dev1.id))
	ops.expectError(wamp.ErrNoSuchRegistration.URI)
	call(ops, 13, uint64(reg), uint64(ops.id))
	ops.expectError(wamp.ErrNoSuchRegistration.URI)
	call(ops, 14, uint64(reg), uint64(dev1.id), "not a uri!")
	ops.expectError(wamp.ErrInvalidURI.URI)
	call(dev2, 15, uint64(reg), uint64(dev1.id)) // not granted to devices
	dev2.expectError(wamp.ErrNotAuthorized.URI)

	// dev1 (revocable) goes: on_unregister, and it is told
	call(ops, 20, uint64(reg), uint64(dev1.id), "com.example.moved")
	if s, id := metaEventIDs(t, ops, onUnregister); s != dev1.id || id != reg {
		t.Errorf("on_unregister for session %d registration %d", s, id)
	}
	expect[*wamp.Result](ops)
	u := expect[*wamp.Unregistered](dev1)
	if id, _ := wamp.OptID(u.Details, "registration"); u.Request != 0 || id != reg || u.Details["reason"] != "com.example.moved" {
		t.Errorf("UNREGISTERED %+v", u)
	}
	// calls now go to dev2 alone
	for req := wamp.ID(30); req < 32; req++ {
		dev1.send(&wamp.Call{Request: req, Options: wamp.Dict{}, Procedure: "dev.reboot"})
		inv := expect[*wamp.Invocation](dev2)
		dev2.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}})
		expect[*wamp.Result](dev1)
	}
	// dev2 (not revocable) goes without being told; the registration is deleted
	call(ops, 40, uint64(reg), uint64(dev2.id))
	metaEventIDs(t, ops, onUnregister)
	if s, id := metaEventIDs(t, ops, onDelete); s != dev2.id || id != reg {
		t.Errorf("on_delete for session %d registration %d", s, id)
	}
	expect[*wamp.Result](ops)
	dev1.send(&wamp.Call{Request: 41, Options: wamp.Dict{}, Procedure: "dev.reboot"})
	dev1.expectError(wamp.ErrNoSuchProcedure.URI)
	// dev2's next message is the answer to its own UNREGISTER: no longer registered
	dev2.send(&wamp.Unregister{Request: 42, Registration: reg})
	dev2.expectError(wamp.ErrNoSuchRegistration.URI)

	// A realm without permissions refuses it.
	tr, _ := r.Connect(t.Context())
	open := &testClient{t: t, tr: tr}
	open.send(&wamp.Hello{Realm: "open", Details: wamp.Dict{"roles": allRoles()}})
	open.id = expect[*wamp.Welcome](open).Session
	call(open, 1, uint64(reg), uint64(open.id))
	open.expectError(wamp.ErrNotAuthorized.URI)
}

func TestRemoveSubscriber(t *testing.T) {
	r := revokeRouter(t)
	ops := joinTicketRoles(t, r, "site", "ops", "a", allRoles())
	dev1 := joinTicketRoles(t, r, "site", "dev1", "d1", revocationRoles(true))
	dev2 := joinTicketRoles(t, r, "site", "dev2", "d2", revocationRoles(false))
	ops.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "wamp.subscription.on_unsubscribe"})
	onUnsubscribe := expect[*wamp.Subscribed](ops).Subscription
	ops.send(&wamp.Subscribe{Request: 2, Options: wamp.Dict{}, Topic: "wamp.subscription.on_delete"})
	onDelete := expect[*wamp.Subscribed](ops).Subscription
	subscribe := func(c *testClient) wamp.ID {
		c.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "dev.setpoint"})
		return expect[*wamp.Subscribed](c).Subscription
	}
	sub := subscribe(dev1)
	if subscribe(dev2) != sub {
		t.Fatal("two subscription IDs for one topic")
	}
	call := func(c *testClient, req wamp.ID, args wamp.List, kw wamp.Dict) {
		c.send(&wamp.Call{Request: req, Options: wamp.Dict{}, Procedure: "wamp.subscription.remove_subscriber",
			Payload: wamp.Payload{Args: args, Kwargs: kw}})
	}
	call(ops, 10, wamp.List{uint64(sub), uint64(ops.id)}, nil)
	ops.expectError(wamp.ErrNoSuchSubscription.URI)
	call(ops, 11, wamp.List{"x", uint64(dev1.id)}, nil)
	ops.expectError(wamp.ErrInvalidArgument.URI)

	// dev1 (revocable) is told, with the reason given as a kwarg
	call(ops, 20, wamp.List{uint64(sub), uint64(dev1.id)}, wamp.Dict{"reason": "com.example.no_longer_authorized"})
	if s, id := metaEventIDs(t, ops, onUnsubscribe); s != dev1.id || id != sub {
		t.Errorf("on_unsubscribe for session %d subscription %d", s, id)
	}
	expect[*wamp.Result](ops)
	u := expect[*wamp.Unsubscribed](dev1)
	if id, _ := wamp.OptID(u.Details, "subscription"); u.Request != 0 || id != sub || u.Details["reason"] != "com.example.no_longer_authorized" {
		t.Errorf("UNSUBSCRIBED %+v", u)
	}
	// events reach dev2 only
	dev1.send(&wamp.Publish{Request: 21, Options: wamp.Dict{"exclude_me": false}, Topic: "dev.setpoint", Payload: wamp.Payload{Args: wamp.List{21.5}}})
	if ev := expect[*wamp.Event](dev2); ev.Subscription != sub {
		t.Errorf("event %v", ev)
	}
	// dev2 (not revocable) is not told; the subscription is deleted
	call(ops, 30, wamp.List{uint64(sub), uint64(dev2.id)}, nil)
	metaEventIDs(t, ops, onUnsubscribe)
	if s, id := metaEventIDs(t, ops, onDelete); s != dev2.id || id != sub {
		t.Errorf("on_delete for session %d subscription %d", s, id)
	}
	expect[*wamp.Result](ops)
	dev2.send(&wamp.Unsubscribe{Request: 31, Subscription: sub})
	dev2.expectError(wamp.ErrNoSuchSubscription.URI)
	dev1.send(&wamp.Unsubscribe{Request: 32, Subscription: sub})
	dev1.expectError(wamp.ErrNoSuchSubscription.URI)
}
