package minirouter

import (
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// joinTicket joins realm as authid with a ticket over the wire client.
func joinTicket(t *testing.T, r *Router, realm wamp.URI, authid, ticket string) *testClient {
	t.Helper()
	return joinTicketRoles(t, r, realm, authid, ticket, allRoles())
}

// joinTicket joins realm as authid with a ticket.
func (c *testClient) joinTicket(realm wamp.URI, authid, ticket string) {
	c.t.Helper()
	c.joinTicketRoles(realm, authid, ticket, allRoles())
}

// joinTicketRoles joins realm as authid with a ticket, announcing roles.
func (c *testClient) joinTicketRoles(realm wamp.URI, authid, ticket string, roles wamp.Dict) {
	c.t.Helper()
	c.send(&wamp.Hello{Realm: realm, Details: wamp.Dict{"roles": roles, "authmethods": wamp.List{"ticket"}, "authid": authid}})
	expect[*wamp.Challenge](c)
	c.send(&wamp.Authenticate{Signature: ticket, Extra: wamp.Dict{}})
	c.id = expect[*wamp.Welcome](c).Session
}

func TestSessionKill(t *testing.T) {
	r := newTestRouter(t, Config{Realms: []RealmConfig{
		{Name: "open"},
		{Name: "site", Users: []User{
			{AuthID: "ops", AuthRole: "admin", Ticket: "a"},
			{AuthID: "dev1", AuthRole: "device", Ticket: "d1"},
			{AuthID: "dev2", AuthRole: "device", Ticket: "d2"},
			{AuthID: "dev3", AuthRole: "device", Ticket: "d3"},
		}, Permissions: []Permission{
			{Role: "admin", URI: "wamp.session.", Match: "prefix", Actions: []string{ActionCall}},
			{Role: "admin", URI: "gone", Actions: []string{ActionSubscribe}},
			{Role: "device", URI: "wamp.session.add_testament", Actions: []string{ActionCall}},
			{Role: "device", URI: "gone", Actions: []string{ActionPublish}},
		}},
	}})
	// A realm without permissions refuses the kill procedures.
	tr, _ := r.Connect(t.Context())
	open := &testClient{t: t, tr: tr}
	open.send(&wamp.Hello{Realm: "open", Details: wamp.Dict{"roles": allRoles()}})
	other := expect[*wamp.Welcome](open).Session
	open.send(&wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "wamp.session.kill", Payload: wamp.Payload{Args: wamp.List{uint64(other)}}})
	open.expectError(wamp.ErrNotAuthorized.URI)

	ops := joinTicket(t, r, "site", "ops", "a")
	ops.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "gone"})
	expect[*wamp.Subscribed](ops)
	devs := []*testClient{joinTicket(t, r, "site", "dev1", "d1"), joinTicket(t, r, "site", "dev2", "d2"), joinTicket(t, r, "site", "dev3", "d3")}
	for i, d := range devs {
		d.send(&wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "wamp.session.add_testament",
			Payload: wamp.Payload{Args: wamp.List{"gone", wamp.List{i + 1}, wamp.Dict{}}}})
		expect[*wamp.Result](d)
	}
	call := func(req wamp.ID, proc wamp.URI, args wamp.List, kw wamp.Dict) {
		ops.send(&wamp.Call{Request: req, Options: wamp.Dict{}, Procedure: proc, Payload: wamp.Payload{Args: args, Kwargs: kw}})
	}
	// kill one, with a reason and a message; its testament is published
	call(2, "wamp.session.kill", wamp.List{uint64(devs[0].id)}, wamp.Dict{"reason": "com.example.maintenance", "message": "back soon"})
	if m := expect[*wamp.Goodbye](devs[0]); m.Reason != "com.example.maintenance" || m.Details["message"] != "back soon" {
		t.Errorf("GOODBYE %v", m)
	}
	devs[0].send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut.URI})
	var gotResult, gotTestament bool
	for range 2 { // the RESULT and the testament, in either order
		switch m := must(ops.recv()).(type) {
		case *wamp.Result:
			gotResult = m.Request == 2
		case *wamp.Event:
			gotTestament = m.Args[0] == int64(1)
		}
	}
	if !gotResult || !gotTestament {
		t.Errorf("kill: result %v, testament %v", gotResult, gotTestament)
	}
	// errors: itself, nobody, a bad reason
	call(3, "wamp.session.kill", wamp.List{uint64(ops.id)}, nil)
	ops.expectError(wamp.ErrNoSuchSession.URI)
	call(4, "wamp.session.kill", wamp.List{uint64(12345)}, nil)
	ops.expectError(wamp.ErrNoSuchSession.URI)
	call(5, "wamp.session.kill_by_authrole", wamp.List{"device"}, wamp.Dict{"reason": "not a uri!"})
	ops.expectError(wamp.ErrInvalidURI.URI)
	// kill_by_authid: dev2 (default reason wamp.close.normal)
	call(6, "wamp.session.kill_by_authid", wamp.List{"dev2"}, nil)
	if m := expect[*wamp.Goodbye](devs[1]); m.Reason != wamp.CloseNormal.URI {
		t.Errorf("GOODBYE %v", m)
	}
	for range 2 {
		if res, ok := must(ops.recv()).(*wamp.Result); ok && res.Args[0] != int64(1) {
			t.Errorf("kill_by_authid killed %v", res.Args)
		}
	}
	// kill_all: dev3 goes without its testament, ops stays
	call(7, "wamp.session.kill_all", nil, nil)
	expect[*wamp.Goodbye](devs[2])
	if res := expect[*wamp.Result](ops); res.Args[0] != int64(1) {
		t.Errorf("kill_all killed %v", res.Args)
	}
	call(8, "wamp.session.count", nil, nil)
	if res := expect[*wamp.Result](ops); res.Args[0] != int64(1) {
		t.Errorf("sessions left: %v (a killed session's testament published after kill_all?)", res.Args)
	}
}

func must(m wamp.Message, err error) wamp.Message {
	if err != nil {
		panic(err)
	}
	return m
}
