package rawsocket_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/url"
	"os"
	"path/filepath"

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
				// Nothing for a moment: serve goes on in a new
				// goroutine when input comes.
				if s.Park(serve) {
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

// DialURL is RawSocket's wamp.Dialer: the URL says where and how
// (rs://, rss://, tcp:// or unix://, and the serializer), the options the
// rest. device.DialTransport calls it for those schemes.
func ExampleDialURL() {
	l, err := rawsocket.Listen("tcp", "127.0.0.1:0", rawsocket.ListenConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	u, err := url.Parse("rs://" + l.Addr().String() + "?serializer=json")
	if err != nil {
		log.Fatal(err)
	}
	var dial wamp.Dialer = rawsocket.DialURL
	t, err := dial(context.Background(), u, wamp.DialOptions{MaxMessageSize: 64 << 10})
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()
	fmt.Println("serializer:", t.Serializer().Name())

	// The listener ran the handshake; Accept hands the connection out.
	c, err := l.Accept()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("the client accepts up to", c.MaxMessageSize(), "bytes")
	// Output:
	// serializer: json
	// the client accepts up to 65536 bytes
}

// A Unix-socket listener the caller opened, served so that its
// connections never enter Go's network poller (on Linux: FDListener
// accepts with accept4 into descriptors of rawsocket's own).
func ExampleFDListener() {
	dir, err := os.MkdirTemp("", "fdlistener")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	nl, err := net.Listen("unix", filepath.Join(dir, "gw.sock"))
	if err != nil {
		log.Fatal(err)
	}
	l := rawsocket.NewListener(rawsocket.FDListener(nl), rawsocket.ListenConfig{})
	defer l.Close()
	go func() {
		s, err := l.Accept()
		if err != nil {
			return
		}
		defer s.Close()
		m, err := s.ReadMessage()
		if err != nil {
			return
		}
		s.WriteMessages([][]byte{append([]byte("echo: "), m...)})
		s.ReadMessage() // until the client closes
	}()

	c, err := rawsocket.Dial(context.Background(), "unix", nl.Addr().String(), rawsocket.ClientConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.WriteMessages([][]byte{[]byte("hello")})
	m, err := c.ReadMessage()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(m))
	// Output:
	// echo: hello
}
