package serialtransport

import (
	"bytes"
	"io"
	"math/rand"
	"os"
	"slices"
	"sync"
	"time"
)

// lineFaults is the noise applied to one direction of a test line: per
// write (a write holds one or more whole frames) and per byte.
type lineFaults struct {
	DropWrite float64 // the whole write is lost
	DupWrite  float64 // the whole write arrives twice
	FlipByte  float64 // a byte gets one bit flipped
	DropByte  float64 // a byte is lost
	Seed      int64
	// BytesPerSec paces the line like a UART (115200 baud 8N1: 11520):
	// a write's bytes arrive once the line sent them (the reader waits;
	// the writer does not, so no lock is held across the wait, which
	// synctest could not see through).
	BytesPerSec int
}

// lineEnd is one end of an in-memory serial line: what is written to one
// end is read from the other, in order, after the faults. Chunks travel
// through a bounded channel, so a writer blocks when the reader stops.
// Closing an end unblocks its pending calls; what is written to a closed
// end is lost, as on a serial line nobody listens to.
type lineEnd struct {
	in     chan chunk    // chunks for our Read
	out    chan chunk    // the peer's in
	closed chan struct{} // this end is closed
	peer   *lineEnd
	once   sync.Once
	rest   []byte // unread part of the current chunk (reader-owned)

	mu       sync.Mutex // protects rng and lineFree
	faults   *lineFaults
	rng      *rand.Rand
	lineFree time.Time // when the paced line is done sending
}

// newLine returns the two ends of a line with faults ab (a to b) and ba.
func newLine(ab, ba *lineFaults) (a, b *lineEnd) { return newLineCap(ab, ba, 256) }

// newLineCap is newLine with room for capacity writes in each direction
// (1: a writer blocks until the reader took the previous write).
func newLineCap(ab, ba *lineFaults, capacity int) (a, b *lineEnd) {
	ca, cb := make(chan chunk, capacity), make(chan chunk, capacity)
	a = &lineEnd{in: ca, out: cb, closed: make(chan struct{}), faults: ab}
	b = &lineEnd{in: cb, out: ca, closed: make(chan struct{}), faults: ba}
	a.peer, b.peer = b, a
	for _, e := range []*lineEnd{a, b} {
		if e.faults != nil {
			e.rng = rand.New(rand.NewSource(e.faults.Seed))
		}
	}
	return a, b
}

func (e *lineEnd) Read(p []byte) (int, error) {
	if len(e.rest) == 0 {
		select {
		case c := <-e.in:
			if d := time.Until(c.at); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-e.closed:
					t.Stop()
					return 0, io.EOF
				}
			}
			e.rest = c.b
		case <-e.closed:
			return 0, io.EOF
		}
	}
	n := copy(p, e.rest)
	e.rest = e.rest[n:]
	return n, nil
}

func (e *lineEnd) Write(p []byte) (int, error) {
	select {
	case <-e.closed:
		return 0, os.ErrClosed
	default:
	}
	at := e.pace(len(p))
	chunks := e.noise(p)
	for _, c := range chunks {
		select {
		case e.out <- chunk{c, at}:
		case <-e.closed:
			return 0, os.ErrClosed
		case <-e.peer.closed:
		}
	}
	return len(p), nil
}

// chunk is one write's bytes and when they have arrived.
type chunk struct {
	b  []byte
	at time.Time
}

// pace returns when n more bytes will have gone over a paced line.
func (e *lineEnd) pace(n int) time.Time {
	if e.faults == nil || e.faults.BytesPerSec == 0 {
		return time.Time{}
	}
	e.mu.Lock()
	now := time.Now()
	if e.lineFree.Before(now) {
		e.lineFree = now
	}
	e.lineFree = e.lineFree.Add(time.Duration(n) * time.Second / time.Duration(e.faults.BytesPerSec))
	at := e.lineFree
	e.mu.Unlock()
	return at
}

// noise returns the chunks that arrive for one write.
func (e *lineEnd) noise(p []byte) [][]byte {
	c := append([]byte(nil), p...)
	f := e.faults
	if f == nil {
		return [][]byte{c}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rng.Float64() < f.DropWrite {
		return nil
	}
	if f.FlipByte > 0 || f.DropByte > 0 {
		c = e.damage(p)
	}
	if e.rng.Float64() < f.DupWrite {
		return [][]byte{c, append([]byte(nil), c...)}
	}
	return [][]byte{c}
}

// damage returns p with bytes flipped or lost at the fault rates. The
// damage stays detectable: a draw that leaves a changed frame with a
// matching CRC (CRC-16 lets about 1 in 65,536 through, see
// TestFrameResidualErrors) is drawn again, and a write's final delimiter
// is kept, so a damaged tail never merges with the next write. The link's
// recovery is what the lossy tests check, not CRC-16's strength.
func (e *lineEnd) damage(p []byte) []byte {
	f := e.faults
	for {
		out := make([]byte, 0, len(p))
		for i, b := range p {
			last := i == len(p)-1 && b == 0
			if !last && e.rng.Float64() < f.DropByte {
				continue
			}
			if !last && e.rng.Float64() < f.FlipByte {
				b ^= 1 << e.rng.Intn(8)
			}
			out = append(out, b)
		}
		if !undetectedDamage(p, out) {
			return out
		}
	}
}

// undetectedDamage reports whether noisy, a damaged copy of the frames in
// sent, holds a frame that passes its CRC but was not sent.
func undetectedDamage(sent, noisy []byte) bool {
	frames := func(b []byte) [][]byte {
		d := NewFrameDecoder(len(b))
		var out [][]byte
		rest := append([]byte{0}, b...)
		for len(rest) > 0 {
			var p []byte
			p, rest, _ = d.Next(rest)
			if p != nil {
				out = append(out, append([]byte(nil), p...))
			}
		}
		return out
	}
	ok := frames(sent)
	for _, p := range frames(noisy) {
		if !slices.ContainsFunc(ok, func(q []byte) bool { return bytes.Equal(p, q) }) {
			return true
		}
	}
	return false
}

// Close closes this end.
func (e *lineEnd) Close() error {
	e.once.Do(func() { close(e.closed) })
	return nil
}
