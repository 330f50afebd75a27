package wstransport_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// Example serves an echo session behind Handler, dials it with MessagePack
// and sends a HELLO through it.
func Example() {
	h := wstransport.Handler(wstransport.ServerConfig{}, func(t wamp.Transport) {
		for { // the connection ends when this function returns
			m, err := t.ReadMessage()
			if err != nil {
				return
			}
			if err := t.WriteMessages([][]byte{m}); err != nil {
				return
			}
		}
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := wstransport.NewServer(l.Addr().String(), h)
	go srv.Serve(l)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wstransport.Dial(ctx, "ws://"+l.Addr().String()+"/ws", wstransport.ClientConfig{Serializer: wamp.MsgPack})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Println("subprotocol:", c.Subprotocol())

	b, err := c.Serializer().AppendMessage(nil, &wamp.Hello{Realm: "realm1", Details: wamp.Dict{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.WriteMessages([][]byte{b}); err != nil {
		fmt.Println(err)
		return
	}
	reply, err := c.ReadMessage()
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := c.Serializer().DecodeMessage(reply)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("echoed: %T for %s\n", m, m.(*wamp.Hello).Realm)
	// Output:
	// subprotocol: wamp.2.msgpack
	// echoed: *wamp.Hello for realm1
}

// ExampleAttachHandler hands each connection over to a session that
// outlives its HTTP request (as minirouter.Router.Attach does): the
// request's goroutine and net/http's buffers go as soon as the handler
// returns.
func ExampleAttachHandler() {
	h := wstransport.AttachHandler(wstransport.ServerConfig{}, func(t wamp.Transport, _ *http.Request) {
		go func() {
			defer t.Close() // the session owns t
			if m, err := t.ReadMessage(); err == nil {
				_ = t.WriteMessages([][]byte{append([]byte("got "), m...)})
			}
		}()
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wstransport.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", wstransport.ClientConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if err := c.WriteMessages([][]byte{[]byte(`[1,"realm1",{}]`)}); err != nil {
		fmt.Println(err)
		return
	}
	reply, err := c.ReadMessage()
	fmt.Printf("%s %v\n", reply, err)
	// Output:
	// got [1,"realm1",{}] <nil>
}
