package wstransport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/edgewamp/edgewamp/wamp"
)

// TestRoundTrip sends messages both ways through Dial and Handler over
// 127.0.0.1 for each subprotocol.
func TestRoundTrip(t *testing.T) {
	for _, ser := range defaultSerializers() {
		t.Run(ser.Name(), func(t *testing.T) {
			checkGoroutines(t)
			ts := startServer(t, ServerConfig{}, nil, nil)
			c := dial(t, ts.url, ClientConfig{Serializer: ser})
			if got, want := c.Subprotocol(), "wamp.2."+ser.Name(); got != want {
				t.Errorf("Subprotocol() = %q, want %q", got, want)
			}
			if c.Serializer() != ser {
				t.Errorf("Serializer() = %v, want %v", c.Serializer(), ser)
			}
			if c.MaxMessageSize() != DefaultMaxMessageSize {
				t.Errorf("MaxMessageSize() = %d", c.MaxMessageSize())
			}
			if c.RemoteAddr() != ts.addr {
				t.Errorf("RemoteAddr() = %q, want %q", c.RemoteAddr(), ts.addr)
			}
			sc := ts.serverConn(t)
			if sc.Serializer() != ser {
				t.Errorf("server Serializer() = %v, want %v", sc.Serializer(), ser)
			}
			if host, _, _ := net.SplitHostPort(sc.RemoteAddr()); host != "127.0.0.1" {
				t.Errorf("server RemoteAddr() = %q", sc.RemoteAddr())
			}
			msgs := [][]byte{
				[]byte(`[1,"realm1",{}]`),
				{},
				bytes.Repeat([]byte{0, 0xFF, 'x'}, 300),  // 2-byte length
				bytes.Repeat([]byte("0123456789"), 7000), // 8-byte length
			}
			if err := c.WriteMessages(msgs); err != nil {
				t.Fatal(err)
			}
			readBack(t, c, msgs)
			_ = c.Close()
			if err := ts.sessionErr(t); !errors.Is(err, io.EOF) {
				t.Errorf("server session ended with %v, want io.EOF", err)
			}
		})
	}
}

// TestFrameTypes checks the frame opcodes each side writes: text for
// wamp.2.json, binary for wamp.2.msgpack.
func TestFrameTypes(t *testing.T) {
	for _, tc := range []struct {
		ser    wamp.Serializer
		opcode byte
	}{
		{wamp.JSON, websocket.TextFrame},
		{wamp.MsgPack, websocket.BinaryFrame},
	} {
		t.Run(tc.ser.Name(), func(t *testing.T) {
			checkGoroutines(t)
			// Server to client: read by a hand-written client.
			ts := startServer(t, ServerConfig{}, nil, nil)
			r := rawHandshake(t, ts.addr, "Sec-WebSocket-Protocol: "+Subprotocol(tc.ser))
			if r.status != 101 {
				t.Fatalf("status %d", r.status)
			}
			r.conn.writeFrame(t, 0x80|opText, []byte("[1]"))
			first, p, err := r.conn.readFrame()
			if err != nil {
				t.Fatal(err)
			}
			if first != 0x80|tc.opcode || string(p) != "[1]" {
				t.Errorf("server wrote first byte %#x payload %q, want %#x %q", first, p, 0x80|tc.opcode, "[1]")
			}

			// Client to server: read by x/net/websocket, which reports the type.
			got := make(chan byte, 1)
			codec := websocket.Codec{Unmarshal: func(_ []byte, pt byte, _ any) error { got <- pt; return nil }}
			srv := startXNetServer(t, func(ws *websocket.Conn) {
				var v any
				_ = codec.Receive(ws, &v)
			}, "")
			c := dial(t, "ws://"+srv+"/", ClientConfig{Serializer: tc.ser})
			if err := c.WriteMessages([][]byte{[]byte("[1]")}); err != nil {
				t.Fatal(err)
			}
			select {
			case pt := <-got:
				if pt != tc.opcode {
					t.Errorf("client wrote opcode %d, want %d", pt, tc.opcode)
				}
			case <-time.After(testTimeout):
				t.Fatal("no frame")
			}
		})
	}
}

