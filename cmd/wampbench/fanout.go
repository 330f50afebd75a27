package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// Window control of a full-speed fan-out.
const (
	// windowWait is how long a publisher whose window is full waits for a
	// delivery before it looks again.
	windowWait = 20 * time.Millisecond
	// lossAfter is how long a full window may see no delivery at all before
	// the publisher counts the missing events as lost (a router that drops
	// events to slow consumers) and opens the window again.
	lossAfter = 200 * time.Millisecond
)

// clock gives nanoseconds since the run's start on the monotonic clock; the
// timestamps in payloads are on this clock.
type clock struct{ start time.Time }

func (c clock) now() int64 { return int64(time.Since(c.start)) }

// fanout is the shared state of one fan-out run.
type fanout struct {
	c     *config
	clk   clock
	subs  int
	stop  atomic.Bool
	pub   atomic.Uint64 // publishes written
	deliv atomic.Uint64 // events read by subscribers
	lost  atomic.Uint64 // publishes the window gave up waiting for at the slowest subscriber (see lossAfter)
	last  atomic.Int64  // clock time of the latest delivery
	acked atomic.Uint64 // PUBLISHED received
	errs  atomic.Uint64 // ERROR answers to PUBLISH
	// waiting is set by a publisher blocked on a full window; readers then
	// poke progress.
	waiting  atomic.Bool
	progress chan struct{}
	tallies  []*subscriber
}

// subscriber is one subscriber's tally, owned by its read loop (n is read
// by the publishers' window).
type subscriber struct {
	n atomic.Uint64 // events read
	h histogram
	_ [64]byte // keeps n of neighbouring subscribers off one cache line
}

// delivered records one event read by subscriber st.
func (f *fanout) delivered(st *subscriber, now int64) {
	st.n.Add(1)
	f.deliv.Add(1)
	f.last.Store(now)
	if f.waiting.Load() {
		select {
		case f.progress <- struct{}{}:
		default:
		}
	}
}

// fanoutIO is what a fan-out run drives: the subscribers' and publishers'
// read loops (each runs until close makes it return) and the publishers'
// writers. WAMP and MQTT each provide one.
type fanoutIO struct {
	subLoops []func(f *fanout, st *subscriber)
	ackLoops []func(f *fanout)
	// writers[i](seq, n, now) writes publisher i's publishes seq+1..seq+n,
	// stamped now, in one write.
	writers []func(seq uint64, n int, now int64) error
	close   func()
	res     *result
}

// runFanout runs the fan-out scenario against a WAMP router.
func runFanout(ctx context.Context, c *config, tg *target) (*result, error) {
	setup, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	subs, err := joinMany(setup, tg, c.realm, c.subs, 32)
	if err != nil {
		return nil, err
	}
	pubs, err := joinMany(setup, tg, c.realm, c.pubs, 32)
	if err != nil {
		closeAll(subs)
		return nil, err
	}
	closeBoth := sync.OnceFunc(func() { closeAll(pubs); closeAll(subs) })
	defer closeBoth()
	for _, s := range subs {
		if _, err := s.subscribe(setup, c.topic); err != nil {
			return nil, err
		}
	}
	plain, acked, err := publishTemplates(tg.ser, c)
	if err != nil {
		return nil, err
	}
	fio := &fanoutIO{close: closeBoth, res: newResult(c, tg.url, "wamp", tg.ser.Name())}
	for _, s := range subs {
		fio.subLoops = append(fio.subLoops, func(f *fanout, st *subscriber) { f.subscriberLoop(s, st) })
	}
	for _, p := range pubs {
		fio.ackLoops = append(fio.ackLoops, func(f *fanout) { f.ackLoop(p) })
		fio.writers = append(fio.writers, wampWriter(p, plain, acked, c))
	}
	return driveFanout(ctx, c, fio)
}

// wampWriter returns the writer of a WAMP publisher: it copies the
// templates into one buffer, patching request IDs and the timestamp, and
// writes them with one WriteMessages.
func wampWriter(s *session, plain, acked *template, c *config) func(seq uint64, n int, now int64) error {
	var buf []byte
	var offs []int
	var msgs [][]byte
	return func(seq uint64, n int, now int64) error {
		buf, offs, msgs = buf[:0], offs[:0], msgs[:0]
		for range n {
			seq++
			tp := plain
			if acked != nil && seq%uint64(c.ackEvery) == 0 {
				tp = acked
			}
			offs = append(offs, len(buf))
			buf = tp.appendTo(buf, idBase+wamp.ID(seq), now)
		}
		offs = append(offs, len(buf))
		for i := range n {
			msgs = append(msgs, buf[offs[i]:offs[i+1]])
		}
		if err := s.t.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
			return err
		}
		return s.t.WriteMessages(msgs)
	}
}

