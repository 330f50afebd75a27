package serialtransport

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCRC16(t *testing.T) {
	tests := []struct {
		in   string
		want uint16
	}{
		{"123456789", 0x29B1}, // the catalogue's check value
		{"", 0xFFFF},
		{"A", 0xB915},
	}
	for _, tc := range tests {
		if got := CRC16([]byte(tc.in)); got != tc.want {
			t.Errorf("CRC16(%q) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
}

// seq returns the bytes from, from+1, ... (n of them, wrapping past 0xFF to 0x01).
func seq(from, n int) []byte {
	b := make([]byte, n)
	c := from
	for i := range b {
		b[i] = byte(c)
		c++
		if c > 0xFF {
			c = 1
		}
	}
	return b
}

// cobsVectors are the examples of the COBS article (Wikipedia), plus runs.
func cobsVectors(t testing.TB) []struct{ name, in, out []byte } {
	run254 := seq(1, 254)
	run255 := seq(1, 255)
	vs := []struct{ name, in, out []byte }{
		{[]byte("empty"), nil, unhex(t, "01")},
		{[]byte("00"), unhex(t, "00"), unhex(t, "0101")},
		{[]byte("0000"), unhex(t, "0000"), unhex(t, "010101")},
		{[]byte("001100"), unhex(t, "001100"), unhex(t, "01021101")},
		{[]byte("11220033"), unhex(t, "11220033"), unhex(t, "03112202 33")},
		{[]byte("11223344"), unhex(t, "11223344"), unhex(t, "0511223344")},
		{[]byte("11000000"), unhex(t, "11000000"), unhex(t, "02110101 01")},
		// 01..FE: one full group, no empty group after it
		{[]byte("run254"), run254, append([]byte{0xFF}, run254...)},
		// 00 01..FE
		{[]byte("00run254"), append([]byte{0}, run254...), append([]byte{0x01, 0xFF}, run254...)},
		// 01..FF: a full group, then 02 FF
		{[]byte("run255"), run255, append(append([]byte{0xFF}, run255[:254]...), 0x02, 0xFF)},
		// 02..FF 00
		{[]byte("run255-00"), append(seq(2, 254), 0), append(append([]byte{0xFF}, seq(2, 254)...), 0x01, 0x01)},
		// 03..FF 00 01
		{[]byte("run253-00-01"), append(seq(3, 253), 0, 1), append(append([]byte{0xFE}, seq(3, 253)...), 0x02, 0x01)},
	}
	return vs
}

func TestCOBSGolden(t *testing.T) {
	for _, v := range cobsVectors(t) {
		t.Run(string(v.name), func(t *testing.T) {
			got := appendCOBS(nil, v.in)
			if !bytes.Equal(got, v.out) {
				t.Fatalf("encode:\n got % x\nwant % x", got, v.out)
			}
			if len(got) > cobsMaxLen(len(v.in)) {
				t.Errorf("encoded %d bytes, cobsMaxLen says at most %d", len(got), cobsMaxLen(len(v.in)))
			}
			dec, err := decodeCOBS(bytes.Clone(v.out))
			if err != nil || !bytes.Equal(dec, v.in) {
				t.Fatalf("decode = % x, %v; want % x", dec, err, v.in)
			}
		})
	}
}

func TestCOBSRoundTrip(t *testing.T) {
	for n := range 1100 {
		for _, fill := range []func(i int) byte{
			func(i int) byte { return byte(i%255 + 1) },   // no zero
			func(i int) byte { return 0 },                 // all zero
			func(i int) byte { return byte(i * 7 % 256) }, // mixed
		} {
			in := make([]byte, n)
			for i := range in {
				in[i] = fill(i)
			}
			enc := appendCOBS([]byte{0xAA}, in)[1:]
			if bytes.IndexByte(enc, 0) >= 0 {
				t.Fatalf("n=%d: encoding holds 0x00", n)
			}
			if len(enc) > cobsMaxLen(n) {
				t.Fatalf("n=%d: %d encoded bytes > %d", n, len(enc), cobsMaxLen(n))
			}
			dec, err := decodeCOBS(enc)
			if err != nil || !bytes.Equal(dec, in) {
				t.Fatalf("n=%d: round trip failed: %v", n, err)
			}
		}
	}
}

func TestCOBSMalformed(t *testing.T) {
	for _, in := range []string{"", "00", "05 11 22", "03 11 00", "ff 01", "02 11 04 22"} {
		if _, err := decodeCOBS(unhex(t, in)); err == nil {
			t.Errorf("decodeCOBS(%s) succeeded", in)
		}
	}
}

// goldenFrames are the frames of the package documentation.
var goldenFrames = []struct{ name, payload, frame string }{
	{"HELLO", "01 7f 12 00 00 01 12 34 56 78", "04 01 7f 12 01 08 01 12 34 56 78 11 9c 00"},
	{"HELLO-ACK", "02 7f 12 00 00 01 9a bc de f0 12 34 56 78", "04 02 7f 12 01 0c 01 9a bc de f0 12 34 56 78 7b 54 00"},
	{"HELLO-ACK refused", "02 7f 10 00 00 00 00 00 00 00 12 34 56 78", "04 02 7f 10 01 01 01 01 01 01 07 12 34 56 78 7c 8a 00"},
	{"DATA", "03 00 93 01 a6 72 65 61 6c 6d 31 80", "02 03 0d 93 01 a6 72 65 61 6c 6d 31 80 8e ea 00"},
	{"ACK", "04 00", "02 04 03 d1 cb 00"},
	{"PING", "05 00 00 00 01", "02 05 01 01 04 01 22 7a 00"},
	{"PONG", "06 00 00 00 01", "02 06 01 01 04 01 cc a8 00"},
	{"RESET closed", "07 00", "02 07 03 84 98 00"},
	{"RESET unknown", "07 01", "05 07 01 94 b9 00"},
}

func TestGoldenFrames(t *testing.T) {
	for _, g := range goldenFrames {
		t.Run(g.name, func(t *testing.T) {
			p, want := unhex(t, g.payload), unhex(t, g.frame)
			if got := AppendFrame(nil, p); !bytes.Equal(got, want) {
				t.Fatalf("AppendFrame:\n got % x\nwant % x", got, want)
			}
			// the builders used on the wire produce the same payloads
			var built []byte
			switch FrameType(p[0]) {
			case TypeHello:
				built = appendHello(nil, 1, 2, 1, 0x12345678)
			case TypeHelloAck:
				if p[2] == 0x10 {
					built = appendHelloAck(nil, 1, 3, CodeSerializerUnsupported, 1, 0x9abcdef0, 0x12345678)
				} else {
					built = appendHelloAck(nil, 1, 2, 0, 1, 0x9abcdef0, 0x12345678)
				}
			case TypeData, TypeAck, TypeReset:
				built = AppendFrame(nil, p) // checked through appendFrame2 below
				if got := appendFrame2(nil, FrameType(p[0]), p[1], true, p[2:]); !bytes.Equal(got, want) {
					t.Fatalf("appendFrame2:\n got % x\nwant % x", got, want)
				}
				built = p
			case TypePing, TypePong:
				if got := appendFrame2(nil, FrameType(p[0]), 0, false, p[1:]); !bytes.Equal(got, want) {
					t.Fatalf("appendFrame2:\n got % x\nwant % x", got, want)
				}
				built = p
			}
			if !bytes.Equal(built, p) {
				t.Fatalf("builder payload % x, want % x", built, p)
			}
			d := NewFrameDecoder(64)
			got, rest, err := d.Next(want)
			if err != nil || !bytes.Equal(got, p) || len(rest) != 0 {
				t.Fatalf("decode = % x, rest % x, %v", got, rest, err)
			}
		})
	}
}

func TestHelloParse(t *testing.T) {
	h, ok := parseHello(unhex(t, goldenFrames[0].payload)[1:], false)
	if !ok || h.rs != [4]byte{0x7f, 0x12, 0, 0} || h.window != 1 || h.id != 0x12345678 {
		t.Fatalf("parseHello = %+v, %v", h, ok)
	}
	h, ok = parseHello(unhex(t, goldenFrames[1].payload)[1:], true)
	if !ok || h.id != 0x9abcdef0 || h.echo != 0x12345678 {
		t.Fatalf("parseHello(ack) = %+v, %v", h, ok)
	}
	if _, ok := parseHello([]byte{0x7f, 0x12}, false); ok {
		t.Fatal("short HELLO parsed")
	}
}

// stream is every golden frame back to back.
func stream(t testing.TB) (b []byte, payloads [][]byte) {
	for _, g := range goldenFrames {
		b = append(b, unhex(t, g.frame)...)
		payloads = append(payloads, unhex(t, g.payload))
	}
	return b, payloads
}

// decodeAll feeds chunks to a decoder and returns the payloads (copied) and
// the errors.
func decodeAll(d *FrameDecoder, chunks ...[]byte) (got [][]byte, errs []error) {
	for _, p := range chunks {
		for len(p) > 0 {
			payload, rest, err := d.Next(p)
			if err != nil {
				errs = append(errs, err)
			} else if payload != nil {
				got = append(got, bytes.Clone(payload))
			}
			p = rest
		}
	}
	return got, errs
}

func equalPayloads(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestDecoderByteAtATime(t *testing.T) {
	s, want := stream(t)
	d := NewFrameDecoder(64)
	var chunks [][]byte
	for i := range s {
		chunks = append(chunks, s[i:i+1])
	}
	got, errs := decodeAll(d, chunks...)
	if len(errs) > 0 || !equalPayloads(got, want) {
		t.Fatalf("got %d payloads, errors %v", len(got), errs)
	}
}

func TestDecoderEverySplit(t *testing.T) {
	s, want := stream(t)
	for i := 0; i <= len(s); i++ {
		for j := i; j <= len(s); j += 7 {
			d := NewFrameDecoder(64)
			got, errs := decodeAll(d, s[:i], s[i:j], s[j:])
			if len(errs) > 0 || !equalPayloads(got, want) {
				t.Fatalf("split %d/%d: got %d payloads, errors %v", i, j, len(got), errs)
			}
		}
	}
}

// errBad stands for ErrFrameCRC or ErrFrameCOBS: which one a damaged frame
// gives depends on where the damage fell.
var errBad = errors.New("CRC or COBS error")

func TestDecoderDropsAndResyncs(t *testing.T) {
	good := unhex(t, goldenFrames[3].frame) // DATA
	wantP := unhex(t, goldenFrames[3].payload)
	flipped := bytes.Clone(good)
	flipped[5] ^= 0x04
	truncated := good[:len(good)-4] // ends inside the frame; the next 0x00 ends it
	badCOBS := unhex(t, "05 11 22 00")
	short := unhex(t, "02 11 00") // one byte: no room for a CRC
	tests := []struct {
		name    string
		in      [][]byte
		errs    []error
		payload int // good payloads expected
	}{
		{"garbage before", [][]byte{[]byte("garbage\r\n"), {0}, good}, []error{errBad}, 1},
		{"leading delimiters", [][]byte{{0, 0, 0}, good}, nil, 1},
		{"flipped bit", [][]byte{flipped, good}, []error{ErrFrameCRC}, 1},
		{"truncated", [][]byte{truncated, good}, []error{errBad}, 0},
		{"truncated then delimiter", [][]byte{truncated, {0}, good}, []error{errBad}, 1},
		{"bad COBS", [][]byte{badCOBS, good}, []error{ErrFrameCOBS}, 1},
		{"too short", [][]byte{short, good}, []error{ErrFrameCOBS}, 1},
		{"oversize", [][]byte{bytes.Repeat([]byte{0x42}, 500), {0}, good}, []error{ErrFrameOversize}, 1},
		{"oversize in pieces", [][]byte{bytes.Repeat([]byte{1}, 40), bytes.Repeat([]byte{2}, 40), {3, 0}, good, good}, []error{ErrFrameOversize}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewFrameDecoder(64)
			capBefore := cap(d.buf)
			got, errs := decodeAll(d, tc.in...)
			if len(errs) != len(tc.errs) {
				t.Fatalf("errors %v, want %v", errs, tc.errs)
			}
			for i := range errs {
				if tc.errs[i] == errBad && (errors.Is(errs[i], ErrFrameCRC) || errors.Is(errs[i], ErrFrameCOBS)) {
					continue
				}
				if !errors.Is(errs[i], tc.errs[i]) {
					t.Fatalf("error %d = %v, want %v", i, errs[i], tc.errs[i])
				}
			}
			if len(got) != tc.payload {
				t.Fatalf("%d payloads, want %d", len(got), tc.payload)
			}
			for _, p := range got {
				if !bytes.Equal(p, wantP) {
					t.Fatalf("payload % x", p)
				}
			}
			if cap(d.buf) != capBefore {
				t.Fatalf("decoder buffer grew from %d to %d", capBefore, cap(d.buf))
			}
		})
	}
}

func TestAppendFrameNoAlloc(t *testing.T) {
	p := bytes.Repeat([]byte{1, 0, 2}, 22)
	dst := make([]byte, 0, len(p)+FrameOverhead(len(p)))
	allocs := testing.AllocsPerRun(100, func() { dst = AppendFrame(dst[:0], p) })
	if allocs != 0 {
		t.Fatalf("AppendFrame: %v allocs", allocs)
	}
	d := NewFrameDecoder(128)
	allocs = testing.AllocsPerRun(100, func() {
		f := AppendFrame(dst[:0], p)
		if got, _, err := d.Next(f); err != nil || len(got) != len(p) {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("decode: %v allocs", allocs)
	}
}

// TestFrameResidualErrors measures how many damaged frames still pass
// their CRC (the package doc states the figure): the DATA frames of
// testMsg(0..299) at 4 sequence numbers, each damaged by every possible
// single lost byte, and a quarter of them by every possible flipped bit. A
// flipped bit in the payload is always caught (CRC-16 catches every error
// burst of up to 16 bits); a lost byte shifts the frame and passes about as
// often as random damage does with a 16-bit check (1 in 65,536).
func TestFrameResidualErrors(t *testing.T) {
	d := NewFrameDecoder(1024)
	var drops, dropPassed, flips, flipPassed int
	buf := make([]byte, 0, 1024)
	passes := func(g []byte) bool {
		p, _, err := d.Next(g)
		return err == nil && p != nil
	}
	for i := range 300 {
		msg := testMsg('g', i)
		for seq := 0; seq < 256; seq += 64 {
			f := appendFrame2(nil, TypeData, byte(seq), true, msg)
			enc := f[:len(f)-1] // without the delimiter
			for k := range enc {
				buf = append(append(append(buf[:0], enc[:k]...), enc[k+1:]...), 0)
				drops++
				if passes(buf) {
					dropPassed++
				}
				for bit := range 8 {
					if i%4 != 0 {
						break
					}
					buf = append(append(buf[:0], enc...), 0)
					buf[k] ^= 1 << bit
					if buf[k] == 0 {
						continue // a new delimiter: two short frames, checked by the drops
					}
					flips++
					if passes(buf) {
						flipPassed++
					}
				}
			}
		}
	}
	perMillion := func(n, of int) float64 { return float64(n) * 1e6 / float64(of) }
	t.Logf("lost byte: %d of %d passed (%.1f per million); flipped bit: %d of %d passed (%.1f per million)",
		dropPassed, drops, perMillion(dropPassed, drops), flipPassed, flips, perMillion(flipPassed, flips))
	// CRC-16 on random damage: 15.3 per million. Three times that is a
	// broken CRC or decoder, not bad luck (the inputs are fixed: so are the
	// counts).
	for _, c := range []struct {
		what      string
		n, passed int
	}{{"lost byte", drops, dropPassed}, {"flipped bit", flips, flipPassed}} {
		if perMillion(c.passed, c.n) > 46 {
			t.Errorf("%s: %d of %d damaged frames passed the CRC", c.what, c.passed, c.n)
		}
	}
}