// TestFragmentedMessage checks that a message split into frames, with a
// ping between them, is reassembled and the ping answered.
func TestFragmentedMessage(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, ServerConfig{}, nil, nil)
	r := rawHandshake(t, ts.addr, "Sec-WebSocket-Protocol: wamp.2.json")
	rc := r.conn
	rc.writeFrame(t, opText, []byte("[1,"))                // FIN clear
	rc.writeFrame(t, 0x80|opPing, []byte("are you there")) // control frame in between
	rc.writeFrame(t, opContinuation, []byte(`"realm1",`))
	rc.writeFrame(t, 0x80|opContinuation, []byte("{}]"))
	first, p, err := rc.readFrame()
	if err != nil || first != 0x80|opPong || string(p) != "are you there" {
		t.Fatalf("got %#x %q %v, want a pong", first, p, err)
	}
	first, p, err = rc.readFrame()
	if err != nil || first != 0x80|opText || string(p) != `[1,"realm1",{}]` {
		t.Fatalf("got %#x %q %v, want the reassembled message", first, p, err)
	}
	rc.writeFrame(t, 0x80|opPong, []byte("unsolicited")) // ignored
	rc.writeFrame(t, 0x80|opBinary, []byte("next"))
	if first, p, err = rc.readFrame(); err != nil || string(p) != "next" {
		t.Fatalf("got %#x %q %v, want next", first, p, err)
	}
	rc.writeFrame(t, 0x80|opClose, []byte{0x03, 0xE8})
	if status := rc.expectClose(t); status != closeNormal {
		t.Errorf("close status %d, want %d", status, closeNormal)
	}
	if err := ts.sessionErr(t); !errors.Is(err, io.EOF) {
		t.Errorf("session ended with %v, want io.EOF", err)
	}
}

// TestProtocolViolations checks that framing errors end the connection with
// status 1002 and ErrProtocol.
func TestProtocolViolations(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames [][2]any // first byte, payload
	}{
		{"continuation first", [][2]any{{byte(0x80 | opContinuation), "x"}}},
		{"reserved bit", [][2]any{{byte(0x80 | 0x40 | opText), "x"}}},
		{"reserved opcode", [][2]any{{byte(0x80 | 0x3), "x"}}},
		{"reserved control opcode", [][2]any{{byte(0x80 | 0xB), "x"}}},
		{"message inside message", [][2]any{{byte(opText), "x"}, {byte(0x80 | opText), "y"}}},
		{"fragmented ping", [][2]any{{byte(opPing), "x"}}},
		{"oversized ping", [][2]any{{byte(0x80 | opPing), strings.Repeat("p", 126)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			ts := startServer(t, ServerConfig{}, nil, nil)
			r := rawHandshake(t, ts.addr, "Sec-WebSocket-Protocol: wamp.2.json")
			for _, f := range tc.frames {
				r.conn.writeFrame(t, f[0].(byte), []byte(f[1].(string)))
			}
			if status := r.conn.expectClose(t); status != closeProtocolError {
				t.Errorf("close status %d, want %d", status, closeProtocolError)
			}
			if err := ts.sessionErr(t); !errors.Is(err, ErrProtocol) {
				t.Errorf("session ended with %v, want ErrProtocol", err)
			}
		})
	}
}

