package wstransport

import (
	"crypto/tls"
	"net/http"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/internal/parkpoll"
	"github.com/edgewamp/edgewamp/wamp"
)

// startAttach serves AttachHandler on 127.0.0.1:0 (over TLS with tlsCfg
// when not nil) and returns its URL and the server-side connections, as
// they are attached; returned tells when each request's handler has
// returned. The test owns the connections.
func startAttach(t testing.TB, tlsCfg *tls.Config) (url string, conns <-chan *Conn, returned <-chan struct{}) {
	t.Helper()
	cc := make(chan *Conn, 64)
	rc := make(chan struct{}, 64)
	h := AttachHandler(ServerConfig{}, func(tr wamp.Transport, _ *http.Request) { cc <- tr.(*Conn) })
	mux := http.NewServeMux()
	mux.Handle("/ws", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		rc <- struct{}{}
	}))
	url, _ = serveMux(t, mux, tlsCfg, nil)
	return url, cc, rc
}

// next returns the next value of ch, failing the test after testTimeout.
func next[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		t.Fatalf("no %s", what)
		var zero T
		return zero
	}
}

// TestAttachHandlerOutlivesRequest: the request's handler returns once the
// connection is attached, the connection stays open and works (its owner
// reads and writes it), and it ends when its owner closes it, without
// leaving a goroutine.
func TestAttachHandlerOutlivesRequest(t *testing.T) {
	parkpoll.Available() // the process's poller runs from the first server connection on
	checkGoroutines(t)
	url, conns, returned := startAttach(t, nil)
	c := dial(t, url, ClientConfig{})
	sc := next(t, conns, "attached connection")
	next(t, returned, "return of the request's handler")
	ended := make(chan error, 1)
	go func() {
		ended <- echo(sc)
		sc.Close()
	}()
	for i := range 3 {
		msg := []byte(`["hello",` + string(rune('0'+i)) + `]`)
		if err := c.WriteMessages([][]byte{msg}); err != nil {
			t.Fatal(err)
		}
		got, err := c.ReadMessage()
		if err != nil || string(got) != string(msg) {
			t.Fatalf("echo %d: %q, %v; want %q", i, got, err, msg)
		}
	}
	c.Close()
	if err := next(t, ended, "end of the session"); err == nil {
		t.Fatal("session ended without an error")
	}
}
