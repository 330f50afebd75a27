//go:build linux

package ptytest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"
	"time"
)

// openLine opens a Line and both its slaves, closed at the end of the test.
func openLine(t *testing.T, cfg LineConfig) (dev, gw *os.File, l *Line) {
	t.Helper()
	l, err := OpenLine(cfg)
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	for _, p := range []struct {
		path string
		f    **os.File
	}{{l.DevicePath, &dev}, {l.GatewayPath, &gw}} {
		f, err := os.OpenFile(p.path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		*p.f = f
	}
	return dev, gw, l
}

// transfer writes data to w and reads as much from r; it returns what was
// read and when the last byte arrived, or fails the test after 30 s.
func transfer(t *testing.T, w, r *os.File, data []byte) ([]byte, time.Time) {
	t.Helper()
	type got struct {
		b   []byte
		at  time.Time
		err error
	}
	ch := make(chan got, 1)
	go func() {
		b := make([]byte, len(data))
		_, err := io.ReadFull(r, b)
		ch <- got{b, time.Now(), err}
	}()
	go w.Write(data)
	select {
	case g := <-ch:
		if g.err != nil {
			t.Fatal(g.err)
		}
		return g.b, g.at
	case <-time.After(30 * time.Second):
		t.Fatal("the relay did not deliver in 30 s")
	}
	return nil, time.Time{}
}

// TestRelayPacing sends half a second of line time each way at once and
// checks that every byte arrives intact, never faster than the line rate
// (plus one burst), and not far slower (the relay keeps up on a loaded
// machine: at least half the rate).
func TestRelayPacing(t *testing.T) {
	for _, rate := range []int{11520, 25000} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			cfg := LineConfig{BytesPerSec: rate}
			dev, gw, l := openLine(t, cfg)
			n := rate / 2
			data := make([]byte, n)
			for i := range data {
				data[i] = byte(i * 7)
			}
			start := time.Now()
			back := make(chan time.Time, 1)
			go func() {
				b, at := transfer(t, gw, dev, data)
				if !bytes.Equal(b, data) {
					t.Error("gateway -> device: bytes changed")
				}
				back <- at
			}()
			b, at := transfer(t, dev, gw, data)
			if !bytes.Equal(b, data) {
				t.Error("device -> gateway: bytes changed")
			}
			for dir, end := range map[string]time.Time{"device -> gateway": at, "gateway -> device": <-back} {
				el := end.Sub(start).Seconds()
				got := float64(n-cfg.burst()) / el
				t.Logf("%s: %d bytes in %.3f s: %.0f B/s (line %d B/s)", dir, n, el, float64(n)/el, rate)
				if got > 1.02*float64(rate) {
					t.Errorf("%s: %.0f B/s beyond the first burst, over the line rate %d", dir, got, rate)
				}
				if float64(n)/el < 0.5*float64(rate) {
					t.Errorf("%s: %.0f B/s, under half the line rate %d", dir, float64(n)/el, rate)
				}
			}
			// The relay counts a chunk just after writing it: the reader
			// may have it first.
			ab, ba := l.Relay.Stats()
			for deadline := time.Now().Add(5 * time.Second); (ab.Bytes != uint64(n) || ba.Bytes != uint64(n)) && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
				ab, ba = l.Relay.Stats()
			}
			if ab.Bytes != uint64(n) || ba.Bytes != uint64(n) {
				t.Errorf("Stats() = %+v, %+v; want %d bytes each way", ab, ba, n)
			}
			t.Logf("line time lost: %+v, %+v", ab, ba)
		})
	}
}

// TestRelayLatencyAndNoise checks that a byte takes at least the latency
// to cross, and that noise damages some bytes and keeps the count.
func TestRelayLatencyAndNoise(t *testing.T) {
	const lat = 50 * time.Millisecond
	dev, gw, _ := openLine(t, LineConfig{BytesPerSec: 25000, Latency: lat, ByteErrorRate: 0.05, Seed: 1})
	data := bytes.Repeat([]byte{0x55}, 2000)
	start := time.Now()
	b, at := transfer(t, dev, gw, data)
	if d := at.Sub(start); d < lat {
		t.Errorf("2000 bytes crossed in %v, under the latency %v", d, lat)
	}
	flipped := 0
	for _, c := range b {
		if c != 0x55 {
			flipped++
		}
	}
	if flipped == 0 || flipped > 400 {
		t.Errorf("%d of 2000 bytes damaged at a 5%% byte error rate", flipped)
	}
}
