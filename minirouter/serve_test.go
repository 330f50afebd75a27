package minirouter

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// serveTCP serves RawSocket for r on a loopback listener and returns its
// address; the test ends by closing the router, after which serving must
// have ended with ErrRouterClosed.
func serveTCP(t *testing.T, r *Router) string {
	t.Helper()
	addr, _ := serveTCPWith(t, r, rawsocket.ListenConfig{})
	return addr
}

// serveTCPWith is serveTCP with a listener config; it returns the server
// too.
func serveTCPWith(t *testing.T, r *Router, cfg rawsocket.ListenConfig) (string, *rawServer) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newRawServer(r, l, cfg)
	done := make(chan error, 1)
	go func() { done <- srv.serve() }()
	t.Cleanup(func() {
		r.Close()
		if err := <-done; !errors.Is(err, ErrRouterClosed) {
			t.Errorf("Serve = %v, want ErrRouterClosed", err)
		}
	})
	return l.Addr().String(), srv
}

// dialRaw opens a plain TCP connection, closed at the end of the test.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(stepTimeout))
	return nc
}

// rawHandshake sends a RawSocket handshake asking for JSON with a 16 MiB
// maximum and checks the router's acceptance.
func rawHandshake(t *testing.T, nc net.Conn) {
	t.Helper()
	if _, err := nc.Write([]byte{0x7F, 0xF1, 0, 0}); err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	if _, err := io.ReadFull(nc, b[:]); err != nil {
		t.Fatalf("handshake reply: %v", err)
	}
	if b[0] != 0x7F || b[1]&0x0F != 1 || b[2] != 0 || b[3] != 0 {
		t.Fatalf("handshake reply % x, want 7f x1 00 00", b)
	}
}

// frame builds a RawSocket frame: type (0 message, 1 PING, 2 PONG) and payload.
func frame(typ byte, payload string) []byte {
	n := len(payload)
	return append([]byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}, payload...)
}

// readFrame reads one frame.
func readFrame(t *testing.T, nc net.Conn) (byte, []byte) {
	t.Helper()
	var h [4]byte
	if _, err := io.ReadFull(nc, h[:]); err != nil {
		t.Fatalf("frame header: %v", err)
	}
	b := make([]byte, int(h[1])<<16|int(h[2])<<8|int(h[3]))
	if _, err := io.ReadFull(nc, b); err != nil {
		t.Fatalf("frame body: %v", err)
	}
	return h[0], b
}

// expectClosed checks that the router closes nc.
func expectClosed(t *testing.T, nc net.Conn) {
	t.Helper()
	b, err := io.ReadAll(nc)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection not closed (read %x)", b)
		}
	}
}

// dialSession dials with the rawsocket package and joins realm1.
func dialSession(t *testing.T, addr string, s wamp.Serializer) *testClient {
	t.Helper()
	c := dialClient(t, addr, rawsocket.ClientConfig{Serializer: s})
	c.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
	c.id = expect[*wamp.Welcome](c).Session
	return c
}

// dialClient dials with the rawsocket package, closing the connection at
// the end of the test; the client has not said HELLO.
func dialClient(t *testing.T, addr string, cfg rawsocket.ClientConfig) *testClient {
	t.Helper()
	rc, err := rawsocket.Dial(context.Background(), "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("rawsocket.Dial: %v", err)
	}
	t.Cleanup(func() { rc.Close() })
	return &testClient{t: t, tr: rc}
}

// rpcWorks checks that caller can call a procedure of callee and get the
// answer back.
func rpcWorks(t *testing.T, caller, callee *testClient, proc wamp.URI) {
	t.Helper()
	callee.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: proc})
	expect[*wamp.Registered](callee)
	caller.send(&wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: proc, Payload: wamp.Payload{Args: wamp.List{"ping"}}})
	inv := expect[*wamp.Invocation](callee)
	callee.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}, Payload: inv.Payload})
	res := expect[*wamp.Result](caller)
	if len(res.Args) != 1 || res.Args[0] != "ping" {
		t.Fatalf("RESULT args %v", res.Args)
	}
}