// driveFanout runs the loops of fio for c.duration, drains, and reports.
func driveFanout(ctx context.Context, c *config, fio *fanoutIO) (*result, error) {
	f := &fanout{c: c, subs: len(fio.subLoops), progress: make(chan struct{}, 1), clk: clock{start: time.Now()}}
	f.tallies = make([]*subscriber, len(fio.subLoops))
	var readers sync.WaitGroup
	for i, loop := range fio.subLoops {
		f.tallies[i] = new(subscriber)
		readers.Add(1)
		go func() {
			defer readers.Done()
			loop(f, f.tallies[i])
		}()
	}
	for _, loop := range fio.ackLoops {
		readers.Add(1)
		go func() {
			defer readers.Done()
			loop(f)
		}()
	}
	defer readers.Wait()
	defer fio.close()

	var writers sync.WaitGroup
	perPub := c.rate / float64(len(fio.writers))
	werrs := make([]error, len(fio.writers))
	for i, w := range fio.writers {
		writers.Add(1)
		go func() {
			defer writers.Done()
			werrs[i] = f.publisherLoop(w, perPub)
		}()
	}
	sleepCtx(ctx, c.duration)
	f.stop.Store(true)
	writers.Wait()
	pubEnd := f.clk.now()
	published := f.pub.Load()
	want := published * uint64(f.subs)
	// Drain: until everything arrived, nothing more arrives for a while,
	// or drainTimeout.
	last, quiet := f.deliv.Load(), 0
	waitFor(drainTimeout, func() bool {
		n := f.deliv.Load()
		if n != last {
			last, quiet = n, 0
		} else {
			quiet++
		}
		return n >= want || quiet >= 100
	})

	delivered := f.deliv.Load()
	r := fio.res
	r.Seconds = float64(pubEnd) / 1e9
	r.Publishers, r.Subscribers, r.PayloadBytes, r.TargetRate = c.pubs, c.subs, c.size, c.rate
	r.Published, r.Delivered = published, delivered
	r.PublishedPerSec = rate(published, pubEnd)
	r.DeliveredPerSec = rate(delivered, max(f.last.Load(), 1))
	if want > 0 {
		r.DeliveryRatio = float64(delivered) / float64(want)
	}
	if n := f.errs.Load(); n > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d publishes answered with ERROR", n))
	}
	if n := f.lost.Load(); n > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("window reopened %d publishes ahead of the slowest subscriber after no delivery for %v (events dropped?)", n, lossAfter))
	}
	if c.ackEvery > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d PUBLISHED acknowledgements", f.acked.Load()))
	}
	fio.close()
	readers.Wait()
	var h histogram
	for _, st := range f.tallies {
		h.merge(&st.h)
	}
	r.Latency = h.summary()
	if err := errors.Join(werrs...); err != nil {
		return r, fmt.Errorf("publisher: %w", err)
	}
	return r, nil
}

// rate returns n per second over d nanoseconds.
func rate(n uint64, d int64) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / (float64(d) / 1e9)
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
	case <-ctx.Done():
	}
}

// waitFor polls cond every millisecond until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// publishTemplates pre-encodes the PUBLISH messages: without and with
// acknowledge (nil when acks are off).
func publishTemplates(s wamp.Serializer, c *config) (plain, acked *template, err error) {
	pl := wamp.Payload{Args: wamp.List{payloadString(c.size)}}
	plain, err = newTemplate(s, &wamp.Publish{Request: templateID, Options: wamp.Dict{}, Topic: wamp.URI(c.topic), Payload: pl}, true)
	if err != nil {
		return nil, nil, fmt.Errorf("PUBLISH template: %w", err)
	}
	if c.ackEvery > 0 {
		acked, err = newTemplate(s, &wamp.Publish{Request: templateID, Options: wamp.Dict{"acknowledge": true}, Topic: wamp.URI(c.topic), Payload: pl}, true)
		if err != nil {
			return nil, nil, fmt.Errorf("PUBLISH template: %w", err)
		}
	}
	return plain, acked, nil
}

