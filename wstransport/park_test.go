//go:build linux && !edgewamp_board

package wstransport

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/internal/parkpoll"
	"github.com/edgewamp/edgewamp/wamp"
)

// parkedPair returns a hand-written client upgraded through AttachHandler
// (sending extra, if any, in the same write as its request) and the server's
// connection, whose reader is the test's.
func parkedPair(t *testing.T) (*rawConn, *Conn) {
	t.Helper()
	url, conns, _ := startAttach(t, nil)
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/ws")
	r := rawHandshake(t, addr, "Sec-WebSocket-Protocol: wamp.2.json")
	if r.conn == nil {
		t.Fatalf("handshake: HTTP %d %s", r.status, r.body)
	}
	sc := next(t, conns, "attached connection")
	t.Cleanup(func() { sc.Close() })
	return r.conn, sc
}

// park parks c, failing the test when it does not (it has input, or cannot
// park); the returned channel gets a value when the park's resume runs.
func park(t *testing.T, c *Conn) <-chan struct{} {
	t.Helper()
	woke := make(chan struct{}, 1)
	if !c.Park(func() { woke <- struct{}{} }) {
		t.Fatal("Park returned false with no input")
	}
	return woke
}

// TestParkWakesForMessage: a parked server connection holds no read buffer,
// and wakes for the next message, which ReadMessage then returns; a
// message already there is not waited for.
func TestParkWakesForMessage(t *testing.T) {
	parkpoll.Available() // the process's poller runs from the first park on
	checkGoroutines(t)
	cl, sc := parkedPair(t)
	woke := park(t, sc)
	if sc.br != nil {
		t.Error("a parked connection keeps its read buffer")
	}
	cl.writeFrame(t, 0x81, []byte(`["one"]`))
	next(t, woke, "wake-up for a message")
	if sc.Park(func() { t.Error("parked with a message to read") }) {
		t.Fatal("Park returned true with a message to read")
	}
	if m, err := sc.ReadMessage(); err != nil || string(m) != `["one"]` {
		t.Fatalf("ReadMessage: %q, %v", m, err)
	}
	// Two messages: the second is buffered with the first, or comes
	// later; either way the reader gets both.
	cl.writeFrame(t, 0x81, []byte(`["two"]`))
	cl.writeFrame(t, 0x81, []byte(`["three"]`))
	for _, want := range []string{`["two"]`, `["three"]`} {
		if m, err := parkRead(t, sc); err != nil || string(m) != want {
			t.Fatalf("ReadMessage: %q, %v; want %s", m, err, want)
		}
	}
}

// parkRead reads the next message as the router's reader does: it parks
// while no input comes.
func parkRead(t *testing.T, c *Conn) ([]byte, error) {
	t.Helper()
	for {
		woke := make(chan struct{}, 1)
		if !c.Park(func() { woke <- struct{}{} }) {
			return c.ReadMessage()
		}
		next(t, woke, "wake-up")
	}
}

// TestParkAnswersPing: a ping that comes while the connection is parked is
// answered by the next Park, which parks again without a message for the
// reader; a ping buffered before a message is answered too.
func TestParkAnswersPing(t *testing.T) {
	parkpoll.Available() // the process's poller runs from the first park on
	checkGoroutines(t)
	cl, sc := parkedPair(t)
	woke := park(t, sc)
	cl.writeFrame(t, 0x89, []byte("are you there"))
	next(t, woke, "wake-up for a ping")
	woke = park(t, sc) // answers the ping and parks again
	first, p, err := cl.readFrame()
	if err != nil || first != 0x80|opPong || string(p) != "are you there" {
		t.Fatalf("got frame %#x %q, %v; want the pong", first, p, err)
	}
	cl.writeFrame(t, 0x8A, []byte("unsolicited")) // a pong: ignored
	next(t, woke, "wake-up for a pong")
	woke = park(t, sc)
	cl.writeFrame(t, 0x89, []byte("ping 2"))
	cl.writeFrame(t, 0x81, []byte(`["after the ping"]`))
	next(t, woke, "wake-up for a ping")
	if m, err := parkRead(t, sc); err != nil || string(m) != `["after the ping"]` {
		t.Fatalf("ReadMessage: %q, %v", m, err)
	}
	if first, p, err := cl.readFrame(); err != nil || first != 0x80|opPong || string(p) != "ping 2" {
		t.Fatalf("got frame %#x %q, %v; want the pong", first, p, err)
	}
}