// TestProtocolErrorFrames checks that frames RFC 6455 forbids end the
// connection with status 1002 and ErrProtocol: a 64-bit payload length
// with its most significant bit set (5.2: it must be 0), read as another
// length otherwise; an unmasked client frame (5.1).
func TestProtocolErrorFrames(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"LengthTopBitSet", []byte{0x81, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, '[', '1', ']', ' ', ' '}},
		{"UnmaskedClientFrame", []byte{0x81, 0x01, 'x'}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			ts := startServer(t, ServerConfig{}, nil, nil)
			r := rawHandshake(t, ts.addr, "Sec-WebSocket-Protocol: wamp.2.json")
			if _, err := r.conn.nc.Write(tc.frame); err != nil {
				t.Fatal(err)
			}
			if status := r.conn.expectClose(t); status != closeProtocolError {
				t.Errorf("close status %d, want %d", status, closeProtocolError)
			}
			if err := ts.sessionErr(t); !errors.Is(err, ErrProtocol) {
				t.Errorf("session ended with %v, want ErrProtocol", err)
			}
		})
	}
}

// TestOversizedMessage checks that a message over the limit ends only its
// own connection, and is refused from its header without reading it.
func TestOversizedMessage(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, ServerConfig{MaxMessageSize: 1024}, nil, nil)
	big := dial(t, ts.url, ClientConfig{MaxMessageSize: 4096})
	small := dial(t, ts.url, ClientConfig{})
	ts.serverConn(t)
	ts.serverConn(t)

	if err := big.WriteMessages([][]byte{bytes.Repeat([]byte("a"), 1024)}); err != nil {
		t.Fatal(err)
	}
	if m, err := big.ReadMessage(); err != nil || len(m) != 1024 {
		t.Fatalf("message at the limit: %d bytes, %v", len(m), err)
	}
	if err := big.WriteMessages([][]byte{bytes.Repeat([]byte("a"), 1025)}); err != nil {
		t.Fatal(err)
	}
	if err := ts.sessionErr(t); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("session ended with %v, want ErrMessageTooLarge", err)
	}
	if _, err := big.ReadMessage(); !errors.Is(err, io.EOF) {
		t.Errorf("client read %v, want io.EOF", err)
	}
	// The other connection is unaffected.
	if err := small.WriteMessages([][]byte{[]byte("still here")}); err != nil {
		t.Fatal(err)
	}
	if m, err := small.ReadMessage(); err != nil || string(m) != "still here" {
		t.Fatalf("other connection: %q, %v", m, err)
	}

	// A frame header announcing 1 TiB is refused at once (close 1009),
	// without waiting for a payload that never comes.
	r := rawHandshake(t, ts.addr, "Sec-WebSocket-Protocol: wamp.2.json")
	hdr := []byte{0x80 | opBinary, 0x80 | 127}
	hdr = binary.BigEndian.AppendUint64(hdr, 1<<40)
	hdr = append(hdr, 1, 2, 3, 4)
	if _, err := r.conn.nc.Write(hdr); err != nil {
		t.Fatal(err)
	}
	if status := r.conn.expectClose(t); status != closeTooBig {
		t.Errorf("close status %d, want %d", status, closeTooBig)
	}
	if err := ts.sessionErr(t); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("session ended with %v, want ErrMessageTooLarge", err)
	}

	// Fragments are counted together.
	r = rawHandshake(t, ts.addr, "Sec-WebSocket-Protocol: wamp.2.json")
	r.conn.writeFrame(t, opText, bytes.Repeat([]byte("a"), 1000))
	r.conn.writeFrame(t, 0x80|opContinuation, bytes.Repeat([]byte("a"), 25))
	if status := r.conn.expectClose(t); status != closeTooBig {
		t.Errorf("close status %d, want %d", status, closeTooBig)
	}
	if err := ts.sessionErr(t); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("session ended with %v, want ErrMessageTooLarge", err)
	}
}

