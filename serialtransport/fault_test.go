package serialtransport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// noiser damages one direction of a line, write by write: bit flips at a
// rate per bit, dropped bytes at a rate per byte (both drawn as geometric
// gaps, so every bit is at risk), and now and then a burst of random bytes
// inserted at a random place in a write. Its counters say what it did.
type noiser struct {
	mu         sync.Mutex
	rng        *rand.Rand
	bitRate    float64 // flips per bit
	dropRate   float64 // drops per byte
	burstEvery int     // one burst per burstEvery writes on average
	nextFlip   int64   // bits until the next flip
	nextDrop   int64   // bytes until the next drop

	writes, flipped, dropped, garbage, bursts atomic.Uint64
}

func newNoiser(seed int64) *noiser {
	n := &noiser{rng: rand.New(rand.NewSource(seed)), bitRate: 1e-4, dropRate: 2e-5, burstEvery: 300}
	n.nextFlip = n.gap(n.bitRate)
	n.nextDrop = n.gap(n.dropRate)
	return n
}

func (n *noiser) gap(rate float64) int64 { return int64(n.rng.ExpFloat64() / rate) }

// apply returns what arrives for one write of p.
func (n *noiser) apply(p []byte) []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.writes.Add(1)
	out := make([]byte, 0, len(p)+200)
	for _, b := range p {
		if n.nextDrop == 0 {
			n.dropped.Add(1)
			n.nextDrop = n.gap(n.dropRate)
			continue
		}
		n.nextDrop--
		for n.nextFlip < 8 {
			b ^= 1 << n.nextFlip
			n.flipped.Add(1)
			n.nextFlip += 1 + n.gap(n.bitRate)
		}
		n.nextFlip -= 8
		out = append(out, b)
	}
	if n.rng.Intn(n.burstEvery) == 0 {
		g := make([]byte, 20+n.rng.Intn(181))
		n.rng.Read(g)
		at := n.rng.Intn(len(out) + 1)
		out = append(out[:at], append(g, out[at:]...)...)
		n.bursts.Add(1)
		n.garbage.Add(uint64(len(g)))
	}
	return out
}

// noisyEnd is the gateway's end of the line: its writes go through a noiser.
type noisyEnd struct {
	*lineEnd
	n *noiser
}

