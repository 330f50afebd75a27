package agent

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// sensor runs one configured sensor: it reads its source every poll period
// (and on each GPIO edge), decides whether to publish, and hands readings
// to publish with their unit and timestamp.
type sensor struct {
	name     string
	topic    wamp.URI
	unit     string
	src      source
	interval time.Duration // 0: no periodic publication
	onChange bool
	deadband float64
	poll     time.Duration // how often the source is read
	now      func() time.Time
	log      device.Logger
	publish  func(ctx context.Context, topic wamp.URI, p wamp.Payload) error

	readErrors atomic.Uint64

	mu      sync.Mutex // protects following (read by Status)
	last    reading    // last published
	hasLast bool
	lastPub time.Time
}

// pollPeriod is the period a sensor's source is read at.
func pollPeriod(s *SensorConfig) time.Duration {
	if !s.OnChange {
		return s.Interval.std()
	}
	p := s.Poll.std()
	if p <= 0 {
		p = DefaultPoll
	}
	if s.Interval > 0 && s.Interval.std() < p {
		p = s.Interval.std()
	}
	return p
}

// run samples until ctx is done, then closes the source.
func (s *sensor) run(ctx context.Context) {
	closeSrc := sync.OnceFunc(func() { _ = s.src.close() })
	defer closeSrc()
	var events chan reading
	var watchDone chan struct{}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if w, ok := s.src.(watcher); ok {
		events = make(chan reading, 16)
		watchDone = make(chan struct{})
		go func() {
			defer close(watchDone)
			err := w.watch(wctx, func(r reading) {
				select {
				case events <- r:
				case <-wctx.Done():
				}
			})
			if err != nil {
				s.log.Error("sensor stopped watching", "sensor", s.name, "error", err)
			}
		}()
		defer func() {
			cancel()
			closeSrc() // unblocks a pending ReadEvent
			<-watchDone
		}()
	}
	tick := time.NewTicker(s.poll)
	defer tick.Stop()
	s.sample(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-events:
			s.offer(ctx, r, true)
		case <-tick.C:
			s.sample(ctx)
		}
	}
}

// sample reads the source once and offers the reading.
func (s *sensor) sample(ctx context.Context) {
	r, err := s.src.read(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		n := s.readErrors.Add(1)
		if n == 1 || n%100 == 0 { // a broken sensor logs at a limited rate
			s.log.Warn("sensor read failed", "sensor", s.name, "error", err, "errors", n)
		}
		return
	}
	s.offer(ctx, r, false)
}

// offer publishes r when the sensor's rules say so. An edge always counts
// as a change.
func (s *sensor) offer(ctx context.Context, r reading, edge bool) {
	now := s.now()
	if r.at.IsZero() {
		r.at = now
	}
	s.mu.Lock()
	ok := edge || s.due(r, now)
	if ok {
		s.last, s.hasLast, s.lastPub = r, true, now
	}
	s.mu.Unlock()
	if !ok {
		return
	}
	kw := wamp.Dict{"time": r.at.UTC().Format(time.RFC3339Nano), "sensor": s.name}
	if s.unit != "" {
		kw["unit"] = s.unit
	}
	_ = s.publish(ctx, s.topic, wamp.Payload{Args: wamp.List{r.value()}, Kwargs: kw})
}

// due decides whether reading r, taken at now, is to be published.
// s.mu is held.
func (s *sensor) due(r reading, now time.Time) bool {
	if !s.hasLast || !s.onChange {
		return true // the first reading, or every tick of a periodic sensor
	}
	if changed(s.last, r, s.deadband) {
		return true
	}
	// Heartbeat: the half poll period absorbs the time a read takes.
	return s.interval > 0 && now.Sub(s.lastPub) >= s.interval-s.poll/2
}

// changed reports whether b differs from a by more than deadband (numbers)
// or at all (strings, or any change when deadband is 0).
func changed(a, b reading, deadband float64) bool {
	if a.isStr || b.isStr {
		return a.isStr != b.isStr || a.str != b.str
	}
	d := math.Abs(b.num - a.num)
	if deadband == 0 {
		return d != 0
	}
	return d > deadband
}

// state returns the last published value and when it was taken.
func (s *sensor) state() wamp.Dict {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := wamp.Dict{"topic": string(s.topic), "read_errors": s.readErrors.Load()}
	if s.hasLast {
		d["value"] = s.last.value()
		d["time"] = s.last.at.UTC().Format(time.RFC3339Nano)
	}
	return d
}
