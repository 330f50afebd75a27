package listen

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/rawsocket"
)

// logBuffer is a goroutine-safe log destination.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (lb *logBuffer) Write(p []byte) (int, error) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return lb.b.Write(p)
}

func (lb *logBuffer) String() string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return lb.b.String()
}

// upgrade sends a WebSocket upgrade from origin and returns the status.
func upgrade(t *testing.T, addr, origin string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Protocol: wamp.2.json\r\nOrigin: %s\r\n\r\n", addr, origin)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRefusedOriginLogged: a refused browser origin is logged at warn
// with the key that admits it, once per origin.
func TestRefusedOriginLogged(t *testing.T) {
	var logs logBuffer
	r, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "realm1"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l, err := Open("ws://127.0.0.1:0/ws", Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Serve(r) }()
	defer func() { l.Close(); <-done }()
	for _, origin := range []string{"http://evil.example", "http://evil.example", "http://other.example"} {
		if got := upgrade(t, l.Addr(), origin); got != http.StatusForbidden {
			t.Fatalf("origin %s: status %d, want 403", origin, got)
		}
	}
	want := `level=WARN msg="websocket upgrade refused: origin not allowed" origin=http://evil.example listen=ws://127.0.0.1:0/ws fix="add the origin to this listener's allowed_origins in the config file"`
	got := logs.String()
	if !strings.Contains(got, want) || strings.Count(got, "evil.example") != 1 || strings.Count(got, "other.example") != 1 {
		t.Errorf("log:\n%s\nwant once per origin a line such as\n%s", got, want)
	}
}

// TestRefusedOriginsBounded: origins beyond maxLoggedOrigins get one line
// between them, and are not remembered.
func TestRefusedOriginsBounded(t *testing.T) {
	var logs logBuffer
	l := newListener("ws://x", KindWebSocket, nil, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for i := range 3 * maxLoggedOrigins {
		l.originRefused(fmt.Sprintf("http://o%d.example", i))
		l.originRefused(fmt.Sprintf("http://o%d.example", i))
	}
	if n := strings.Count(logs.String(), "\n"); n != maxLoggedOrigins+1 {
		t.Errorf("%d lines, want %d", n, maxLoggedOrigins+1)
	}
	if len(l.origins.seen) != maxLoggedOrigins {
		t.Errorf("%d origins remembered", len(l.origins.seen))
	}
}

// TestRawSocketClientOnWebSocketPort: a RawSocket client dialled to a
// ws:// listener is told at once that this is an HTTP/WebSocket port,
// instead of waiting for the HTTP server's timeout.
func TestRawSocketClientOnWebSocketPort(t *testing.T) {
	r, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "realm1"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l, err := Open("ws://127.0.0.1:0/ws", Config{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Serve(r) }()
	defer func() { l.Close(); <-done }()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	_, err = rawsocket.Dial(ctx, "tcp", l.Addr(), rawsocket.ClientConfig{})
	if err == nil || !strings.Contains(err.Error(), "this is an HTTP/WebSocket port") || time.Since(start) > 2*time.Second {
		t.Errorf("after %v: %v", time.Since(start), err)
	}
	// The WebSocket side still serves.
	if got := upgrade(t, l.Addr(), "http://evil.example"); got != http.StatusForbidden {
		t.Errorf("upgrade: %d", got)
	}
	if st := l.Stats(); st.HandshakeFailures != 2 {
		t.Errorf("stats %+v, want 2 handshake failures", st)
	}
}