func (e *noisyEnd) Write(p []byte) (int, error) {
	if _, err := e.lineEnd.Write(e.n.apply(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// deviceLine is the device's end of the line, shared by the device's
// incarnations: one pump reads the line, and the incarnation running reads
// from the pump. Writes go through a noiser.
type deviceLine struct {
	end *lineEnd
	n   *noiser
	in  chan []byte
}

func newDeviceLine(end *lineEnd, n *noiser) *deviceLine {
	d := &deviceLine{end: end, n: n, in: make(chan []byte)}
	go func() {
		defer close(d.in)
		for {
			buf := make([]byte, 512)
			k, err := end.Read(buf)
			if k > 0 {
				select {
				case d.in <- buf[:k]:
				case <-end.closed:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return d
}

// incarnation is one life of the device (a microcontroller between two
// resets): an io.ReadWriteCloser on the shared line whose Close leaves the
// line open. After crash, its next write stops half-way through and it
// writes nothing more, as a device that resets mid-frame.
type incarnation struct {
	d       *deviceLine
	rest    []byte
	closed  chan struct{}
	once    sync.Once
	cut     atomic.Bool // the next write is cut short
	dead    atomic.Bool // writes vanish
	crashed chan struct{}
}

func (d *deviceLine) incarnate() *incarnation {
	return &incarnation{d: d, closed: make(chan struct{}), crashed: make(chan struct{})}
}

func (c *incarnation) Read(p []byte) (int, error) {
	if len(c.rest) == 0 {
		select {
		case <-c.closed:
			return 0, io.EOF
		default:
		}
		select {
		case b, ok := <-c.d.in:
			if !ok {
				return 0, io.EOF
			}
			c.rest = b
		case <-c.closed:
			return 0, io.EOF
		}
	}
	k := copy(p, c.rest)
	c.rest = c.rest[k:]
	return k, nil
}

func (c *incarnation) Write(p []byte) (int, error) {
	if c.dead.Load() {
		return len(p), nil
	}
	q := p
	cut := len(p) > 4 && c.cut.CompareAndSwap(true, false)
	if cut {
		at := len(p) / 2
		for at > 1 && p[at-1] == 0 { // stop inside a frame, not after one
			at--
		}
		q = p[:at]
		c.dead.Store(true)
	}
	if _, err := c.d.end.Write(c.d.n.apply(q)); err != nil {
		return 0, err
	}
	if cut {
		close(c.crashed)
	}
	return len(p), nil
}

func (c *incarnation) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// faultPayload is message seq of a stream: a sequence number, bytes that
// vary with it, and a CRC-32 of both.
func faultPayload(stream string, seq int) wamp.List {
	blob := make([]byte, 8+seq%120)
	r := rand.New(rand.NewSource(int64(seq)*31 + int64(len(stream))))
	r.Read(blob)
	return wamp.List{int64(seq), blob, int64(faultSum(stream, seq, blob))}
}

func faultSum(stream string, seq int, blob []byte) uint32 {
	h := crc32.NewIEEE()
	fmt.Fprintf(h, "%s/%d/", stream, seq)
	h.Write(blob)
	return h.Sum32()
}

func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case uint64:
		return int64(n), true
	case int:
		return int64(n), true
	}
	return 0, false
}

// checkPayload tells whether args is exactly faultPayload(stream, seq) for
// the seq it carries, and returns that seq.
func checkPayload(stream string, args wamp.List) (int, error) {
	if len(args) != 3 {
		return -1, fmt.Errorf("%d args", len(args))
	}
	seq, ok := asInt(args[0])
	if !ok || seq < 0 {
		return -1, fmt.Errorf("seq %v", args[0])
	}
	want := faultPayload(stream, int(seq))
	blob, _ := args[1].([]byte)
	sum, _ := asInt(args[2])
	if !bytes.Equal(blob, want[1].([]byte)) || sum != want[2].(int64) || uint32(sum) != faultSum(stream, int(seq), blob) {
		return int(seq), fmt.Errorf("seq %d: payload differs from what was sent", seq)
	}
	return int(seq), nil
}

// TestFaultNoisyLineThroughMinirouter runs a device client and a minirouter
// session across a serial link whose line, both ways, flips bits (1e-4 per
// bit), drops bytes, and inserts bursts of garbage; the device then resets
// in the middle of a frame and a new incarnation links again. 1,000 calls
// from the serial device to an in-process callee and 10,000 readings to an
// in-process subscriber must all arrive intact, once, in order; the old
// session must end and its registration go.
func TestFaultNoisyLineThroughMinirouter(t *testing.T) {
	const calls, readings = 1000, 10000
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // virtual time
		defer cancel()
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		big := peer.Config{QueueMessages: 4 * readings, QueueBytes: 64 << 20}
		rt, err := minirouter.New(minirouter.Config{Logger: quiet, Peer: big})
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close()

		devNoise, gwNoise := newNoiser(41), newNoiser(42)
		a, b := newLine(nil, nil)
		line := newDeviceLine(a, devNoise)
		defer a.Close()
		cfg := testCfg(8)
		l := NewListener(&noisyEnd{lineEnd: b, n: gwNoise}, cfg)

		var wg sync.WaitGroup
		ended := make(chan error, 4)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := l.Accept(ctx)
				if err != nil {
					return
				}
				wg.Add(1)
				rt.Attach(ctx, c, func(err error) { ended <- err; wg.Done() })
			}
		}()
		defer func() {
			l.Close()
			wg.Wait()
		}()

		// the in-process side: a callee and a subscriber
		ct, err := rt.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		local, err := device.NewClient(ctx, ct, device.Config{Logger: quiet, EventQueue: 2 * readings, Peer: big})
		if err != nil {
			t.Fatal(err)
		}
		defer local.Close()
		var corruptInv atomic.Int64
		var invoked [calls + 20]atomic.Int32 // invocations per call seq
		if _, err := local.Register(ctx, "fault.echo", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
			seq, err := checkPayload("call", inv.Args)
			if err != nil || seq >= len(invoked) {
				corruptInv.Add(1)
				return wamp.Payload{}, fmt.Errorf("bad invocation: %v", err)
			}
			invoked[seq].Add(1)
			return wamp.Payload{Args: inv.Args}, nil
		}, nil); err != nil {
			t.Fatal(err)
		}
		var (
			mu       sync.Mutex
			nextRead int
			readErrs []error
		)
		gotAll := make(chan struct{})
		if _, err := local.Subscribe(ctx, "fault.reading", func(ev *device.Event) {
			mu.Lock()
			defer mu.Unlock()
			seq, err := checkPayload("reading", ev.Args)
			switch {
			case err != nil:
				readErrs = append(readErrs, err)
			case seq != nextRead:
				readErrs = append(readErrs, fmt.Errorf("reading %d arrived when %d was due", seq, nextRead))
			default:
				nextRead++
				if nextRead == readings {
					close(gotAll)
				}
			}
		}, nil); err != nil {
			t.Fatal(err)
		}

		// the serial device
		start := time.Now()
		inc1 := line.incarnate()
		tr, err := Client(ctx, inc1, cfg)
		if err != nil {
			t.Fatal(err)
		}
		dev, err := device.NewClient(ctx, tr, device.Config{Logger: quiet, Peer: big})
		if err != nil {
			t.Fatal(err)
		}
		defer dev.Close()
		echo := func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
			return wamp.Payload{Args: inv.Args}, nil
		}
		if _, err := dev.Register(ctx, "fault.dev.echo", echo, nil); err != nil {
			t.Fatal(err)
		}

		// 1,000 calls (4 callers) and 10,000 readings at once
		errs := make(chan error, 8)
		var next atomic.Int64
		var traffic sync.WaitGroup
		for range 4 {
			traffic.Add(1)
			go func() {
				defer traffic.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= calls {
						return
					}
					res, err := dev.Call(ctx, "fault.echo", wamp.Payload{Args: faultPayload("call", i)}, nil)
					if err != nil {
						errs <- fmt.Errorf("call %d: %w", i, err)
						return
					}
					if seq, err := checkPayload("call", res.Args); err != nil || seq != i {
						errs <- fmt.Errorf("call %d: result seq %d: %v", i, seq, err)
						return
					}
				}
			}()
		}
		traffic.Add(1)
		go func() {
			defer traffic.Done()
			for i := range readings {
				o := &device.PublishOptions{Acknowledge: i%100 == 99}
				if err := dev.Publish(ctx, "fault.reading", wamp.Payload{Args: faultPayload("reading", i)}, o); err != nil {
					errs <- fmt.Errorf("publish %d: %w", i, err)
					return
				}
			}
		}()
		traffic.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		select {
		case <-gotAll:
		case <-dev.Done():
			t.Fatalf("device session ended: %v", dev.Err())
		case <-time.After(time.Minute):
			mu.Lock()
			t.Fatalf("readings: %d of %d received in order", nextRead, readings)
		}
		linkUp := time.Since(start)
		mu.Lock()
		for _, err := range readErrs {
			t.Error(err)
		}
		mu.Unlock()
		if n := corruptInv.Load(); n != 0 {
			t.Errorf("%d corrupt invocations reached the callee", n)
		}
		if tr.Err() != nil || dev.Err() != nil {
			t.Fatalf("link or session down after the traffic: %v / %v", tr.Err(), dev.Err())
		}
		if _, err := local.Call(ctx, "fault.dev.echo", wamp.Payload{Args: wamp.List{"before"}}, nil); err != nil {
			t.Fatalf("call to the serial device: %v", err)
		}
		mid := l.Stats()

		// the device resets half-way through a frame and comes back
		inc1.cut.Store(true)
		if err := dev.Publish(ctx, "fault.reading.last", wamp.Payload{Args: wamp.List{"x", "a frame long enough to cut in half"}}, nil); err != nil {
			t.Fatal(err)
		}
		<-inc1.crashed
		dev.Close()
		inc1.Close()
		inc2 := line.incarnate()
		defer inc2.Close()
		tr2, err := Client(ctx, inc2, cfg)
		if err != nil {
			t.Fatalf("new link: %v", err)
		}
		dev2, err := device.NewClient(ctx, tr2, device.Config{Logger: quiet})
		if err != nil {
			t.Fatalf("new session: %v", err)
		}
		defer dev2.Close()
		select {
		case err := <-ended:
			if !errors.Is(err, ErrPeerRestarted) {
				t.Fatalf("old session ended with %v, want ErrPeerRestarted", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("old session did not end")
		}
		if _, err := local.Call(ctx, "fault.dev.echo", wamp.Payload{Args: wamp.List{"after"}}, nil); !errors.Is(err, wamp.ErrNoSuchProcedure) {
			t.Fatalf("call to the old session's procedure = %v, want no_such_procedure", err)
		}
		if _, err := dev2.Register(ctx, "fault.dev.echo", echo, nil); err != nil {
			t.Fatal(err)
		}
		res, err := local.Call(ctx, "fault.dev.echo", wamp.Payload{Args: wamp.List{"again"}}, nil)
		if err != nil || len(res.Args) != 1 || res.Args[0] != "again" {
			t.Fatalf("call to the new session = %v, %v", res, err)
		}
		for i := calls; i < calls+20; i++ {
			res, err := dev2.Call(ctx, "fault.echo", wamp.Payload{Args: faultPayload("call", i)}, nil)
			if err != nil {
				t.Fatalf("new session call %d: %v", i, err)
			}
			if seq, err := checkPayload("call", res.Args); err != nil || seq != i {
				t.Fatalf("new session call %d: %d %v", i, seq, err)
			}
		}

		for i := range invoked {
			if n := invoked[i].Load(); n != 1 {
				t.Errorf("call %d invoked %d times", i, n)
			}
		}
		mu.Lock()
		if nextRead != readings || len(readErrs) != 0 {
			t.Errorf("readings: %d in order, %d errors (late duplicates?)", nextRead, len(readErrs))
		}
		mu.Unlock()

		gs, ds := l.Stats(), tr2.Stats()
		ds1 := tr.Stats()
		t.Logf("link up %v (virtual) for %d calls and %d readings; total %v", linkUp, calls, readings, time.Since(start))
		t.Logf("gateway line: %+v", gs)
		t.Logf("device line (1st life): %+v", ds1)
		t.Logf("device line (2nd life): %+v", ds)
		t.Logf("frames in: gateway %d, device %d; CRC errors %d, COBS errors %d, oversize %d, retransmissions %d, duplicates %d, out of order %d",
			gs.FramesIn, ds1.FramesIn+ds.FramesIn,
			gs.CRCErrors+ds1.CRCErrors+ds.CRCErrors, gs.COBSErrors+ds1.COBSErrors+ds.COBSErrors,
			gs.Oversize+ds1.Oversize+ds.Oversize,
			gs.Retransmissions+ds1.Retransmissions+ds.Retransmissions,
			gs.Duplicates+ds1.Duplicates+ds.Duplicates, gs.OutOfOrder+ds1.OutOfOrder+ds.OutOfOrder)
		for _, x := range []struct {
			dir string
			n   *noiser
		}{{"device→gateway", devNoise}, {"gateway→device", gwNoise}} {
			t.Logf("injected %s: %d writes, %d bits flipped, %d bytes dropped, %d garbage bursts (%d bytes)",
				x.dir, x.n.writes.Load(), x.n.flipped.Load(), x.n.dropped.Load(), x.n.bursts.Load(), x.n.garbage.Load())
		}
		if gs.CRCErrors+ds1.CRCErrors == 0 || gs.COBSErrors+ds1.COBSErrors == 0 {
			t.Errorf("bad frames not counted: CRC %d, COBS %d", gs.CRCErrors+ds1.CRCErrors, gs.COBSErrors+ds1.COBSErrors)
		}
		if mid.Handshakes != 1 || gs.Restarts != 1 || gs.Handshakes != 2 {
			t.Errorf("gateway handshakes %d before the reset, %d after, restarts %d", mid.Handshakes, gs.Handshakes, gs.Restarts)
		}
		dev2.Close()
		local.Close()
	})
}
