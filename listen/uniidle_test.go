package listen

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestUniParksIdleRawSocket: an idle RawSocket session that came in over uni:// holds no goroutine of the
// router's (its connection is parked as over rs://), where it used to keep its reader: about 16 KB of a
// gateway's memory per idle device against 1.3 KB over rs://.
func TestUniParksIdleRawSocket(t *testing.T) {
	const sessions = 40
	for _, u := range []string{"uni://127.0.0.1:0/ws", "rs://127.0.0.1:0"} {
		t.Run(u[:3], func(t *testing.T) {
			l := serveOn(t, u, Config{})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			ser, _ := wamp.SerializerByID(wamp.SerializerJSON)
			hello, err := ser.AppendMessage(nil, &wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"publisher": wamp.Dict{}}}})
			if err != nil {
				t.Fatal(err)
			}
			join := func() *rawsocket.Conn {
				c, err := rawsocket.Dial(ctx, "tcp", l.Addr(), rawsocket.ClientConfig{Serializer: ser})
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