// TestParkWakesForClose: a parked connection wakes when it is closed (its
// reader then sees ErrClosed) and when the peer's close frame comes (io.EOF).
func TestParkWakesForClose(t *testing.T) {
	parkpoll.Available() // the process's poller runs from the first park on
	checkGoroutines(t)
	t.Run("local", func(t *testing.T) {
		_, sc := parkedPair(t)
		woke := park(t, sc)
		sc.Close()
		next(t, woke, "wake-up at Close")
		if sc.Park(func() {}) {
			t.Fatal("a closed connection parked")
		}
		if _, err := sc.ReadMessage(); !errors.Is(err, ErrClosed) {
			t.Fatalf("ReadMessage after Close: %v, want ErrClosed", err)
		}
	})
	t.Run("peer", func(t *testing.T) {
		cl, sc := parkedPair(t)
		woke := park(t, sc)
		cl.writeFrame(t, 0x88, []byte{0x03, 0xE8})
		next(t, woke, "wake-up for a close frame")
		if sc.Park(func() {}) {
			t.Fatal("parked with a close frame to read")
		}
		if _, err := sc.ReadMessage(); !errors.Is(err, io.EOF) {
			t.Fatalf("ReadMessage after the peer's close: %v, want io.EOF", err)
		}
	})
}

// TestParkWakesAtDeadline: a parked connection wakes at its read deadline,
// and ReadMessage then reports the timeout.
func TestParkWakesAtDeadline(t *testing.T) {
	parkpoll.Available() // the process's poller runs from the first park on
	checkGoroutines(t)
	_, sc := parkedPair(t)
	if err := sc.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	woke := park(t, sc)
	next(t, woke, "wake-up at the read deadline")
	if sc.Park(func() {}) {
		t.Fatal("parked past its read deadline")
	}
	if _, err := sc.ReadMessage(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("ReadMessage: %v, want a timeout", err)
	}
}

// TestParkNotPossible: clients do not park.
func TestParkNotPossible(t *testing.T) {
	parkpoll.Available() // the process's poller runs from the first park on
	checkGoroutines(t)
	ts := startServer(t, ServerConfig{}, nil, nil)
	c := dial(t, ts.url, ClientConfig{})
	if c.Park(func() { t.Error("a client parked") }) {
		t.Error("a client's Park returned true")
	}
	var _ wamp.Parker = c
}

// TestParkTLS: a connection over TLS parks, wakes for a message, and does
// not park while crypto/tls holds a whole message that the read buffer
// has not taken yet (a record carrying more than the buffer's 4 KiB), for
// a slow sender (which only looks) as for a busy one.
func TestParkTLS(t *testing.T) {
	parkpoll.Available()
	checkGoroutines(t)
	cert, pool := selfSigned(t)
	url, conns, _ := startAttach(t, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	c := dial(t, url, ClientConfig{TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
	sc := next(t, conns, "attached connection")
	t.Cleanup(func() { sc.Close() })
	woke := park(t, sc)
	if err := c.WriteMessages([][]byte{[]byte(`["one"]`)}); err != nil {
		t.Fatal(err)
	}
	next(t, woke, "wake-up for a message")
	if m, err := parkRead(t, sc); err != nil || string(m) != `["one"]` {
		t.Fatalf("ReadMessage: %q, %v", m, err)
	}
	for _, slow := range []bool{false, true} {
		// A first frame of exactly the read buffer's size (8 octets of
		// header), the second in the same record: once the first is
		// read, the buffer is empty and crypto/tls holds the second.
		big := bytes.Repeat([]byte("x"), readBufferSize-8)
		if err := c.WriteMessages([][]byte{big, []byte(`["two"]`)}); err != nil {
			t.Fatal(err)
		}
		if m, err := parkRead(t, sc); err != nil || len(m) != len(big) {
			t.Fatalf("ReadMessage: %d octets, %v; want %d", len(m), err, len(big))
		}
		if slow {
			sc.pk.since = time.Now().Add(-time.Second).UnixNano() // Park only looks
		}
		if sc.Park(func() { t.Error("parked with a message held by crypto/tls") }) {
			t.Fatalf("slow %v: parked with a message held by crypto/tls", slow)
		}
		if m, err := sc.ReadMessage(); err != nil || string(m) != `["two"]` {
			t.Fatalf("ReadMessage: %q, %v", m, err)
		}
	}
	woke = park(t, sc)
	c.Close()
	next(t, woke, "wake-up for the close")
	if _, err := parkRead(t, sc); !errors.Is(err, io.EOF) {
		t.Fatalf("ReadMessage after the peer's close: %v, want io.EOF", err)
	}
}
