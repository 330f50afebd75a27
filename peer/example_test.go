package peer_test

import (
	"context"
	"fmt"
	"log"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// Two Conns over an in-process pipe: Send queues without blocking (the
// writer goroutine starts on demand), Recv reads and decodes, Flush waits
// for the queue to drain.
func Example() {
	ta, tb := peer.Pipe(wamp.JSON, 0)
	a, b := peer.New(ta, peer.Config{}), peer.New(tb, peer.Config{})
	defer a.Close(nil)
	defer b.Close(nil)

	if err := a.Send(&wamp.Publish{Request: 1, Options: wamp.Dict{}, Topic: "sensor.temp",
		Payload: wamp.Payload{Args: wamp.List{21.5}}}); err != nil {
		log.Fatal(err)
	}
	m, err := b.Recv()
	if err != nil {
		log.Fatal(err)
	}
	p := m.(*wamp.Publish)
	fmt.Println(p.Type(), p.Topic, p.Args)
	if err := a.Flush(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println("out:", a.Stats().MessagesOut, "in:", b.Stats().MessagesIn)
	// Output:
	// PUBLISH sensor.temp [21.5]
	// out: 1 in: 1
}

// A server's per-connection state with its Conn inside, set up by Init:
// one allocation for both.
func ExampleInit() {
	type session struct {
		name string
		conn peer.Conn
	}
	ta, tb := peer.Pipe(wamp.JSON, 0)
	client := peer.New(tb, peer.Config{})
	defer client.Close(nil)
	s := &session{name: "device-1"}
	peer.Init(&s.conn, ta, &peer.Config{})
	defer s.conn.Close(nil)

	if err := s.conn.Send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: "wamp.close.normal"}); err != nil {
		log.Fatal(err)
	}
	m, err := client.Recv()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.name, "sent", m.Type())
	// Output:
	// device-1 sent GOODBYE
}

// An EVENT encoded once and queued on two subscribers' connections: each
// connection holds the buffer until it has written it, and the maker lets
// go of its own hold at once.
func ExampleShared() {
	var subscribers []*peer.Conn
	var readers []*peer.Conn
	for range 2 {
		ta, tb := peer.Pipe(wamp.MsgPack, 0)
		subscribers = append(subscribers, peer.New(ta, peer.Config{}))
		readers = append(readers, peer.New(tb, peer.Config{}))
	}
	ev := peer.NewShared()
	if err := ev.Encode(wamp.MsgPack, &wamp.Event{Subscription: 1, Publication: 2,
		Payload: wamp.Payload{Args: wamp.List{21.5}}}); err != nil {
		log.Fatal(err)
	}
	for _, c := range subscribers {
		if err := c.SendShared(ev); err != nil {
			log.Fatal(err)
		}
	}
	ev.Release()
	for i, r := range readers {
		m, err := r.Recv()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(i, m.Type(), m.(*wamp.Event).Args)
		subscribers[i].Close(nil)
		r.Close(nil)
	}
	// Output:
	// 0 EVENT [21.5]
	// 1 EVENT [21.5]
}
