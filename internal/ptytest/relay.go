//go:build linux

package ptytest

import (
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// LineConfig shapes one direction of a [Relay] as a serial line would. The
// zero value moves bytes as fast as the ptys do.
type LineConfig struct {
	// BytesPerSec is the line rate: baud/10 for 8N1 (11,520 at 115,200
	// baud, 25,000 at 250,000). 0: unpaced.
	BytesPerSec int
	// Burst is the most bytes the line sends back to back without waiting
	// for the clock, the bucket of a token bucket: a line idle for a while
	// has sent nothing, so it has at most Burst bytes of credit. Default 4 ms
	// of line time, at least 16 bytes (a 16550's FIFO); it only needs to
	// cover the relay's sleep granularity (about 1 ms).
	Burst int
	// CatchUp is how far the relay may fall behind the line (asleep or
	// descheduled while bytes wait) and still make the time up by sending
	// faster afterwards, so that a loaded machine slows the modelled line
	// only when it lags by more (counted in [LineStats].Lag). A UART never
	// lags; the catch-up keeps the line's rate over any stretch longer than
	// CatchUp at the nominal rate, at the cost of bursts. Default 50 ms.
	CatchUp time.Duration
	// Latency delays every byte by this much beyond its time on the line
	// (a radio modem, a USB adapter's polling interval). Default 0.
	Latency time.Duration
	// ByteErrorRate is the probability that a byte arrives with one bit
	// flipped (line noise). Default 0.
	ByteErrorRate float64
	// Seed seeds the noise.
	Seed uint64
}

// burst returns the effective Burst.
func (c LineConfig) burst() int {
	if c.Burst > 0 {
		return c.Burst
	}
	return max(16, c.BytesPerSec/250)
}

// catchUp returns the effective CatchUp in bytes of line time, at least a burst.
func (c LineConfig) catchUp() int {
	d := c.CatchUp
	if d <= 0 {
		d = 50 * time.Millisecond
	}
	return max(c.burst(), int(d.Seconds()*float64(c.BytesPerSec)))
}

// Relay joins two pty masters like a serial cable: what the slave of a
// writes arrives at the slave of b and the other way round, each direction
// paced and shaped by its [LineConfig]. A direction reads at most CatchUp
// worth of bytes ahead of the line, so a writer that outruns it fills the
// pty's buffer and blocks, as on a UART.
type Relay struct {
	a, b   *os.File
	ab, ba dirCounters
	wg     sync.WaitGroup
	once   sync.Once
}

// LineStats are the counters of one direction of a [Relay], in bytes: the
// bytes delivered, and the line time lost (what the line could have sent
// in it) while nothing was waiting to be sent (Idle: the sender stalled)
// or while bytes waited but the relay was late, sleeping or descheduled
// past its burst (Lag: the model fell behind the line it models; on a
// loaded machine, compare it with Bytes).
type LineStats struct {
	Bytes, Idle, Lag uint64
}

type dirCounters struct{ bytes, idle, lag atomic.Uint64 }

func (d *dirCounters) load() LineStats {
	return LineStats{Bytes: d.bytes.Load(), Idle: d.idle.Load(), Lag: d.lag.Load()}
}

// NewRelay starts relaying between the masters a and b, with ab shaping the
// direction a to b and ba the other. The Relay owns a and b: Close closes
// them.
func NewRelay(a, b *os.File, ab, ba LineConfig) *Relay {
	r := &Relay{a: a, b: b}
	r.wg.Add(2)
	go r.pump(a, b, ab, &r.ab)
	go r.pump(b, a, ba, &r.ba)
	return r
}

// Stats returns the counters of the direction a to b and of b to a.
func (r *Relay) Stats() (ab, ba LineStats) { return r.ab.load(), r.ba.load() }

// Close closes both masters and waits for the relay's goroutines.
func (r *Relay) Close() error {
	r.once.Do(func() {
		r.a.Close()
		r.b.Close()
	})
	r.wg.Wait()
	return nil
}

// delayed is a chunk of bytes and when it is due at the far end.
type delayed struct {
	b  []byte
	at time.Time
}

// pump moves src's bytes to dst at cfg's pace until either fails.
func (r *Relay) pump(src, dst *os.File, cfg LineConfig, ctr *dirCounters) {
	defer r.wg.Done()
	burst, catchUp := cfg.burst(), cfg.catchUp()
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	write := func(p []byte) bool {
		if _, err := dst.Write(p); err != nil {
			return false
		}
		ctr.bytes.Add(uint64(len(p)))
		return true
	}
	deliver := write
	if cfg.Latency > 0 {
		// A second goroutine writes each chunk when it is due; the queue
		// holds at most one second of line time in chunks of Burst.
		q := make(chan delayed, max(64, cfg.BytesPerSec/burst))
		done := make(chan struct{})
		defer func() { close(q); <-done }()
		go func() {
			defer close(done)
			ok := true
			for c := range q {
				if d := time.Until(c.at); d > 0 && ok {
					time.Sleep(d)
				}
				ok = ok && write(c.b)
			}
		}()
		deliver = func(p []byte) bool {
			q <- delayed{b: append([]byte(nil), p...), at: time.Now().Add(cfg.Latency)}
			return true
		}
	}
	rate := float64(cfg.BytesPerSec)
	tokens, last := float64(burst), time.Now()
	var idle, lag float64 // line time lost, in bytes, not yet counted
	refill := func(waiting bool) {
		now := time.Now()
		tokens += now.Sub(last).Seconds() * rate
		last = now
		ceiling := float64(burst) // an idle line: a FIFO's worth of credit
		if waiting {
			ceiling = float64(catchUp)
		}
		if over := tokens - ceiling; over > 0 {
			tokens = ceiling
			if waiting {
				lag += over
				ctr.lag.Add(uint64(lag))
				lag -= float64(uint64(lag))
			} else {
				idle += over
				ctr.idle.Add(uint64(idle))
				idle -= float64(uint64(idle))
			}
		}
	}
	buf := make([]byte, catchUp)
	for {
		t0 := time.Now()
		n, err := src.Read(buf)
		p := buf[:n]
		if rate > 0 && n > 0 {
			// A Read that blocked means the line waited for these bytes
			// (idle); one that returned at once, that they waited for us.
			refill(time.Since(t0) < time.Millisecond)
		}
		if cfg.ByteErrorRate > 0 {
			for i := range p {
				if rng.Float64() < cfg.ByteErrorRate {
					p[i] ^= 1 << rng.IntN(8)
				}
			}
		}
		for len(p) > 0 {
			k := len(p)
			if rate > 0 {
				// Wait for credit for half a burst (or the rest), not
				// for one byte: fewer, larger writes, as a FIFO drains.
				refill(true)
				if need := float64(min(len(p), max(1, burst/2))); tokens < need {
					time.Sleep(time.Duration((need - tokens) / rate * float64(time.Second)))
					refill(true)
				}
				k = min(len(p), int(tokens))
				tokens -= float64(k)
			}
			if !deliver(p[:k]) {
				return
			}
			p = p[k:]
		}
		if err != nil {
			return
		}
	}
}

// Line is a serial cable made of two pty pairs and a [Relay] between their
// masters: a device opens DevicePath, a gateway GatewayPath, and what one
// writes reaches the other at the line's pace.
type Line struct {
	DevicePath  string
	GatewayPath string
	Relay       *Relay
}

// OpenLine opens two pty pairs and relays them, both directions shaped by
// cfg (the noise of the way back seeded with cfg.Seed+1).
func OpenLine(cfg LineConfig) (*Line, error) {
	dev, err := Open()
	if err != nil {
		return nil, err
	}
	gw, err := Open()
	if err != nil {
		dev.Close()
		return nil, err
	}
	back := cfg
	back.Seed++
	return &Line{DevicePath: dev.SlavePath, GatewayPath: gw.SlavePath, Relay: NewRelay(dev.Master, gw.Master, cfg, back)}, nil
}

// Close closes the relay and both masters.
func (l *Line) Close() error { return l.Relay.Close() }
