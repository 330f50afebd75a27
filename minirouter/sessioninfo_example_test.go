package minirouter_test

import (
	"context"
	"fmt"
	"log"

	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// A page asks, before showing a switch, whether its user's role may call
// the procedure behind it: the router answers as it would decide the call.
func ExampleRouter_Allowed() {
	r, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "site",
		Permissions: []minirouter.Permission{
			{Role: "viewer", URI: "light.get", Actions: []string{minirouter.ActionCall}},
			{Role: "operator", URI: "light.", Match: wamp.PrefixMatch, Actions: []string{minirouter.ActionCall}},
		}}}})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	for _, role := range []string{"viewer", "operator"} {
		may, err := r.Allowed("site", "someone", role, minirouter.ActionCall, "light.set")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s may call light.set: %v\n", role, may)
	}
	// Output:
	// viewer may call light.set: false
	// operator may call light.set: true
}

// A transport attached with a context from WithTransport shows that kind in
// the session's SessionInfo, with what the session published.
func ExampleWithTransport() {
	r, err := minirouter.New(minirouter.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	client, server := peer.Pipe(wamp.JSON, 0)
	r.Attach(minirouter.WithTransport(context.Background(), "serial"), server, nil)
	c := peer.New(client, peer.Config{})
	defer c.Close(nil)
	c.Send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.ClientRoles()}})
	if _, err := c.Recv(); err != nil { // WELCOME
		log.Fatal(err)
	}
	c.Send(&wamp.Publish{Request: 1, Options: wamp.Dict{"acknowledge": true}, Topic: "sensor.temp"})
	if _, err := c.Recv(); err != nil { // PUBLISHED
		log.Fatal(err)
	}
	s := r.Sessions()[0]
	fmt.Println(s.Transport, s.Topics, s.MessagesIn)
	// Output:
	// serial [sensor.temp] 2
}
