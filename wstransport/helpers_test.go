package wstransport

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 10 * time.Second

// fakeSerializer stands in for a serializer whose name and frame type are
// all that the transport uses.
type fakeSerializer struct {
	name   string
	binary bool
}

func (s fakeSerializer) ID() wamp.SerializerID { return 0 }
func (s fakeSerializer) Name() string          { return s.name }
func (s fakeSerializer) Binary() bool          { return s.binary }
func (s fakeSerializer) AppendMessage(dst []byte, m wamp.Message) ([]byte, error) {
	return dst, errors.New("fake serializer")
}
func (s fakeSerializer) DecodeMessage(b []byte) (wamp.Message, error) {
	return nil, errors.New("fake serializer")
}

// checkGoroutines fails the test if, once its cleanups have run, more
// goroutines are left than when it started. Call it first in a test, so that
// its cleanup runs last.
func checkGoroutines(t testing.TB) {
	t.Helper()
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(testTimeout)
		for runtime.NumGoroutine() > base {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				t.Errorf("goroutine leak: %d goroutines, %d at start\n%s", runtime.NumGoroutine(), base, buf[:n])
				return
			}
			runtime.Gosched()
			time.Sleep(time.Millisecond) // polling for exit; nothing to wait on
		}
	})
}

// testServer is a Handler served by NewServer on 127.0.0.1:0.
type testServer struct {
	addr  string       // host:port
	url   string       // ws://host:port/ws (wss:// with TLS)
	conns chan *Conn   // every server-side connection, as serve starts
	errs  chan error   // the error that ended each echo session
	live  atomic.Int64 // serve calls running
}

// echo serves a session that sends back every message until a read fails.
func echo(t wamp.Transport) error {
	for {
		m, err := t.ReadMessage()
		if err != nil {
			return err
		}
		if err := t.WriteMessages([][]byte{m}); err != nil {
			return err
		}
	}
}

// startServer starts an echo server (or one running serve when not nil).
func startServer(t testing.TB, cfg ServerConfig, tlsCfg *tls.Config, serve func(wamp.Transport) error) *testServer {
	t.Helper()
	if serve == nil {
		serve = echo
	}
	ts := &testServer{conns: make(chan *Conn, 16), errs: make(chan error, 16)}
	h := Handler(cfg, func(tr wamp.Transport) {
		ts.live.Add(1)
		defer ts.live.Add(-1)
		ts.conns <- tr.(*Conn)
		ts.errs <- serve(tr)
	})
	mux := http.NewServeMux()
	mux.Handle("/ws", h)
	ts.url, ts.addr = serveMux(t, mux, tlsCfg, func() { ts.waitIdle(t) })
	return ts
}

// serveMux serves mux on 127.0.0.1:0 (over TLS with tlsCfg when not nil)
// until the test ends, and returns the URL of its /ws path and its address;
// after runs once the server has stopped.
func serveMux(t testing.TB, mux *http.ServeMux, tlsCfg *tls.Config, after func()) (url, addr string) {
	t.Helper()
	srv := NewServer("127.0.0.1:0", mux)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	url = "ws://" + addr + "/ws"
	if tlsCfg != nil {
		srv.TLSConfig = tlsCfg
		url = "wss://" + addr + "/ws"
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if tlsCfg != nil {
			_ = srv.ServeTLS(l, "", "")
		} else {
			_ = srv.Serve(l)
		}
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
		if after != nil {
			after()
		}
	})
	return url, addr
}

// waitIdle waits until no serve call runs, at most testTimeout. (A
// WaitGroup would not do: serve calls start on the network's schedule, with
// no happens-before edge to the test's Wait.)
func (ts *testServer) waitIdle(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for ts.live.Load() != 0 {
		if time.Now().After(deadline) {
			t.Error("serve functions did not return")
			return
		}
		time.Sleep(time.Millisecond) // polling for exit; nothing to wait on
	}
}

// serverConn returns the next server-side connection.
func (ts *testServer) serverConn(t testing.TB) *Conn {
	t.Helper()
	select {
	case c := <-ts.conns:
		return c
	case <-time.After(testTimeout):
		t.Fatal("no server connection")
		return nil
	}
}

// sessionErr returns the error that ended the next finished session.
func (ts *testServer) sessionErr(t testing.TB) error {
	t.Helper()
	select {
	case err := <-ts.errs:
		return err
	case <-time.After(testTimeout):
		t.Fatal("session did not end")
		return nil
	}
}

// dial dials ts and closes the connection at cleanup.
func dial(t testing.TB, url string, cfg ClientConfig) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := Dial(ctx, url, cfg)
	if err != nil {
		t.Fatalf("Dial(%s): %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// rawConn is a hand-written WebSocket client, for what Dial never sends.
type rawConn struct {
	nc net.Conn
	br *bufio.Reader
}

// rawResponse is a server's answer to a raw handshake.
type rawResponse struct {
	status   int
	header   http.Header
	body     string
	conn     *rawConn // after a 101
	closeErr error
}

// rawHandshake sends a WebSocket upgrade request to addr with extra header
// lines ("Name: value") and reads the answer.
func rawHandshake(t testing.TB, addr string, lines ...string) rawResponse {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(testTimeout))
	req := "GET /ws HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	for _, l := range lines {
		req += l + "\r\n"
	}
	if _, err := io.WriteString(nc, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		nc.Close()
		t.Fatalf("reading handshake answer: %v", err)
	}
	r := rawResponse{status: resp.StatusCode, header: resp.Header}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		r.body = strings.TrimSpace(string(b))
		nc.Close()
		return r
	}
	r.conn = &rawConn{nc: nc, br: br}
	t.Cleanup(func() { nc.Close() })
	return r
}

// writeFrame writes one masked frame (a client's). first is the first header
// byte (FIN, RSV and opcode).
func (rc *rawConn) writeFrame(t testing.TB, first byte, payload []byte) {
	t.Helper()
	hdr := []byte{first, 0x80}
	switch n := len(payload); {
	case n <= 125:
		hdr[1] |= byte(n)
	case n < 1<<16:
		hdr[1] |= 126
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	default:
		hdr[1] |= 127
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	hdr = append(hdr, key[:]...)
	masked := make([]byte, len(payload))
	for i, b := range payload {
		masked[i] = b ^ key[i%4]
	}
	if _, err := rc.nc.Write(append(hdr, masked...)); err != nil {
		t.Fatalf("write frame: %v", err)
	}
}

// readFrame reads one unmasked frame (a server's).
func (rc *rawConn) readFrame() (first byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(rc.br, h[:]); err != nil {
		return 0, nil, err
	}
	if h[1]&0x80 != 0 {
		return 0, nil, errors.New("server frame is masked")
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(rc.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(rc.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 1<<24 {
		return 0, nil, fmt.Errorf("frame too long: %d", n)
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(rc.br, payload)
	return h[0], payload, err
}

// expectClose reads frames until a close frame, and returns its status.
func (rc *rawConn) expectClose(t testing.TB) int {
	t.Helper()
	for {
		first, p, err := rc.readFrame()
		if err != nil {
			t.Fatalf("waiting for a close frame: %v", err)
		}
		if first&0x0F == opClose {
			if len(p) < 2 {
				return 0
			}
			return int(binary.BigEndian.Uint16(p))
		}
	}
}