// TestClientLimit checks the limit on the client side, both ways.
func TestClientLimit(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, ServerConfig{}, nil, func(tr wamp.Transport) error {
		if err := tr.WriteMessages([][]byte{bytes.Repeat([]byte("b"), 200)}); err != nil {
			return err
		}
		_, err := tr.ReadMessage()
		return err
	})
	c := dial(t, ts.url, ClientConfig{MaxMessageSize: 100})
	if err := c.WriteMessages([][]byte{[]byte("ok"), make([]byte, 101)}); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("WriteMessages = %v, want ErrMessageTooLarge", err)
	}
	if _, err := c.ReadMessage(); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("ReadMessage = %v, want ErrMessageTooLarge", err)
	}
	if _, err := c.ReadMessage(); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("second ReadMessage = %v, want the same error", err)
	}
	if err := c.WriteMessages([][]byte{[]byte("x")}); !errors.Is(err, ErrClosed) {
		t.Errorf("WriteMessages after the failure = %v, want ErrClosed", err)
	}
	if err := ts.sessionErr(t); !errors.Is(err, io.EOF) {
		t.Errorf("session ended with %v, want io.EOF (nothing of the refused write sent)", err)
	}
}

// TestCloseUnblocksRead checks Close from another goroutine on both sides.
func TestCloseUnblocksRead(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, ServerConfig{}, nil, nil)
	c := dial(t, ts.url, ClientConfig{})
	sc := ts.serverConn(t)

	done := make(chan error, 1)
	go func() {
		_, err := c.ReadMessage()
		done <- err
	}()
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) || !errors.Is(err, net.ErrClosed) {
			t.Errorf("ReadMessage after Close = %v, want ErrClosed", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Close did not unblock ReadMessage")
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := c.WriteMessages([][]byte{[]byte("x")}); !errors.Is(err, ErrClosed) {
		t.Errorf("WriteMessages after Close = %v, want ErrClosed", err)
	}
	if err := ts.sessionErr(t); !errors.Is(err, io.EOF) {
		t.Errorf("server session ended with %v, want io.EOF", err)
	}

	// Server side: Close from outside ends the echo session's read.
	c2 := dial(t, ts.url, ClientConfig{})
	sc = ts.serverConn(t)
	_ = sc.Close()
	if err := ts.sessionErr(t); !errors.Is(err, ErrClosed) {
		t.Errorf("server session ended with %v, want ErrClosed", err)
	}
	if _, err := c2.ReadMessage(); !errors.Is(err, io.EOF) {
		t.Errorf("client read %v, want io.EOF", err)
	}
}

// TestReadDeadline checks that a read deadline is an os.ErrDeadlineExceeded
// error and that the connection can still be written to.
func TestReadDeadline(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, ServerConfig{}, nil, nil)
	c := dial(t, ts.url, ClientConfig{})
	if err := c.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadMessage(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("ReadMessage = %v, want os.ErrDeadlineExceeded", err)
	}
	if err := c.SetWriteDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessages([][]byte{[]byte("bye")}); err != nil {
		t.Errorf("write after a read timeout: %v", err)
	}
}

// TestCloseUnblocksWrite checks that Close ends a write stuck on a peer that
// does not read.
func TestCloseUnblocksWrite(t *testing.T) {
	checkGoroutines(t)
	release := make(chan struct{})
	ts := startServer(t, ServerConfig{}, nil, func(wamp.Transport) error {
		<-release // never reads
		return nil
	})
	t.Cleanup(func() { close(release) })
	c := dial(t, ts.url, ClientConfig{})
	var writes atomic.Int64
	done := make(chan error, 1)
	go func() {
		msg := [][]byte{make([]byte, 64<<10)}
		for {
			if err := c.WriteMessages(msg); err != nil {
				done <- err
				return
			}
			writes.Add(1)
		}
	}()
	// Wait until the writes stop making progress: the socket buffers are full.
	deadline := time.Now().Add(testTimeout)
	for last := int64(-1); ; {
		n := writes.Load()
		if n == last && n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("writes never blocked")
		}
		last = n
		time.Sleep(50 * time.Millisecond) // sampling progress; nothing to wait on
	}
	start := time.Now()
	_ = c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("WriteMessages after Close = %v, want ErrClosed", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Close did not unblock WriteMessages")
	}
	t.Logf("writes: %d, unblocked after %v", writes.Load(), time.Since(start))
	if d := time.Since(start); d > closeFrameTimeout/2 {
		t.Errorf("Close took %v to unblock the write", d)
	}
}
