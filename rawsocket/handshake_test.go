package rawsocket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// testSerializer stands in for a real codec where only the handshake code
// matters. It carries whole messages as raw bytes (a *rawMessage).
type testSerializer struct {
	id   wamp.SerializerID
	name string
}

var (
	testJSON    wamp.Serializer = testSerializer{wamp.SerializerJSON, "json"}
	testMsgPack wamp.Serializer = testSerializer{wamp.SerializerMsgPack, "msgpack"}
	testCBOR    wamp.Serializer = testSerializer{3, "cbor"}

	testSerializers = []wamp.Serializer{testJSON, testMsgPack}
)

func (s testSerializer) ID() wamp.SerializerID { return s.id }
func (s testSerializer) Name() string          { return s.name }
func (s testSerializer) Binary() bool          { return s.id != wamp.SerializerJSON }
func (s testSerializer) AppendMessage(dst []byte, m wamp.Message) ([]byte, error) {
	return append(dst, m.(*rawMessage).b...), nil
}
func (s testSerializer) DecodeMessage(b []byte) (wamp.Message, error) {
	return &rawMessage{append([]byte(nil), b...)}, nil
}

type rawMessage struct{ b []byte }

func (*rawMessage) Type() wamp.MessageType { return wamp.EVENT }

// Golden handshake octets: request or success reply for each serializer and
// each LLLL. Octet 1 is 0x7F (magic), octet 2 is LLLL SSSS, octets 3-4 are
// reserved zeros.
func TestHandshakeGolden(t *testing.T) {
	for _, ser := range []wamp.Serializer{testJSON, testMsgPack} {
		for l := range uint8(16) {
			want := []byte{
				0x7F,                   // magic
				l<<4 | uint8(ser.ID()), // LLLL SSSS
				0x00, 0x00,             // reserved
			}
			size := 1 << (9 + int(l)) // 512 B ... 16 MiB
			t.Run(fmt.Sprintf("%s/%d", ser.Name(), size), func(t *testing.T) {
				got := appendHandshake(nil, lengthExp(size), ser.ID())
				if !bytes.Equal(got, want) {
					t.Fatalf("handshake % x, want % x", got, want)
				}
				l2, s2, code, err := parseRequest([4]byte(want))
				if err != nil || code != 0 || l2 != l || s2 != ser.ID() || lengthOf(l2) != size {
					t.Fatalf("parseRequest: %d %d %d %v", l2, s2, code, err)
				}
				l3, err := parseReply([4]byte(want), ser.ID())
				if err != nil || l3 != l {
					t.Fatalf("parseReply: %d %v", l3, err)
				}
			})
		}
	}
	// Spot checks written out by hand.
	for _, tt := range []struct {
		size int
		ser  wamp.SerializerID
		want []byte
	}{
		{512, 1, []byte{0x7F, 0x01, 0x00, 0x00}},     // 2^9, JSON
		{1 << 20, 2, []byte{0x7F, 0xB2, 0x00, 0x00}}, // 2^20 = 1 MiB (L=11), msgpack
		{1 << 24, 2, []byte{0x7F, 0xF2, 0x00, 0x00}}, // 2^24 = 16 MiB (L=15), msgpack
		{0, 2, []byte{0x7F, 0xB2, 0x00, 0x00}},       // default 1 MiB
		{100, 1, []byte{0x7F, 0x01, 0x00, 0x00}},     // below 512: 512
		{1000, 1, []byte{0x7F, 0x11, 0x00, 0x00}},    // rounded up to 1024
		{1 << 30, 1, []byte{0x7F, 0xF1, 0x00, 0x00}}, // above 16 MiB: 16 MiB
		{(1 << 16) + 1, 2, []byte{0x7F, 0x82, 0, 0}}, // rounded up to 2^17 (L=8)
		{1 << 16, 2, []byte{0x7F, 0x72, 0x00, 0x00}}, // exactly 2^16 (L=7)
		{(1 << 23) + 1, 1, []byte{0x7F, 0xF1, 0, 0}}, // rounded up to 2^24
	} {
		if got := appendHandshake(nil, lengthExp(tt.size), tt.ser); !bytes.Equal(got, tt.want) {
			t.Errorf("size %d serializer %d: % x, want % x", tt.size, tt.ser, got, tt.want)
		}
	}
}

