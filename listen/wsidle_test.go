package listen

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wstransport"
)

// wsJoined dials a WebSocket session to url and joins realm1; the test closes it at its end.
func wsJoined(ctx context.Context, t *testing.T, url string) *wstransport.Conn {
	t.Helper()
	c, err := wstransport.Dial(ctx, url, wstransport.ClientConfig{})
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

// TestWebSocketSourceSlotHeldBySession: the per-address slot of a WebSocket session is held until the
// session ends, not only while the upgrade request runs (its handler returns once the session is
// attached), and released then.
func TestWebSocketSourceSlotHeldBySession(t *testing.T) {
	l := serveOn(t, "ws://127.0.0.1:0/ws", Config{MaxConnsPerSource: 1, LimitLocal: true})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	url := "ws://" + l.Addr() + "/ws"
	first := wsJoined(ctx, t, url)
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
