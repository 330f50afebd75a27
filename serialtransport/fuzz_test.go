package serialtransport

import (
	"bytes"
	"io"
	"testing"
)

// FuzzFrameDecoder feeds arbitrary bytes, split at a fuzzed point, to a
// decoder: it must not panic, its buffer must not grow, every payload must
// fit the limit and survive a re-encode/decode round trip.
func FuzzFrameDecoder(f *testing.F) {
	s, _ := stream(f)
	f.Add(s, uint16(0))
	f.Add(s, uint16(len(s)/2))
	for _, g := range goldenFrames {
		f.Add(unhex(f, g.frame), uint16(3))
	}
	f.Add([]byte{0, 0, 0xff, 0xff, 0, 1, 0}, uint16(2))
	f.Add(bytes.Repeat([]byte{7}, 300), uint16(100))
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		const max = 64
		d := NewFrameDecoder(max)
		c := cap(d.buf)
		at := int(split) % (len(data) + 1)
		var got [][]byte
		for _, chunk := range [][]byte{data[:at], data[at:]} {
			for len(chunk) > 0 {
				p, rest, err := d.Next(chunk)
				if len(rest) >= len(chunk) {
					t.Fatalf("Next consumed nothing of %d bytes", len(chunk))
				}
				chunk = rest
				if err == nil && p != nil {
					if len(p) > max {
						t.Fatalf("payload of %d bytes over the %d limit", len(p), max)
					}
					got = append(got, bytes.Clone(p))
				}
			}
		}
		if cap(d.buf) != c {
			t.Fatalf("decoder buffer grew from %d to %d", c, cap(d.buf))
		}
		for _, p := range got {
			d2 := NewFrameDecoder(max)
			q, _, err := d2.Next(AppendFrame(nil, p))
			if err != nil || !bytes.Equal(p, q) {
				t.Fatalf("round trip of % x: % x, %v", p, q, err)
			}
		}
	})
}

// blockingLine is a line on which nothing arrives and writes vanish.
type blockingLine struct{ closed chan struct{} }

func (b blockingLine) Read([]byte) (int, error)    { <-b.closed; return 0, io.EOF }
func (b blockingLine) Write(p []byte) (int, error) { return len(p), nil }
func (b blockingLine) Close() error                { close(b.closed); return nil }

// FuzzGatewayFrames hands arbitrary frame payloads to a gateway, the way
// its reader does: nothing may panic, and Close must end every goroutine.
func FuzzGatewayFrames(f *testing.F) {
	for _, g := range goldenFrames {
		f.Add(unhex(f, g.payload))
	}
	f.Add(append(appendHello(nil, 1, 2, 1, 1), appendHello(nil, 15, 1, 200, 2)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		l := NewListener(blockingLine{make(chan struct{})}, Config{})
		// split data into payloads at every 0xFE (so several frames arrive)
		for p := range bytes.SplitSeq(data, []byte{0xFE}) {
			l.e.dispatch(p)
		}
		l.Close()
	})
}