// Golden error replies: 0x7F, EEEE 0000, 0x00, 0x00.
func TestHandshakeErrorGolden(t *testing.T) {
	tests := []struct {
		code     ErrorCode
		want     []byte
		sentinel error
	}{
		{CodeSerializerUnsupported, []byte{0x7F, 0x10, 0x00, 0x00}, ErrSerializerUnsupported},
		{CodeMaxLengthUnacceptable, []byte{0x7F, 0x20, 0x00, 0x00}, ErrMaxLengthUnacceptable},
		{CodeReservedBits, []byte{0x7F, 0x30, 0x00, 0x00}, ErrReservedBits},
		{CodeConnectionLimit, []byte{0x7F, 0x40, 0x00, 0x00}, ErrConnectionLimit},
		{0, []byte{0x7F, 0x00, 0x00, 0x00}, ErrBadHandshake}, // illegal code 0
		{9, []byte{0x7F, 0x90, 0x00, 0x00}, ErrBadHandshake}, // reserved code
	}
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			if got := appendHandshakeError(nil, tt.code); !bytes.Equal(got, tt.want) {
				t.Fatalf("error reply % x, want % x", got, tt.want)
			}
			_, err := parseReply([4]byte(tt.want), wamp.SerializerMsgPack)
			var he *HandshakeError
			if !errors.As(err, &he) || he.Code != tt.code || !errors.Is(err, tt.sentinel) {
				t.Fatalf("parseReply: %v", err)
			}
		})
	}
}

func TestParseRequestErrors(t *testing.T) {
	tests := []struct {
		in   [4]byte
		code ErrorCode
		err  error
	}{
		{[4]byte{'G', 'E', 'T', ' '}, 0, ErrBadMagic},
		{[4]byte{0x7F, 0x10, 0x00, 0x00}, CodeSerializerUnsupported, ErrSerializerUnsupported}, // serializer 0
		{[4]byte{0x7F, 0x12, 0x00, 0x01}, CodeReservedBits, ErrReservedBits},
		{[4]byte{0x7F, 0x12, 0x80, 0x00}, CodeReservedBits, ErrReservedBits},
	}
	for _, tt := range tests {
		_, _, code, err := parseRequest(tt.in)
		if code != tt.code || !errors.Is(err, tt.err) {
			t.Errorf("% x: code %d, %v; want code %d, %v", tt.in, code, err, tt.code, tt.err)
		}
	}
	replies := []struct {
		in  [4]byte
		err error
	}{
		{[4]byte{0x00, 0x12, 0x00, 0x00}, ErrBadMagic},
		{[4]byte{0x7F, 0x11, 0x00, 0x00}, ErrBadHandshake}, // not the serializer asked for
		{[4]byte{0x7F, 0x12, 0x01, 0x00}, ErrReservedBits},
	}
	for _, tt := range replies {
		if _, err := parseReply(tt.in, wamp.SerializerMsgPack); !errors.Is(err, tt.err) {
			t.Errorf("reply % x: %v, want %v", tt.in, err, tt.err)
		}
	}
}

// TestClientMeetsHTTP: a RawSocket client dialled to an HTTP server (a
// WebSocket port) says so, instead of only "bad magic octet 0x48".
func TestClientMeetsHTTP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		var b [4]byte
		io.ReadFull(c, b[:])
		io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = Dial(ctx, "tcp", l.Addr().String(), ClientConfig{})
	if !errors.Is(err, ErrBadMagic) || !strings.Contains(err.Error(), "this is an HTTP/WebSocket port; use a ws:// URL for it, or the router's RawSocket port") {
		t.Errorf("dial to an HTTP server: %v", err)
	}
}

