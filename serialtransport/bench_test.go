package serialtransport

import (
	"bytes"
	"fmt"
	"testing"
)

func BenchmarkFrame(b *testing.B) {
	for _, size := range []int{64, 1024} {
		msg := bytes.Repeat([]byte{0x93, 0x10, 0x00, 0xa5}, size/4)
		b.Run(fmt.Sprintf("encode/%dB", size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			dst := make([]byte, 0, size+2+FrameOverhead(size+2))
			for b.Loop() {
				dst = appendFrame2(dst[:0], TypeData, 7, true, msg)
			}
		})
		b.Run(fmt.Sprintf("decode/%dB", size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			frame := appendFrame2(nil, TypeData, 7, true, msg)
			d := NewFrameDecoder(size + 2)
			in := make([]byte, len(frame))
			for b.Loop() {
				copy(in, frame) // decoding is in place in the decoder's buffer; keep the input fresh anyway
				p, _, err := d.Next(in)
				if err != nil || len(p) != size+2 {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLinkThroughput measures messages one way over an in-memory line
// (no pacing): the protocol's own cost per message, window 1 and 8.
func BenchmarkLinkThroughput(b *testing.B) {
	for _, w := range []int{1, 8} {
		for _, size := range []int{64, 1024} {
			b.Run(fmt.Sprintf("window%d/%dB", w, size), func(b *testing.B) {
				dev, gw, closeAll := benchPair(b, w)
				defer closeAll()
				msg := bytes.Repeat([]byte{1, 0}, size/2)
				done := make(chan error, 1)
				n := b.N
				go func() {
					for range n {
						if _, err := gw.ReadMessage(); err != nil {
							done <- err
							return
						}
					}
					done <- nil
				}()
				b.ReportAllocs()
				b.SetBytes(int64(size))
				b.ResetTimer()
				batch := [][]byte{msg}
				for range n {
					if err := dev.WriteMessages(batch); err != nil {
						b.Fatal(err)
					}
				}
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

func benchPair(b *testing.B, w int) (dev, gw *Conn, closeAll func()) {
	b.Helper()
	a, bb := newLine(nil, nil)
	cfg := Config{Window: w, KeepAlive: -1}
	l := NewListener(bb, cfg)
	ch := make(chan *Conn, 1)
	go func() {
		c, err := Client(b.Context(), a, cfg)
		if err != nil {
			b.Error(err)
		}
		ch <- c
	}()
	gw, err := l.Accept(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	dev = <-ch
	if dev == nil {
		b.FailNow()
	}
	return dev, gw, func() { dev.Close(); l.Close() }
}
