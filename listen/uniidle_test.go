package listen

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestUniParksIdleRawSocket: an idle RawSocket session that came in over uni:// or rss:// holds no
// goroutine of the router's (its connection is parked as over rs://), where it used to keep its reader:
// about 16 KB of a gateway's memory per idle device over uni:// and 24 KB over rss://, against 1.3 KB
// over rs://.
func TestUniParksIdleRawSocket(t *testing.T) {
	const sessions = 40
	cert, key, conf := tlsFiles(t)
	for _, u := range []string{"uni://127.0.0.1:0/ws", "rs://127.0.0.1:0", "rss://127.0.0.1:0"} {
		t.Run(u[:3], func(t *testing.T) {
			var cfg Config
			var cc rawsocket.ClientConfig
			if u[:3] == "rss" {
				cfg.Cert, cfg.Key, cc.TLS = cert, key, conf
			}
			l := serveOn(t, u, cfg)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			ser, _ := wamp.SerializerByID(wamp.SerializerJSON)
			hello, err := ser.AppendMessage(nil, &wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"publisher": wamp.Dict{}}}})
			if err != nil {
				t.Fatal(err)
			}
			cc.Serializer = ser
			join := func() *rawsocket.Conn {
				c, err := rawsocket.Dial(ctx, "tcp", l.Addr(), cc)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
				if err := c.WriteMessages([][]byte{hello}); err != nil {
					t.Fatal(err)
				}
				if b, err := c.ReadMessage(); err != nil {
					t.Fatal(err)
				} else if m, err := ser.DecodeMessage(b); err != nil || m.Type() != wamp.WELCOME {
					t.Fatalf("got %v (%v), want WELCOME", m, err)
				}
				return c
			}
			join() // the listener's and router's own goroutines are running after the first
			settle := func() int {
				time.Sleep(300 * time.Millisecond) // past Park's linger and the sweep's detach
				return runtime.NumGoroutine()
			}
			before := settle()
			for range sessions {
				join()
			}
			after := before
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
				if after = settle(); after-before < sessions/4 {
					return
				}
			}
			t.Errorf("%d idle sessions hold %d more goroutines (%d before, %d after), want none each", sessions, after-before, before, after)
		})
	}
}