// The server reads the request however it is split across writes, and the
// client reads the reply however it is split.
func TestHandshakeSplit(t *testing.T) {
	req := []byte{0x7F, 0x91, 0x00, 0x00} // 256 KiB, JSON
	for split := range 5 {
		t.Run(fmt.Sprint("server/", split), func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			res := make(chan error, 1)
			go func() {
				c, err := Server(context.Background(), b, ServerConfig{Serializers: []wamp.Serializer{testJSON}, MaxMessageSize: 4096})
				if err == nil && (c.MaxMessageSize() != 256<<10 || c.Serializer() != testJSON) {
					err = fmt.Errorf("peer max %d, serializer %v", c.MaxMessageSize(), c.Serializer())
				}
				res <- err
			}()
			writeSplit(t, a, req, split)
			var reply [4]byte
			if _, err := io.ReadFull(a, reply[:]); err != nil {
				t.Fatal(err)
			}
			if want := [4]byte{0x7F, 0x31, 0x00, 0x00}; reply != want { // 4 KiB = 2^12: L=3
				t.Fatalf("reply % x, want % x", reply, want)
			}
			if err := <-res; err != nil {
				t.Fatal(err)
			}
		})
		t.Run(fmt.Sprint("client/", split), func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			res := make(chan error, 1)
			go func() {
				c, err := Client(context.Background(), b, ClientConfig{Serializer: testMsgPack, MaxMessageSize: 512})
				if err == nil && c.MaxMessageSize() != 1<<24 {
					err = fmt.Errorf("peer max %d", c.MaxMessageSize())
				}
				res <- err
			}()
			var got [4]byte
			if _, err := io.ReadFull(a, got[:]); err != nil {
				t.Fatal(err)
			}
			if want := [4]byte{0x7F, 0x02, 0x00, 0x00}; got != want {
				t.Fatalf("request % x, want % x", got, want)
			}
			writeSplit(t, a, []byte{0x7F, 0xF2, 0x00, 0x00}, split)
			if err := <-res; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// writeSplit writes b in two writes split at i, then the rest one byte at a time.
func writeSplit(t *testing.T, w io.Writer, b []byte, i int) {
	t.Helper()
	if _, err := w.Write(b[:i]); err != nil {
		t.Fatal(err)
	}
	for j := i; j < len(b); j++ {
		if _, err := w.Write(b[j : j+1]); err != nil {
			t.Fatal(err)
		}
	}
}

// Each refusal is answered with its golden error reply before the close.
func TestServerRefusals(t *testing.T) {
	tests := []struct {
		name  string
		cfg   ServerConfig
		req   []byte
		reply []byte // nil: no reply, just closed
		err   error
	}{
		{"serializer unsupported", ServerConfig{Serializers: []wamp.Serializer{testJSON}}, []byte{0x7F, 0x12, 0, 0}, []byte{0x7F, 0x10, 0, 0}, ErrSerializerUnsupported},
		{"serializer 0", ServerConfig{Serializers: []wamp.Serializer{testJSON}}, []byte{0x7F, 0x10, 0, 0}, []byte{0x7F, 0x10, 0, 0}, ErrSerializerUnsupported},
		{"max length unacceptable", ServerConfig{Serializers: []wamp.Serializer{testJSON}, MinPeerMessageSize: 4096}, []byte{0x7F, 0x21, 0, 0}, []byte{0x7F, 0x20, 0, 0}, ErrMaxLengthUnacceptable},
		{"reserved bits", ServerConfig{Serializers: []wamp.Serializer{testJSON}}, []byte{0x7F, 0x21, 0, 0x04}, []byte{0x7F, 0x30, 0, 0}, ErrReservedBits},
		{"bad magic", ServerConfig{Serializers: []wamp.Serializer{testJSON}}, []byte("GET "), nil, ErrBadMagic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			res := make(chan error, 1)
			go func() {
				_, err := Server(context.Background(), b, tt.cfg)
				res <- err
			}()
			if _, err := a.Write(tt.req); err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(a)
			if !bytes.Equal(got, tt.reply) {
				t.Fatalf("reply % x, want % x", got, tt.reply)
			}
			err := <-res
			if !errors.Is(err, tt.err) {
				t.Fatalf("Server: %v, want %v", err, tt.err)
			}
			var he *HandshakeError
			if tt.reply != nil && (!errors.As(err, &he) || he.Code != ErrorCode(tt.reply[1]>>4)) {
				t.Fatalf("Server: %v, want a *HandshakeError with code %d", err, tt.reply[1]>>4)
			}
		})
	}
}

// TestServerShedBeforeReply: a handshake whose connection the listener's pending bounds closed just as it
// was accepted (the accepted hook reports false) fails unanswered: a reply would tell the client it may
// join on a connection being closed, and the router would count a transport error for it.
func TestServerShedBeforeReply(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	res := make(chan error, 1)
	go func() {
		_, err := serve(context.Background(), b, &ServerConfig{Serializers: []wamp.Serializer{testJSON}},
			func() bool { return false }, nil)
		res <- err
	}()
	if _, err := a.Write([]byte{0x7F, 0xF1, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(a); len(got) != 0 {
		t.Fatalf("reply % x, want none", got)
	}
	if err := <-res; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("serve: %v, want net.ErrClosed", err)
	}
}

func TestHandshakeDeadlines(t *testing.T) {
	t.Run("server, silent client", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		_, err := Server(context.Background(), b, ServerConfig{HandshakeTimeout: 10 * time.Millisecond})
		if !errors.Is(err, errDeadline) {
			t.Fatalf("got %v, want a deadline error", err)
		}
	})
	t.Run("client, silent server", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		go io.Copy(io.Discard, a)
		_, err := Client(context.Background(), b, ClientConfig{Serializer: testJSON, HandshakeTimeout: 10 * time.Millisecond})
		if !errors.Is(err, errDeadline) {
			t.Fatalf("got %v, want a deadline error", err)
		}
	})
	t.Run("client, canceled ctx", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			var req [4]byte
			io.ReadFull(a, req[:]) // the client now waits for the reply
			cancel()
		}()
		_, err := Client(ctx, b, ClientConfig{Serializer: testJSON})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	})
}

