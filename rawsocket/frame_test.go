package rawsocket

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

// goldenFrame is an annotated frame: its header octets and payload.
type goldenFrame struct {
	name    string
	typ     frameType
	header  []byte
	payload []byte
	n       int // when payload is nil: a generated payload of n octets
}

func (g goldenFrame) body() []byte {
	if g.payload == nil && g.n > 0 {
		return bigPayload(g.n)
	}
	return g.payload
}

// bigPayload returns n octets of a repeating pattern (0, 7, 14, ...).
func bigPayload(n int) []byte {
	b := make([]byte, n)
	for i := range min(n, 256) {
		b[i] = byte(i * 7)
	}
	for done := min(n, 256); done < n; done *= 2 {
		copy(b[done:], b[:done])
	}
	return b
}

var goldenFrames = []goldenFrame{
	// RRRR XTTT, then the 24-bit length, big-endian.
	{"message, empty", frameMessage, []byte{0x00, 0x00, 0x00, 0x00}, nil, 0},
	{"message, 1 octet", frameMessage, []byte{0x00, 0x00, 0x00, 0x01}, []byte("x"), 0},
	{"message, JSON HELLO", frameMessage, []byte{0x00, 0x00, 0x00, 0x15}, []byte(`[1,"realm1",{"a":1}]` + " "), 0},
	{"PING, 4 octets", framePing, []byte{0x01, 0x00, 0x00, 0x04}, []byte("ping"), 0},
	{"PING, empty", framePing, []byte{0x01, 0x00, 0x00, 0x00}, nil, 0},
	{"PONG, 4 octets", framePong, []byte{0x02, 0x00, 0x00, 0x04}, []byte("ping"), 0},
	{"message, 2^16 octets", frameMessage, []byte{0x00, 0x01, 0x00, 0x00}, nil, 1 << 16},
	{"message, 2^24-1 octets", frameMessage, []byte{0x00, 0xFF, 0xFF, 0xFF}, nil, 1<<24 - 1},
	// 2^24 octets: the 25th length bit X (0x08) with the 24 L bits clear.
	{"message, 2^24 octets", frameMessage, []byte{0x08, 0x00, 0x00, 0x00}, nil, 1 << 24},
	{"PING, 2^24 octets", framePing, []byte{0x09, 0x00, 0x00, 0x00}, nil, 1 << 24},
}

func TestFrameHeaderGolden(t *testing.T) {
	for _, g := range goldenFrames {
		t.Run(g.name, func(t *testing.T) {
			g.payload = g.body()
			var h [4]byte
			putHeader(h[:], g.typ, len(g.payload))
			if !bytes.Equal(h[:], g.header) {
				t.Fatalf("header % x, want % x", h, g.header)
			}
			typ, n, err := parseHeader(g.header)
			if err != nil || typ != g.typ || n != len(g.payload) {
				t.Fatalf("parseHeader: %v %d %v", typ, n, err)
			}
			r := newFrameReader(bytes.NewReader(append(g.header, g.payload...)), readBufferSize, MaxMessageSize)
			typ, p, err := r.next()
			if err != nil || typ != g.typ || !bytes.Equal(p, g.payload) {
				t.Fatalf("next: %v, %d octets, %v", typ, len(p), err)
			}
			if _, _, err := r.next(); err != io.EOF {
				t.Fatalf("after the frame: %v, want io.EOF", err)
			}
		})
	}
}

func TestFrameHeaderErrors(t *testing.T) {
	tests := []struct {
		header []byte
		err    error
	}{
		{[]byte{0x10, 0, 0, 1}, ErrReservedBits},      // R bit
		{[]byte{0x80, 0, 0, 1}, ErrReservedBits},      // R bit
		{[]byte{0x03, 0, 0, 1}, ErrReservedBits},      // type 3
		{[]byte{0x07, 0, 0, 1}, ErrReservedBits},      // type 7
		{[]byte{0x08, 0, 0, 1}, ErrBadFrame},          // X with a non-zero length
		{[]byte{0x08, 0xFF, 0xFF, 0xFF}, ErrBadFrame}, // X with a non-zero length
	}
	for _, tt := range tests {
		if _, _, err := parseHeader(tt.header); !errors.Is(err, tt.err) {
			t.Errorf("% x: %v, want %v", tt.header, err, tt.err)
		}
		r := newFrameReader(bytes.NewReader(append(tt.header, 'x')), 16, 1024)
		if _, _, err := r.next(); !errors.Is(err, tt.err) {
			t.Errorf("reader, % x: %v, want %v", tt.header, err, tt.err)
		}
		if _, _, err := r.next(); !errors.Is(err, tt.err) {
			t.Errorf("reader, % x: error not sticky: %v", tt.header, err)
		}
	}
}

