package yuntest

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/serialtransport"
)

// noisyPort damages the bytes crossing it, both ways: each byte is dropped
// or has one bit flipped with the given probabilities (seeded, one source
// per direction, as Read and Write run on different goroutines).
type noisyPort struct {
	io.ReadWriteCloser
	flip, drop float64
	rin, rout  *rand.Rand
	damaged    atomic.Uint64
}

func (n *noisyPort) damage(r *rand.Rand, p []byte) []byte {
	out := p[:0]
	for _, b := range p {
		switch x := r.Float64(); {
		case x < n.drop:
			n.damaged.Add(1)
			continue
		case x < n.drop+n.flip:
			n.damaged.Add(1)
			b ^= 1 << r.IntN(8)
		}
		out = append(out, b)
	}
	return out
}

func (n *noisyPort) Read(p []byte) (int, error) {
	for {
		k, err := n.ReadWriteCloser.Read(p)
		if k > 0 {
			if d := n.damage(n.rin, p[:k]); len(d) > 0 || err != nil {
				return len(d), err
			}
			continue // every byte dropped: read again rather than return (0, nil)
		}
		return k, err
	}
}

func (n *noisyPort) Write(p []byte) (int, error) {
	d := n.damage(n.rout, append([]byte(nil), p...))
	if _, err := n.ReadWriteCloser.Write(d); err != nil {
		return 0, err
	}
	return len(p), nil
}

// TestNoisyLine runs calls and readings through a line that flips bits and
// drops bytes in both directions: the firmware's CRC checks, resynchronisation,
// retransmission and duplicate detection, with the gateway's, lose nothing and
// let no damaged message through.
func TestNoisyLine(t *testing.T) {
	requireTools(t)
	elf, harness := build(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const mv = 750
	s := startSim(t, harness, elf, mv)

	r, err := newRouter()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	port, err := serialtransport.OpenPort(s.pty, 250000)
	if err != nil {
		t.Fatal(err)
	}
	np := &noisyPort{ReadWriteCloser: port, flip: 1e-3, drop: 5e-4,
		rin: rand.New(rand.NewPCG(1, 2)), rout: rand.New(rand.NewPCG(3, 4))}
	g := serveLine(t, ctx, r, serialtransport.NewListener(np, serialtransport.Config{Name: s.pty}))

	tr, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := joinLocal(t, ctx, tr)
	events := subscribeReadings(t, ctx, c, "temperature", 256)
	waitFirmware(t, ctx, g, c, c.ID(), 0)

	const calls = 150
	start := time.Now()
	for i := range calls {
		on := i%2 == 0
		if got := callBool(t, ctx, c, "light.set", on); got != on {
			t.Fatalf("call %d: light.set(%v) = %v", i, on, got)
		}
	}
	elapsed := time.Since(start)
	n := 0
	for deadline := time.After(5 * time.Second); n < 3; n++ {
		select {
		case v := <-events:
			if math.Abs(v-celsius(mv)) > tolerance {
				t.Fatalf("a damaged reading reached WAMP: %v °C, want %.2f", v, celsius(mv))
			}
		case <-deadline:
			t.Fatalf("%d readings in 5 s through the noisy line, want 3", n)
		}
	}
	for len(events) > 0 {
		if v := <-events; math.Abs(v-celsius(mv)) > tolerance {
			t.Fatalf("a damaged reading reached WAMP: %v °C, want %.2f", v, celsius(mv))
		}
	}
	st := g.line.Stats()
	t.Logf("%d calls in %v through a line damaging %d bytes: %d CRC and %d COBS errors, %d oversize, %d retransmissions, %d duplicates, %d restarts",
		calls, elapsed.Round(time.Millisecond), np.damaged.Load(), st.CRCErrors, st.COBSErrors, st.Oversize, st.Retransmissions, st.Duplicates, st.Restarts)
	if np.damaged.Load() == 0 || st.CRCErrors+st.COBSErrors+st.Retransmissions+st.Duplicates == 0 {
		t.Fatalf("the noise did not hit anything (damaged %d bytes, %+v): the test proves nothing", np.damaged.Load(), st)
	}
}
