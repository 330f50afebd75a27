package wstransport

import (
	"bytes"
	"errors"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// TestSetReadLimit: a server that lowers its read limit (as a router does
// until the client authenticates) takes messages up to it and ends the
// connection with 1009 beyond it; n <= 0 restores the connection's limit.
func TestSetReadLimit(t *testing.T) {
	ts := startServer(t, ServerConfig{MaxMessageSize: 4096}, nil, func(tr wamp.Transport) error {
		tr.(wamp.ReadLimiter).SetReadLimit(100)
		return echo(tr)
	})
	c := dial(t, ts.url, ClientConfig{MaxMessageSize: 4096})
	if err := c.WriteMessages([][]byte{bytes.Repeat([]byte("a"), 100)}); err != nil {
		t.Fatal(err)
	}
	if m, err := c.ReadMessage(); err != nil || len(m) != 100 {
		t.Fatalf("message at the lowered limit: %d bytes, %v", len(m), err)
	}
	if err := c.WriteMessages([][]byte{bytes.Repeat([]byte("a"), 101)}); err != nil {
		t.Fatal(err)
	}
	if err := ts.sessionErr(t); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("session ended with %v, want ErrMessageTooLarge", err)
	}
	for _, n := range []int{0, -1, 1 << 20} {
		c.SetReadLimit(n)
		if got := c.readLimit(); got != 4096 {
			t.Errorf("SetReadLimit(%d): limit %d, want 4096", n, got)
		}
	}
}
