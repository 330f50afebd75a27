package listen

import (
	"context"
	"crypto/tls"
	"errors"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wstransport"
)

// wsJoined dials a WebSocket session to url and joins realm1; the test closes it at its end.
func wsJoined(ctx context.Context, t *testing.T, url string, conf *tls.Config) *wstransport.Conn {
	t.Helper()
	c, err := wstransport.Dial(ctx, url, wstransport.ClientConfig{TLS: conf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.WriteMessages([][]byte{[]byte(`[1, "realm1", {"roles": {"publisher": {}}}]`)}); err != nil {
		t.Fatal(err)
	}
	if m, err := c.ReadMessage(); err != nil {
		t.Fatal(err)
	} else if len(m) < 3 || string(m[:3]) != "[2," {
		t.Fatalf("got %s, want WELCOME", m)
	}
	return c
}

// TestWebSocketIdleHoldsNoGoroutine: an idle WebSocket session over ws:// (uni://'s WebSocket half, wss://)
// holds no goroutine: the request's handler returns once the session is attached, and the connection
// parks while idle as RawSocket's does. It used to hold two (net/http's handler and the session's
// reader) and about 32 KB of a gateway's memory (42 KB over wss://) against 1.3 KB over rs://.
func TestWebSocketIdleHoldsNoGoroutine(t *testing.T) {
	const sessions = 40
	cert, key, conf := tlsFiles(t)
	for _, u := range []string{"ws://127.0.0.1:0/ws", "uni://127.0.0.1:0/ws", "wss://127.0.0.1:0/ws"} {
		t.Run(u[:3], func(t *testing.T) {
			var cfg Config
			url, cc := "ws://", (*tls.Config)(nil)
			if u[:3] == "wss" {
				cfg.Cert, cfg.Key, url, cc = cert, key, "wss://", conf
			}
			l := serveOn(t, u, cfg)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			url += l.Addr() + "/ws"
			wsJoined(ctx, t, url, cc) // the listener's and router's own goroutines are running after the first
			settle := func() int {
				time.Sleep(300 * time.Millisecond) // past Park's linger
				return runtime.NumGoroutine()
			}
			before := settle()
			conns := make([]*wstransport.Conn, sessions)
			for i := range conns {
				conns[i] = wsJoined(ctx, t, url, cc)
			}
			after := before
			for deadline := time.Now().Add(5 * time.Second); ; {
				if after = settle(); after-before < sessions/4 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d idle sessions hold %d more goroutines (%d before, %d after), want none each", sessions, after-before, before, after)
				}
			}
			// Parked sessions still work: each publishes with acknowledgement.
			for i, c := range conns {
				pub := []byte(`[16, ` + strconv.Itoa(i+1) + `, {"acknowledge": true}, "com.example.idle"]`)
				if err := c.WriteMessages([][]byte{pub}); err != nil {
					t.Fatal(err)
				}
			}
			for _, c := range conns {
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				if m, err := c.ReadMessage(); err != nil {
					t.Fatal(err)
				} else if len(m) < 4 || string(m[:4]) != "[17," {
					t.Fatalf("got %s, want PUBLISHED", m)
				}
			}
		})
	}
}

// TestWebSocketSourceSlotHeldBySession: the per-address slot of a WebSocket session is held until the
// session ends, not only while the upgrade request runs (its handler returns once the session is
// attached), and released then.
func TestWebSocketSourceSlotHeldBySession(t *testing.T) {
	l := serveOn(t, "ws://127.0.0.1:0/ws", Config{MaxConnsPerSource: 1, LimitLocal: true})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	url := "ws://" + l.Addr() + "/ws"
	first := wsJoined(ctx, t, url, nil)
	var he *wstransport.HandshakeError
	if c, err := wstransport.Dial(ctx, url, wstransport.ClientConfig{}); err == nil {
		c.Close()
		t.Fatal("a second session from the address was upgraded while the first runs")
	} else if !errors.As(err, &he) || he.StatusCode != 503 {
		t.Fatalf("second session: %v, want HTTP 503", err)
	}
	first.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := wstransport.Dial(ctx, url, wstransport.ClientConfig{})
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the address's slot was not released when its session ended: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s := l.Stats(); s.RefusedPerSource == 0 {
		t.Errorf("stats %+v: want the refusal counted", s)
	}
}