// subscriberLoop reads EVENTs until the transport closes, counting them and
// recording their latency from the timestamp in the payload.
func (f *fanout) subscriberLoop(s *session, st *subscriber) {
	bin := s.t.Serializer().Binary()
	for {
		b, err := s.t.ReadMessage()
		if err != nil {
			return
		}
		now := f.clk.now()
		if t, _, ok := peekType(b, bin); ok {
			if t != wamp.EVENT {
				continue
			}
			if ts, ok := parseTS(b); ok {
				st.h.record(now - ts)
			}
			f.delivered(st, now)
			continue
		}
		// Not in the compact form: decode it properly.
		m, err := s.t.Serializer().DecodeMessage(b)
		if ev, ok := m.(*wamp.Event); err == nil && ok {
			if len(ev.Args) > 0 {
				if str, ok := ev.Args[0].(string); ok {
					if ts, ok := parseTS([]byte(str)); ok {
						st.h.record(now - ts)
					}
				}
			}
			f.delivered(st, now)
		}
	}
}

// ackLoop reads a publisher's PUBLISHED and ERROR answers until the
// transport closes.
func (f *fanout) ackLoop(s *session) {
	bin := s.t.Serializer().Binary()
	for {
		b, err := s.t.ReadMessage()
		if err != nil {
			return
		}
		t, _, ok := peekType(b, bin)
		if !ok {
			m, err := s.t.Serializer().DecodeMessage(b)
			if err != nil {
				continue
			}
			t = m.Type()
		}
		switch t {
		case wamp.PUBLISHED:
			f.acked.Add(1)
		case wamp.ERROR:
			f.errs.Add(1)
		default:
			continue
		}
		if f.waiting.Load() {
			select {
			case f.progress <- struct{}{}:
			default:
			}
		}
	}
}

// publisherLoop publishes with write until the run stops: at perPub
// publishes/s when perPub > 0, else in batches as fast as the window allows.
func (f *fanout) publisherLoop(write func(seq uint64, n int, now int64) error, perPub float64) error {
	c := f.c
	var seq uint64
	started := time.Now()
	for !f.stop.Load() {
		n := c.batch
		if perPub > 0 {
			// Due publishes by now; sleep until the next one is due.
			due := uint64(time.Since(started).Seconds()*perPub) + 1
			if due <= seq {
				next := started.Add(time.Duration(float64(seq) / perPub * 1e9))
				time.Sleep(time.Until(next))
				continue
			}
			n = int(min(due-seq, uint64(c.batch)))
		}
		if !f.waitWindow(n) {
			continue
		}
		if err := write(seq, n, f.clk.now()); err != nil {
			if f.stop.Load() {
				return nil
			}
			return fmt.Errorf("write: %w", err)
		}
		seq += uint64(n)
		f.pub.Add(uint64(n))
	}
	return nil
}

// inflight returns the events (publishes × subscribers) not yet accounted
// for, and its bound.
func (f *fanout) inflight() (n, limit uint64) {
	c := f.c
	if c.ackEvery > 0 {
		// Publishes not yet acknowledged (acks come every ackEvery).
		pub := f.pub.Load()
		acked := f.acked.Load() * uint64(c.ackEvery)
		return sat(pub, acked), uint64(c.window * c.pubs)
	}
	// Publishes not yet read by the slowest subscriber.
	pub := f.pub.Load()
	least := pub
	for _, st := range f.tallies {
		least = min(least, st.n.Load())
	}
	return sat(pub, least+f.lost.Load()), uint64(c.window * c.pubs)
}

// sat returns a-b, or 0 when b >= a.
func sat(a, b uint64) uint64 {
	if b >= a {
		return 0
	}
	return a - b
}

// waitWindow waits until n more publishes fit in the window; it returns
// false when the run stops meanwhile.
func (f *fanout) waitWindow(n int) bool {
	extra := uint64(n)
	var stalled time.Duration
	lastSeen := f.deliv.Load() + f.acked.Load()
	for {
		inflight, limit := f.inflight()
		if inflight+extra <= limit || inflight == 0 {
			return true
		}
		if f.stop.Load() {
			return false
		}
		f.waiting.Store(true)
		tm := time.NewTimer(windowWait)
		select {
		case <-f.progress:
		case <-tm.C:
		}
		tm.Stop()
		f.waiting.Store(false)
		seen := f.deliv.Load() + f.acked.Load()
		if seen != lastSeen {
			lastSeen, stalled = seen, 0
			continue
		}
		stalled += windowWait
		if stalled >= lossAfter && f.c.ackEvery == 0 {
			f.lost.Add(inflight)
			stalled = 0
		}
	}
}