func TestRawSocketConformance(t *testing.T) {
	r := newTestRouter(t, Config{})
	addr := serveTCP(t, r)
	// A healthy pair of sessions that must keep working throughout.
	caller := dialSession(t, addr, wamp.JSON)
	callee := dialSession(t, addr, wamp.MsgPack)

	t.Run("bad serializer", func(t *testing.T) {
		nc := dialRaw(t, addr)
		nc.Write([]byte{0x7F, 0xF5, 0, 0})
		var b [4]byte
		if _, err := io.ReadFull(nc, b[:]); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b[:], []byte{0x7F, 0x10, 0, 0}) {
			t.Fatalf("reply % x, want 7f 10 00 00 (serializer unsupported)", b)
		}
		expectClosed(t, nc)
	})
	t.Run("reserved bits", func(t *testing.T) {
		nc := dialRaw(t, addr)
		nc.Write([]byte{0x7F, 0xF1, 0, 1})
		var b [4]byte
		if _, err := io.ReadFull(nc, b[:]); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b[:], []byte{0x7F, 0x30, 0, 0}) {
			t.Fatalf("reply % x, want 7f 30 00 00 (reserved bits)", b)
		}
		expectClosed(t, nc)
	})
	t.Run("bad magic", func(t *testing.T) {
		nc := dialRaw(t, addr)
		nc.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
		expectClosed(t, nc)
	})
	t.Run("ping answered", func(t *testing.T) {
		nc := dialRaw(t, addr)
		rawHandshake(t, nc)
		nc.Write(frame(1, "are you there"))
		typ, b := readFrame(t, nc)
		if typ != 2 || string(b) != "are you there" {
			t.Fatalf("got frame type %d %q, want PONG echoing the payload", typ, b)
		}
		// The session still works after the PING.
		nc.Write(frame(0, `[1,"realm1",{"roles":{"caller":{}}}]`))
		if typ, b := readFrame(t, nc); typ != 0 || !bytes.HasPrefix(b, []byte("[2,")) {
			t.Fatalf("got frame type %d %s, want WELCOME", typ, b)
		}
	})
	t.Run("too large frame", func(t *testing.T) {
		nc := dialRaw(t, addr)
		rawHandshake(t, nc)
		// The router's limit is 1 MiB; announce 2 MiB.
		nc.Write([]byte{0, 0x20, 0, 0})
		expectClosed(t, nc)
	})
	t.Run("garbage after handshake", func(t *testing.T) {
		nc := dialRaw(t, addr)
		rawHandshake(t, nc)
		nc.Write(frame(0, "\x00\x01garbage"))
		typ, b := readFrame(t, nc)
		if typ != 0 || !bytes.Contains(b, []byte(`"wamp.error.protocol_violation"`)) || !bytes.HasPrefix(b, []byte("[3,")) {
			t.Fatalf("got %d %s, want ABORT protocol_violation", typ, b)
		}
		expectClosed(t, nc)
	})
	t.Run("garbage after WELCOME", func(t *testing.T) {
		nc := dialRaw(t, addr)
		rawHandshake(t, nc)
		nc.Write(frame(0, `[1,"realm1",{"roles":{"caller":{}}}]`))
		if typ, b := readFrame(t, nc); typ != 0 || !bytes.HasPrefix(b, []byte("[2,")) {
			t.Fatalf("got frame type %d %s, want WELCOME", typ, b)
		}
		nc.Write(frame(0, "[48,1,{},"))
		typ, b := readFrame(t, nc)
		if typ != 0 || !bytes.HasPrefix(b, []byte("[3,")) || !bytes.Contains(b, []byte(`"wamp.error.protocol_violation"`)) {
			t.Fatalf("got %d %s, want ABORT protocol_violation", typ, b)
		}
		expectClosed(t, nc)
	})
	t.Run("no HELLO", func(t *testing.T) {
		nc := dialRaw(t, addr)
		rawHandshake(t, nc)
		nc.Write(frame(0, `[48,1,{},"com.x"]`))
		typ, b := readFrame(t, nc)
		if typ != 0 || !bytes.HasPrefix(b, []byte(`[3,{"message":`)) {
			t.Fatalf("got %d %s, want ABORT", typ, b)
		}
		expectClosed(t, nc)
	})
	rpcWorks(t, caller, callee, "com.still.serving")
}

