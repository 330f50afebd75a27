package wstransport

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// TestMaskBytes checks the eight-bytes-at-a-time masking against the rule
// of RFC 6455, 5.3, at every length to 40 and every offset in the key.
func TestMaskBytes(t *testing.T) {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	for n := range 41 {
		for pos := range 8 {
			p := make([]byte, n)
			for i := range p {
				p[i] = byte(i * 31)
			}
			want := bytes.Clone(p)
			for i := range want {
				want[i] ^= key[(pos+i)%4]
			}
			maskBytes(p, key, pos)
			if !bytes.Equal(p, want) {
				t.Fatalf("n=%d pos=%d: got %x, want %x", n, pos, p, want)
			}
		}
	}
}

// TestParseFrameHeader decodes whole and partial headers of each length
// form, masked and not.
func TestParseFrameHeader(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want frameHeader
		need int
	}{
		{"empty", nil, frameHeader{}, 2},
		{"one byte", []byte{0x81}, frameHeader{}, 2},
		{"short", []byte{0x82, 5}, frameHeader{fin: true, op: opBinary, length: 5, size: 2}, 2},
		{"masked", []byte{0x01, 0x85, 1, 2, 3, 4}, frameHeader{op: opText, masked: true, key: [4]byte{1, 2, 3, 4}, length: 5, size: 6}, 6},
		{"masked, key cut", []byte{0x01, 0x85, 1, 2}, frameHeader{}, 6},
		{"16-bit length", []byte{0x82, 126, 0x01, 0x00}, frameHeader{fin: true, op: opBinary, length: 256, size: 4}, 4},
		{"16-bit length cut", []byte{0x82, 126, 0x01}, frameHeader{}, 4},
		{"64-bit length", []byte{0xC2, 0xFF, 0x80, 0, 0, 0, 0, 1, 0, 0, 9, 8, 7, 6},
			frameHeader{fin: true, rsv: 0x40, op: opBinary, masked: true, key: [4]byte{9, 8, 7, 6}, length: 1 << 16, size: 14}, 14},
		{"64-bit length cut", []byte{0x82, 127, 0, 0, 0}, frameHeader{}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, need := parseFrameHeader(tc.b)
			if need != tc.need {
				t.Fatalf("need %d, want %d", need, tc.need)
			}
			if need <= len(tc.b) && h != tc.want {
				t.Errorf("got %+v, want %+v", h, tc.want)
			}
		})
	}
}

// TestFramesSplitAtEveryByte writes frames to a server connection one byte
// at a time (net.Pipe hands each write to one read): a short message, one
// with a 16-bit length, one fragmented around a ping, one larger than the
// read buffer, and a message in the same write as the request. Each must
// come out whole, and the ping must be answered; also when the hijacked
// reader is smaller than a control frame.
func TestFramesSplitAtEveryByte(t *testing.T) {
	for _, size := range []int{0, 16} {
		t.Run(fmt.Sprintf("hijacked reader of %d bytes", size), func(t *testing.T) { testFramesSplit(t, size) })
	}
}

func testFramesSplit(t *testing.T, size int) {
	checkGoroutines(t)
	large := bytes.Repeat([]byte("0123456789"), 1000) // over readBufferSize
	want := [][]byte{[]byte("first"), []byte("hello"), bytes.Repeat([]byte("m"), 200), []byte("[1,2]"), large}
	ping := "ping!" + strings.Repeat(".", 95) // over the 16-byte reader
	srvEnd, cliEnd := net.Pipe()
	got := make(chan []byte, len(want))
	h := Handler(ServerConfig{}, func(tr wamp.Transport) {
		for {
			m, err := tr.ReadMessage()
			if err != nil {
				close(got)
				return
			}
			got <- bytes.Clone(m)
		}
	})
	req := upgradeRequest()
	w := &pipeResponseWriter{header: http.Header{}, nc: srvEnd, pending: clientFrame(0x81, want[0]), size: size}
	served := make(chan struct{})
	go func() {
		defer close(served)
		h.ServeHTTP(w, req)
	}()
	br := bufio.NewReader(cliEnd)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	pongs := make(chan string, 1)
	go func() {
		rc := &rawConn{nc: cliEnd, br: br}
		for {
			first, p, err := rc.readFrame()
			if err != nil {
				close(pongs)
				return
			}
			if first&0x0F == opPong {
				pongs <- string(p)
			}
		}
	}()
	var stream []byte
	for _, f := range [][]byte{
		clientFrame(0x81, want[1]),
		clientFrame(0x82, want[2]),
		clientFrame(0x01, []byte("[1,")),
		clientFrame(0x89, []byte(ping)),
		clientFrame(0x80, []byte("2]")),
		clientFrame(0x82, large),
	} {
		stream = append(stream, f...)
	}
	for i := range stream {
		if _, err := cliEnd.Write(stream[i : i+1]); err != nil {
			t.Fatalf("write byte %d: %v", i, err)
		}
	}
	for i, w := range want {
		select {
		case m := <-got:
			if !bytes.Equal(m, w) {
				t.Errorf("message %d: got %d bytes %.20q, want %d bytes %.20q", i, len(m), m, len(w), w)
			}
		case <-time.After(testTimeout):
			t.Fatalf("message %d did not arrive", i)
		}
	}
	select {
	case p := <-pongs:
		if p != ping {
			t.Errorf("pong %q, want %q", p, ping)
		}
	case <-time.After(testTimeout):
		t.Fatal("no pong")
	}
	_ = cliEnd.Close()
	<-served
}

// TestClientReadsFramesAfterAnswer has a hand-written server send its 101
// answer and two frames in one write: the client, whose handshake reader
// may take the frames along with the answer, must still read both.
func TestClientReadsFramesAfterAnswer(t *testing.T) {
	checkGoroutines(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(testTimeout))
		req, err := http.ReadRequest(bufio.NewReader(nc))
		if err != nil {
			return
		}
		sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		answer := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n" +
			"Sec-WebSocket-Protocol: wamp.2.json\r\n\r\n"
		b := append([]byte(answer), 0x81, 5)
		b = append(b, "hello"...)
		b = append(b, 0x81, 126, 0x01, 0x00)
		b = append(b, strings.Repeat("w", 256)...)
		if _, err := nc.Write(b); err != nil {
			return
		}
		_, _ = nc.Read(make([]byte, 64)) // until the client closes
	}()
	c := dial(t, "ws://"+l.Addr().String()+"/ws", ClientConfig{})
	for _, want := range []string{"hello", strings.Repeat("w", 256)} {
		m, err := c.ReadMessage()
		if err != nil || string(m) != want {
			t.Fatalf("got %.20q, %v; want %.20q", m, err, want)
		}
	}
}