func TestFrameTooLarge(t *testing.T) {
	stream := append([]byte{0x00, 0x00, 0x02, 0x01}, bigPayload(513)...) // 513 > 512
	r := newFrameReader(bytes.NewReader(stream), 16, 512)
	if _, _, err := r.next(); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("got %v, want ErrMessageTooLarge", err)
	}
	// At the limit it passes.
	stream = append([]byte{0x00, 0x00, 0x02, 0x00}, bigPayload(512)...)
	r = newFrameReader(bytes.NewReader(stream), 16, 512)
	if _, p, err := r.next(); err != nil || len(p) != 512 {
		t.Fatalf("at the limit: %d octets, %v", len(p), err)
	}
}

// testStream is several frames back to back, with payloads smaller and
// larger than the 16-octet reader buffer used below.
func testStream() ([]byte, []goldenFrame) {
	frames := []goldenFrame{
		{typ: frameMessage, payload: []byte("hello")},
		{typ: framePing, payload: []byte("p")},
		{typ: frameMessage, payload: nil},
		{typ: framePong, payload: []byte("p")},
		{typ: frameMessage, payload: bigPayload(100)},
		{typ: frameMessage, payload: []byte("0123456789abcdef")}, // exactly the buffer size
		{typ: frameMessage, payload: []byte("bye")},
	}
	var b []byte
	for _, f := range frames {
		var h [4]byte
		putHeader(h[:], f.typ, len(f.payload))
		b = append(append(b, h[:]...), f.payload...)
	}
	return b, frames
}

func readAll(t *testing.T, r io.Reader, want []goldenFrame) {
	t.Helper()
	fr := newFrameReader(r, 16, 1024)
	for i, w := range want {
		typ, p, err := fr.next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if typ != w.typ || !bytes.Equal(p, w.payload) {
			t.Fatalf("frame %d: %v %q, want %v %q", i, typ, p, w.typ, w.payload)
		}
	}
	if _, _, err := fr.next(); err != io.EOF {
		t.Fatalf("at the end: %v, want io.EOF", err)
	}
}

func TestFrameReaderOneByte(t *testing.T) {
	stream, frames := testStream()
	readAll(t, iotest.OneByteReader(bytes.NewReader(stream)), frames)
	readAll(t, iotest.HalfReader(bytes.NewReader(stream)), frames)
	readAll(t, iotest.DataErrReader(bytes.NewReader(stream)), frames)
}

func TestFrameReaderSplit(t *testing.T) {
	stream, frames := testStream()
	for i := range len(stream) + 1 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			readAll(t, io.MultiReader(bytes.NewReader(stream[:i]), bytes.NewReader(stream[i:])), frames)
		})
	}
}

func TestFrameReaderTruncated(t *testing.T) {
	stream, _ := testStream()
	for i := 1; i < 9; i++ { // inside the first frame
		fr := newFrameReader(bytes.NewReader(stream[:i]), 16, 1024)
		if _, _, err := fr.next(); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("cut at %d: %v, want io.ErrUnexpectedEOF", i, err)
		}
	}
}

func FuzzFrameReader(f *testing.F) {
	for _, g := range goldenFrames {
		if g.n == 0 {
			f.Add(append(append([]byte(nil), g.header...), g.payload...))
		}
	}
	stream, _ := testStream()
	f.Add(stream)
	f.Add([]byte{0x08, 0, 0, 0})
	f.Add([]byte{0x10, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		// Every frame read re-encodes to the octets it was read from.
		fr := newFrameReader(iotest.HalfReader(bytes.NewReader(b)), 16, 1024)
		var out []byte
		for {
			typ, p, err := fr.next()
			if err != nil {
				if err == io.EOF && !bytes.Equal(out, b) {
					t.Fatalf("clean EOF but re-encoded % x != input % x", out, b)
				}
				return
			}
			if len(p) > 1024 || typ > framePong {
				t.Fatalf("frame over the limit or of a reserved type: %v %d", typ, len(p))
			}
			var h [4]byte
			putHeader(h[:], typ, len(p))
			out = append(append(out, h[:]...), p...)
			if !bytes.HasPrefix(b, out) {
				t.Fatalf("re-encoded % x is not a prefix of the input", out)
			}
		}
	})
}