func TestRawSocketHandshakeTimeout(t *testing.T) {
	r := newTestRouter(t, Config{})
	addr, _ := serveTCPWith(t, r, rawsocket.ListenConfig{ServerConfig: rawsocket.ServerConfig{HandshakeTimeout: 50 * time.Millisecond}})
	nc := dialRaw(t, addr)
	nc.Write([]byte{0x7F}) // and then nothing
	expectClosed(t, nc)
}

func TestServeAfterClose(t *testing.T) {
	r, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := serveRaw(r, l); !errors.Is(err, ErrRouterClosed) {
		t.Errorf("Serve after Close = %v", err)
	}
	if _, err := l.Accept(); err == nil {
		t.Error("Serve after Close left the listener open")
	}
	if _, err := r.Connect(context.Background()); !errors.Is(err, ErrRouterClosed) {
		t.Errorf("Connect after Close = %v", err)
	}
}

// Serve returns when the caller closes the listener.
func TestServeListenerClosed(t *testing.T) {
	r := newTestRouter(t, Config{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serveRaw(r, l) }()
	c := dialSession(t, l.Addr().String(), wamp.JSON)
	l.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Serve = %v, want net.ErrClosed", err)
	}
	// The session already served is not affected.
	c.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "com.t"})
	expect[*wamp.Subscribed](c)
}

// tempErrListener fails Accept with a temporary error a few times.
type tempErrListener struct {
	net.Listener
	fails int
}

type tempErr struct{}

func (tempErr) Error() string   { return "temporary" }
func (tempErr) Timeout() bool   { return false }
func (tempErr) Temporary() bool { return true }

func (l *tempErrListener) Accept() (net.Conn, error) {
	if l.fails > 0 {
		l.fails--
		return nil, tempErr{}
	}
	return l.Listener.Accept()
}

func TestServeRetriesTemporaryErrors(t *testing.T) {
	r := newTestRouter(t, Config{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serveRaw(r, &tempErrListener{Listener: l, fails: 3}) }()
	dialSession(t, l.Addr().String(), wamp.MsgPack)
	r.Close()
	if err := <-done; !errors.Is(err, ErrRouterClosed) {
		t.Errorf("Serve = %v", err)
	}
}

func TestServeUnixSocket(t *testing.T) {
	r := newTestRouter(t, Config{})
	path := filepath.Join(t.TempDir(), "router.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Skipf("unix sockets: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- serveRaw(r, l) }()
	rc, err := rawsocket.Dial(context.Background(), "unix", path, rawsocket.ClientConfig{Serializer: wamp.MsgPack})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	c := &testClient{t: t, tr: rc}
	c.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
	expect[*wamp.Welcome](c)
	rpcWorks(t, c, c, "com.self")
	r.Close()
	if err := <-done; !errors.Is(err, ErrRouterClosed) {
		t.Errorf("Serve = %v", err)
	}
}

// TestServePendingHandshakesBounded: connections that never finish the
// RawSocket handshake hold at most MaxPendingHandshakes places; a newcomer
// is served, the oldest of them closed to make room for it (counted), and
// the handshake timeout closes the other.
func TestServePendingHandshakesBounded(t *testing.T) {
	r := newTestRouter(t, Config{})
	addr, srv := serveTCPWith(t, r, rawsocket.ListenConfig{MaxPendingHandshakes: 2,
		ServerConfig: rawsocket.ServerConfig{HandshakeTimeout: 300 * time.Millisecond}})
	silent := []net.Conn{dialRaw(t, addr), dialRaw(t, addr)}
	dialSession(t, addr, wamp.JSON)
	for _, nc := range silent {
		expectClosed(t, nc)
	}
	// the listener counts a failed handshake just after it closed the
	// connection: poll
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n, evicted := srv.handshakeFailures(), srv.rl.Stats().Evicted
		if n == 2 && evicted == 1 {
			break
		}
		if n > 2 || time.Now().After(deadline) {
			t.Fatalf("HandshakeFailures = %d, Evicted = %d; want 2 (1 evicted, 1 timed out), 1", n, evicted)
		}
	}
}
