package rawsocket_test

import (
	"context"
	"fmt"
	"log"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// A listener and a client on loopback: the handshake agrees on a
// serializer, then each side sends framed messages.
func Example() {
	l, err := rawsocket.Listen("tcp", "127.0.0.1:0", rawsocket.ListenConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		m, err := c.ReadMessage()
		if err != nil {
			return
		}
		c.WriteMessages([][]byte{append([]byte("echo: "), m...)})
		c.ReadMessage() // until the client closes
	}()

	c, err := rawsocket.Dial(context.Background(), "tcp", l.Addr().String(), rawsocket.ClientConfig{Serializer: wamp.JSON})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("serializer:", c.Serializer().Name())
	if err := c.WriteMessages([][]byte{[]byte(`[1,"realm1",{}]`)}); err != nil {
		log.Fatal(err)
	}
	m, err := c.ReadMessage()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(m))
	// Output:
	// serializer: json
	// echo: [1,"realm1",{}]
}

// A server that keeps no goroutine for an idle connection: after reading
// all there is, it parks the connection, and its handler runs again, on a
// new goroutine, when the next message arrives.
func ExampleConn_Park() {
	l, err := rawsocket.Listen("tcp", "127.0.0.1:0", rawsocket.ListenConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	got := make(chan string)
	go func() {
		s, err := l.Accept()
		if err != nil {
			return
		}
		var serve func()
		serve = func() {
			for {
				// Nothing there now: park (on Linux), or read on here.
				if !s.WaitInput(-1) && s.Park(serve) {
					return
				}
				m, err := s.ReadMessage()
				if err != nil {
					close(got)
					return
				}
				got <- string(m)
			}
		}
		serve()
	}()

	c, err := rawsocket.Dial(context.Background(), "tcp", l.Addr().String(), rawsocket.ClientConfig{})
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range []string{"one", "two"} {
		c.WriteMessages([][]byte{[]byte(m)})
		fmt.Println(<-got)
	}
	c.Close()
	<-got
	fmt.Println("closed")
	// Output:
	// one
	// two
	// closed
}
