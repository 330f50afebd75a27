package serialtransport

import (
	"bytes"
	"testing"
	"testing/synctest"
	"time"
)

// TestFastRetransmit sends 300 64-byte messages, in virtual time, over a
// line paced at 115200 baud 8N1 that loses 3 % of the device's writes (one
// frame each), with a RetransmitTimeout of 1 s. The gateway repeats its last
// ACK for each frame after a gap, and the device goes back at the first
// repeat instead of waiting out the timeout: the run takes well under twice
// the clean line's time (1.8 s; with a timeout per loss it took 11.8 s),
// and every message arrives once, in order.
func TestFastRetransmit(t *testing.T) {
	const rate, size, n = 11520, 64, 300
	for _, tc := range []struct {
		name      string
		drop, dup float64
		maxRtx    uint64
	}{
		{"clean", 0, 0, 0},
		{"lossy", 0.03, 0, 300},
		// A duplicate repeats the ACK: one go-back each at most, never a storm.
		{"duplicating", 0, 0.05, 16 * 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ab := &lineFaults{BytesPerSec: rate, Seed: 7, DropWrite: tc.drop, DupWrite: tc.dup}
				cfg := testCfg(8)
				cfg.RetransmitTimeout = time.Second
				dev, gw, l := linkPair(t, ab, &lineFaults{BytesPerSec: rate}, cfg, cfg)
				start := time.Now()
				go func() {
					for i := range n {
						msg := bytes.Repeat([]byte{byte(i)}, size)
						if err := dev.WriteMessages([][]byte{msg}); err != nil {
							t.Error(err)
							return
						}
					}
				}()
				for i := range n {
					m, err := gw.ReadMessage()
					if err != nil {
						t.Fatal(err)
					}
					if len(m) != size || m[0] != byte(i) {
						t.Fatalf("message %d: got % x...", i, m[:min(len(m), 4)])
					}
				}
				el := time.Since(start)
				rtx, ooo := dev.Stats().Retransmissions, l.Stats().OutOfOrder
				t.Logf("%d messages in %v (virtual); retransmissions %d, out of order %d, duplicates %d", n, el, rtx, ooo, l.Stats().Duplicates)
				clean := time.Duration(n*(size+8)) * time.Second / rate
				if el > 2*clean {
					t.Errorf("%v for what a clean line carries in %v", el, clean)
				}
				if tc.drop > 0 && (rtx == 0 || ooo == 0) {
					t.Error("no loss recovered: the test's line lost nothing")
				}
				if rtx > tc.maxRtx {
					t.Errorf("%d retransmissions, want at most %d", rtx, tc.maxRtx)
				}
			})
		})
	}
}

// TestNoRetransmitStorm has the gateway's reader stall for 600 ms after
// every 20th message, with a RetransmitTimeout of 250 ms: the device goes
// back on the timeout, and the frames the gateway already holds come again
// as duplicates, each answered by a repeated ACK. Those repeats must not
// make the device go back again and again (each go-back making more
// duplicates): at most a window per timeout.
func TestNoRetransmitStorm(t *testing.T) {
	const rate, size, n, w = 11520, 64, 100, 8
	synctest.Test(t, func(t *testing.T) {
		cfg := testCfg(w)
		cfg.RetransmitTimeout = 250 * time.Millisecond
		dev, gw, _ := linkPair(t, &lineFaults{BytesPerSec: rate}, &lineFaults{BytesPerSec: rate}, cfg, cfg)
		go func() {
			for i := range n {
				if err := dev.WriteMessages([][]byte{bytes.Repeat([]byte{byte(i)}, size)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		for i := range n {
			m, err := gw.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			if m[0] != byte(i) {
				t.Fatalf("message %d: got % x...", i, m[:4])
			}
			if i%20 == 19 {
				time.Sleep(600 * time.Millisecond)
			}
		}
		rtx := dev.Stats().Retransmissions
		t.Logf("retransmissions %d, duplicates %d", rtx, gw.Stats().Duplicates)
		// 5 stalls of 600 ms: 2 timeouts each, a window each.
		if rtx > 5*2*w {
			t.Errorf("%d retransmissions for 5 stalls of 600 ms, want at most %d", rtx, 5*2*w)
		}
	})
}
