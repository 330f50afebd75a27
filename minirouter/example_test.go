package minirouter_test

import (
	"context"
	"fmt"
	"log"

	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// An in-process session speaking raw WAMP messages to the router: it joins
// realm1, registers a procedure, calls it (answering its own INVOCATION),
// and says GOODBYE.
func Example() {
	r, err := minirouter.New(minirouter.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	t, err := r.Connect(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	c := peer.New(t, peer.Config{})
	defer c.Close(nil)
	recv := func() wamp.Message {
		m, err := c.Recv()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("<-", m.Type())
		return m
	}

	c.Send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.ClientRoles()}})
	w := recv().(*wamp.Welcome)
	fmt.Println("   authrole:", w.Details["authrole"])

	c.Send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "com.example.add2"})
	recv()
	c.Send(&wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "com.example.add2",
		Payload: wamp.Payload{Args: wamp.List{2, 3}}})
	inv := recv().(*wamp.Invocation)
	a, _ := wamp.ToID(inv.Args[0])
	b, _ := wamp.ToID(inv.Args[1])
	c.Send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{uint64(a + b)}}})
	res := recv().(*wamp.Result)
	fmt.Println("   result:", res.Args[0])

	c.Send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal.URI})
	g := recv().(*wamp.Goodbye)
	fmt.Println("   reason:", g.Reason)
	fmt.Println("sessions:", r.Stats().SessionsTotal)
	// Output:
	// <- WELCOME
	//    authrole: anonymous
	// <- REGISTERED
	// <- INVOCATION
	// <- RESULT
	//    result: 5
	// <- GOODBYE
	//    reason: wamp.close.goodbye_and_out
	// sessions: 1
}

// A gateway's own accept loop: each RawSocket connection is handed to the
// router with Attach, which returns at once; the ended callback counts the
// sessions that are over. An idle session then holds no goroutine.
func ExampleRouter_Attach() {
	r, err := minirouter.New(minirouter.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	l, err := rawsocket.Listen("tcp", "127.0.0.1:0", rawsocket.ListenConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	ended := make(chan error, 1)
	go func() {
		for {
			t, err := l.Accept()
			if err != nil {
				return
			}
			r.Attach(context.Background(), t, func(err error) { ended <- err })
		}
	}()

	t, err := rawsocket.Dial(context.Background(), "tcp", l.Addr().String(), rawsocket.ClientConfig{})
	if err != nil {
		log.Fatal(err)
	}
	c := peer.New(t, peer.Config{})
	c.Send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.ClientRoles()}})
	if m, err := c.Recv(); err == nil {
		fmt.Println("<-", m.Type())
	}
	c.Send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal.URI})
	if m, err := c.Recv(); err == nil {
		fmt.Println("<-", m.Type())
	}
	c.Close(nil)
	fmt.Println("session ended, error:", <-ended)
	// Output:
	// <- WELCOME
	// <- GOODBYE
	// session ended, error: <nil>
}
