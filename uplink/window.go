package uplink

import (
	"context"
	"errors"
	"runtime"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

const (
	// uplinkWindow is how many events the uplink keeps in flight upstream:
	// sent, their PUBLISHED not yet in. A round trip per event would cap
	// the uplink at one event per round trip; a window of them keeps the
	// link busy while the acknowledgements come back (10,000 events/s at
	// a round trip of 10 ms). The answers to two windows (a window sent
	// again after an acknowledgement timeout, while the first one's are
	// still on their way) fit with room to spare in the outbound queue a
	// router keeps for a session (ours: 256 messages by default,
	// peer.DefaultQueueMessages), which when full would end the uplink's
	// session as a slow consumer.
	uplinkWindow = 100
	// uplinkAckSlack is how much later than uplinkAckTimeout an event's
	// acknowledgement may be given up: the events sent within it share one
	// deadline (one timer, not one per event).
	uplinkAckSlack = time.Second
)

// inFlight is an event sent upstream (or whose sending failed), in the
// order sent.
type inFlight struct {
	seq   wamp.ID
	topic wamp.URI
	sent  time.Time
	pub   *device.SentPublication // nil when err is set
	err   error                   // why it could not be sent
}

// roundEnd says why a round of sending ended, and what the pump waits
// for before the next.
type roundEnd int

const (
	resendNow   roundEnd = iota // no acknowledgement in time: send again on this session
	awaitJoin                   // no session: wait for the next join
	awaitRetry                  // the session failed: wait for the next join or a pause
	pumpStopped                 // ctx is done
)

// pump delivers the queued events upstream in order, with up to
// uplinkWindow of them in flight, waiting for a session while the upstream
// is away. An event leaves the queue once it is acknowledged (or refused),
// in queue order. A round of sending lasts while the session does and the
// acknowledgements come in time; the next round starts again at the oldest
// event not yet acknowledged, with the same numbers (wamp.PubSeqKey), so
// that an upstream that knows them delivers each once.
func (u *Uplink) pump(ctx context.Context, up *device.Client) {
	refusals := 0
	for {
		switch u.round(ctx, up, &refusals) {
		case pumpStopped:
			return
		case awaitJoin:
			select {
			case <-u.joinKick:
			case <-ctx.Done():
				return
			}
		case awaitRetry:
			select {
			case <-u.joinKick:
			case <-time.After(uplinkRetryPause):
			case <-ctx.Done():
				return
			}
		}
	}
}

// round sends the queued events from the oldest unacknowledged one on
// (sendWindow, on its own goroutine) and takes their acknowledgements in
// order, until the session fails, an acknowledgement is late, or ctx ends.
func (u *Uplink) round(ctx context.Context, up *device.Client, refusals *int) roundEnd {
	rctx, stop := context.WithCancel(ctx)
	win := make(chan inFlight, uplinkWindow)
	go u.sendWindow(rctx, up, win)
	defer func() {
		stop()
		for f := range win { // closed by sendWindow once it has stopped
			if f.pub != nil {
				_ = f.pub.Wait(rctx) // done: forgets the publication
			}
		}
	}()
	dl := ackDeadline{parent: rctx}
	defer dl.stop()
	var acked ackRun
	defer acked.flush(u)
	for f := range win {
		err := f.err
		if err == nil {
			err = f.pub.Wait(dl.until(f.sent.Add(uplinkAckTimeout)))
		}
		switch {
		case err == nil:
			acked.add(u, f.seq, len(win) == 0)
		case ctx.Err() != nil:
			return pumpStopped
		case errors.Is(err, device.ErrNotConnected):
			return awaitJoin
		case errors.Is(err, context.DeadlineExceeded) && !isWAMPError(err):
			// no PUBLISHED in time: send again on this session (at least
			// once; with the same numbers, so once where the upstream
			// knows wamp.PubSeqKey)
			return resendNow
		case refused(err):
			// refused by the upstream (an ERROR: not authorized...), or
			// larger than it accepts: no retry
			u.q.popThrough(f.seq)
			u.publishErrors.Add(1)
			if *refusals++; *refusals == 1 || *refusals%1000 == 0 {
				u.log.Warn("uplink: event not deliverable upstream", "topic", f.topic, "err", err, "refused", *refusals)
			} else { // logged at a limited rate, but each is the last error
				u.last.set("uplink: event not deliverable upstream: "+err.Error(), time.Now())
			}
		default:
			// The session ended, or its connection failed and it is about
			// to end: keep the events for the next session (or, should
			// this one live on, send them again after a pause).
			return awaitRetry
		}
	}
	return pumpStopped // sendWindow stopped on its own: only when ctx is done
}

// ackRun is a run of acknowledged events not yet taken from the queue:
// round takes them in runs of up to ackRunMax (one lock of the queue, one
// update of the counter), or as soon as no more answers are due.
type ackRun struct {
	through wamp.ID // the number of the last event acknowledged
	n       uint64  // events acknowledged since the last flush
}

// ackRunMax is the most acknowledged events round holds before it takes
// them from the queue.
const ackRunMax = 16

// add notes the acknowledgement of the event numbered seq, and flushes
// the run when it is long enough or last says no answer is due.
func (a *ackRun) add(u *Uplink, seq wamp.ID, last bool) {
	a.through, a.n = seq, a.n+1
	if last || a.n >= ackRunMax {
		a.flush(u)
	}
}

// flush takes the acknowledged events from the queue and counts them.
func (a *ackRun) flush(u *Uplink) {
	if a.n == 0 {
		return
	}
	u.q.popThrough(a.through)
	u.eventsUp.Add(a.n)
	a.n = 0
}

// ackDeadline is the context that bounds the wait for acknowledgements:
// one deadline for the events sent within uplinkAckSlack of each other.
type ackDeadline struct {
	parent context.Context
	ctx    context.Context
	at     time.Time
	cancel context.CancelFunc
}

// until returns a context that ends between t and t+uplinkAckSlack.
func (d *ackDeadline) until(t time.Time) context.Context {
	if d.ctx == nil || t.After(d.at) {
		d.stop()
		d.at = t.Add(uplinkAckSlack)
		d.ctx, d.cancel = context.WithDeadline(d.parent, d.at)
	}
	return d.ctx
}

// stop releases the current deadline's timer.
func (d *ackDeadline) stop() {
	if d.cancel != nil {
		d.cancel()
	}
}

// refused reports whether err is the upstream's refusal of an event (an
// ERROR answer), or says the event is larger than the upstream accepts.
func refused(err error) bool {
	return !errors.Is(err, device.ErrSessionClosed) && (isWAMPError(err) || errors.Is(err, peer.ErrTooLarge))
}

// isWAMPError reports whether err is, or wraps, a *wamp.Error. (Its own
// function: the target errors.As needs escapes, and round would allocate
// it for every event.)
func isWAMPError(err error) bool {
	var we *wamp.Error
	return errors.As(err, &we)
}

// sendWindow sends the queued events upstream in order, from the oldest
// on, and hands each to win (whose capacity is the window), until ctx
// ends or a send fails for another reason than the event itself. It
// closes win when it returns.
func (u *Uplink) sendWindow(ctx context.Context, up *device.Client, win chan<- inFlight) {
	defer close(win)
	var last wamp.ID // the number of the last event sent
	var o pubOptions
	for {
		ev, ok := u.q.after(last)
		if !ok {
			select {
			case <-u.q.ready:
				// Let the other goroutines woken with this one (the
				// router's readers) queue their events too, so that one
				// wake-up here and one write upstream carry several.
				runtime.Gosched()
				continue
			case <-ctx.Done():
				return
			}
		}
		f := inFlight{seq: ev.seq, topic: ev.topic, sent: time.Now()}
		f.pub, f.err = up.PublishSend(ctx, ev.topic, ev.p, o.of(u.q.stream, ev))
		select {
		case win <- f:
		case <-ctx.Done():
			if f.pub != nil {
				_ = f.pub.Wait(ctx) // done: forgets the publication
			}
			return
		}
		if f.err != nil && !refused(f.err) {
			return
		}
		last = ev.seq
	}
}

// pubOptions are the options of the PUBLISHes sendWindow sends: one map,
// refilled for each event (PublishSend keeps none of it), except for an
// event with payload passthru options, which gets a map of its own.
type pubOptions struct {
	o    device.PublishOptions
	seqs wamp.List // the value of wamp.PubSeqKey: stream, number
}

// of returns the options of ev, numbered in stream (wamp.PubSeqKey),
// acknowledged, and with exclude_me set explicitly (the spec's default,
// but not every router's), so that the uplink never receives its own
// events back.
func (po *pubOptions) of(stream wamp.ID, ev queuedEvent) *device.PublishOptions {
	d := po.o.Extra
	if d == nil || ev.ppt != nil {
		d = pubSeqOf(stream, ev)
		d["exclude_me"], d["acknowledge"] = true, true
		if ev.ppt != nil {
			return &device.PublishOptions{Extra: d}
		}
		po.o.Extra, po.seqs = d, d[wamp.PubSeqKey].(wamp.List)
	}
	po.seqs[1] = uint64(ev.seq)
	return &po.o
}