func FuzzHandshake(f *testing.F) {
	for l := range uint8(16) {
		f.Add(appendHandshake(nil, l, wamp.SerializerJSON))
		f.Add(appendHandshake(nil, l, wamp.SerializerMsgPack))
	}
	for code := range ErrorCode(6) {
		f.Add(appendHandshakeError(nil, code))
	}
	f.Add([]byte("GET / HTTP/1.1"))
	f.Add([]byte{0x7F, 0x12, 0x00, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 4 {
			return
		}
		in := [4]byte(b)
		l, s, code, err := parseRequest(in)
		if err == nil {
			if code != 0 || s == 0 {
				t.Fatalf("accepted % x with code %d serializer %d", in, code, s)
			}
			if got := appendHandshake(nil, l, s); !bytes.Equal(got, b[:4]) {
				t.Fatalf("round trip % x -> % x", b[:4], got)
			}
			if n := lengthOf(l); n < MinMessageSize || n > MaxMessageSize {
				t.Fatalf("length %d out of range", n)
			}
		} else if code > CodeConnectionLimit {
			t.Fatalf("code %d", code)
		}
		_, rerr := parseReply(in, wamp.SerializerMsgPack)
		var he *HandshakeError
		if errors.As(rerr, &he) {
			if got := appendHandshakeError(nil, he.Code); !bytes.Equal(got, b[:4]) {
				t.Fatalf("error round trip % x -> % x", b[:4], got)
			}
		}
	})
}
