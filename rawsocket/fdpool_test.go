//go:build linux && !edgewamp_board

package rawsocket

import (
	"testing"

	"github.com/edgewamp/edgewamp/internal/testnet"
)

// TestFrameReaderReused: a frame reader a parked socket let go of serves
// the next socket that needs one, as a new one would: over that socket,
// with nothing of the first (its drained mark, its payload buffer).
func TestFrameReaderReused(t *testing.T) {
	a, _ := testnet.SmallSendPair(t, "tcp")
	b, peerB := testnet.SmallSendPair(t, "tcp")
	first := newFrameReader(a, readBufferSize, 1024)
	raw := first.br.raw
	var got *frameReader
	for range 100 { // sync.Pool may drop what it is given (a quarter of the time under the race detector)
		// As a parked socket leaves it (keepFrameReader clears it: set
		// again for each try).
		first.br.src, first.br.raw, first.br.n, first.buf = a, raw, -1, make([]byte, 8)
		keepFrameReader(first)
		if got = reuseFrameReader(b, 2048); got != nil {
			break
		}
	}
	if got == nil {
		t.Skip("the pool kept no reader")
	}
	if got != first || got.br.src != b || got.br.raw == nil || got.br.n != 0 || got.buf != nil || got.max != 2048 {
		t.Fatalf("reused reader: src %v, raw %v, n %d, buf %v, max %d", got.br.src, got.br.raw, got.br.n, got.buf, got.max)
	}
	frame := []byte{byte(frameMessage), 0, 0, 2, 'h', 'i'}
	if _, err := peerB.Write(frame); err != nil {
		t.Fatal(err)
	}
	if typ, p, err := got.next(); err != nil || typ != frameMessage || string(p) != "hi" {
		t.Fatalf("next = %v, %q, %v", typ, p, err)
	}
}
