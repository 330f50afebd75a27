package uplink

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// localLink is the transport of the uplink's local session, the client end
// of an in-process connection to the router, and that connection's
// minirouter.EventSink: an EVENT of a subscription routed by the link is
// taken by TakeEvent as the broker routes it, unencoded, and goes into the
// store-and-forward queue, with no encoding, pipe, decoding or goroutine
// between. Any other message comes through the pipe and is returned to the
// device client by ReadMessage.
//
// A Publish rule's subscription is routed as its SUBSCRIBED is read (see
// expect), before any of its EVENTs, which the router sends after it. The
// EVENTs routed before that moment come through the pipe; ReadMessage
// queues them, and until it has queued the last of them TakeEvent declines
// that subscription's new ones too (they follow through the pipe): the
// queue gets every subscription's events in publication order.
//
// TakeEvent runs under the router's realm lock, so it never waits for the
// queue's journal: with a journal the events go to a bounded hand-off,
// which handOff moves into the queue on its own goroutine; the hand-off
// holds what the router's outbound queue for the session would (the
// store-and-forward queue's size and uplinkLocalEvents more), and an event
// beyond it is refused, counted and logged by the router as an EVENT to a
// full outbound queue is.
type localLink struct {
	wamp.Transport

	q      *eventQueue
	routes atomic.Pointer[map[wamp.ID]*localRoute] // subscription -> its route; copied on write
	staged *handoff                                // nil: events go straight into q (no journal)
	closed atomic.Bool                             // the uplink stopped: TakeEvent refuses

	mu       sync.Mutex                            // guards what follows, and serializes route changes
	next     func(*wamp.Event) (queuedEvent, bool) // the route of the next SUBSCRIBED read (expect)
	unrouted map[wamp.ID]int                       // EVENTs in the pipe, by subscription, routed by none yet
}

// localRoute is a routed subscription: conv makes its events as queued (ok
// false: not for the upstream); inPipe counts its EVENTs TakeEvent declined
// that ReadMessage has yet to queue.
type localRoute struct {
	conv   func(*wamp.Event) (queuedEvent, bool)
	inPipe atomic.Int64
}

func newLocalLink(q *eventQueue, journal bool, room int) *localLink {
	l := &localLink{q: q, unrouted: map[wamp.ID]int{}}
	l.routes.Store(&map[wamp.ID]*localRoute{})
	if journal {
		l.staged = &handoff{max: room, kick: make(chan struct{}, 1)}
	}
	return l
}

// expect routes the subscription of the next SUBSCRIBED that ReadMessage
// reads with conv (nil: none). The uplink subscribes one rule at a time.
func (l *localLink) expect(conv func(*wamp.Event) (queuedEvent, bool)) {
	l.mu.Lock()
	l.next = conv
	l.mu.Unlock()
}

// routeLocked sends the events of subscription sub to the queue, as conv
// makes them, from now on: those in the pipe first. l.mu is held.
func (l *localLink) routeLocked(sub wamp.ID, conv func(*wamp.Event) (queuedEvent, bool)) {
	r := &localRoute{conv: conv}
	r.inPipe.Store(int64(l.unrouted[sub]))
	delete(l.unrouted, sub)
	m := maps.Clone(*l.routes.Load())
	m[sub] = r
	l.routes.Store(&m)
}

// TakeEvent queues a routed EVENT for the upstream (minirouter.EventSink).
func (l *localLink) TakeEvent(ev *wamp.Event) (bool, error) {
	r := (*l.routes.Load())[ev.Subscription]
	switch {
	case r == nil || r.inPipe.Load() > 0:
		l.decline(ev.Subscription)
		return false, nil
	case l.closed.Load():
		return true, peer.ErrClosed
	}
	qe, ok := r.conv(ev)
	switch {
	case !ok:
	case l.staged != nil:
		return true, l.staged.put(qe)
	default:
		l.q.push(qe)
	}
	return true, nil
}

// decline counts an EVENT of sub that TakeEvent leaves to the pipe. Only
// TakeEvent adds to the counts (under the realm's lock), so a route whose
// count TakeEvent saw at zero stays there until it declines one itself.
func (l *localLink) decline(sub wamp.ID) {
	l.mu.Lock()
	if r := (*l.routes.Load())[sub]; r != nil {
		r.inPipe.Add(1)
	} else {
		l.unrouted[sub]++
	}
	l.mu.Unlock()
}

// ReadMessage returns the next message that is not a routed EVENT, having
// queued the routed EVENTs before it, and routes the subscription of a
// SUBSCRIBED that expect named a route for.
func (l *localLink) ReadMessage() ([]byte, error) {
	ser := l.Transport.Serializer()
	for {
		b, err := l.Transport.ReadMessage()
		if err != nil {
			return nil, err
		}
		msg, err := ser.DecodeMessage(b)
		if err != nil {
			return b, nil // the device client says what is wrong with it
		}
		switch m := msg.(type) {
		case *wamp.Event:
			if l.queueRouted(m) {
				continue
			}
		case *wamp.Subscribed:
			l.mu.Lock()
			if l.next != nil {
				l.routeLocked(m.Subscription, l.next)
				l.next = nil
			}
			l.mu.Unlock()
		}
		return b, nil
	}
}

// queueRouted queues ev, read from the pipe, when its subscription is
// routed, and then counts it out of the pipe; false leaves it to the device
// client. The pipe also carries events TakeEvent never saw (retained ones,
// history): those count nothing.
func (l *localLink) queueRouted(ev *wamp.Event) bool {
	l.mu.Lock()
	r := (*l.routes.Load())[ev.Subscription]
	if r == nil {
		if n := l.unrouted[ev.Subscription]; n > 1 {
			l.unrouted[ev.Subscription] = n - 1
		} else {
			delete(l.unrouted, ev.Subscription)
		}
	}
	l.mu.Unlock()
	if r == nil {
		return false
	}
	if qe, ok := r.conv(ev); ok {
		l.q.push(qe)
	}
	if r.inPipe.Load() > 0 { // only after the push: TakeEvent may queue the next one at zero
		r.inPipe.Add(-1)
	}
	return true
}

// Close stops taking events and closes the transport.
func (l *localLink) Close() error {
	l.closed.Store(true)
	return l.Transport.Close()
}

// handOff moves the staged events into the queue (and its journal) until
// ctx ends, and then those still staged. Only with a journal.
func (l *localLink) handOff(ctx context.Context) {
	if l.staged == nil {
		return
	}
	var batch []queuedEvent
	for {
		select {
		case <-l.staged.kick:
		case <-ctx.Done():
			l.q.pushAll(l.staged.drain())
			return
		}
		batch = l.staged.take(batch[:0])
		l.q.pushAll(batch)
		clear(batch)
	}
}

// handoff is a bounded batch of events between the router's publishers
// and the goroutine that queues them (localLink.handOff).
type handoff struct {
	mu     sync.Mutex
	evs    []queuedEvent
	max    int
	kick   chan struct{} // 1 slot: events were put
	closed bool          // drained: put refuses
}

// put adds ev, or returns peer.ErrQueueFull when max events wait
// (peer.ErrClosed once drained).
func (h *handoff) put(ev queuedEvent) error {
	h.mu.Lock()
	if h.closed || len(h.evs) >= h.max {
		err := peer.ErrQueueFull
		if h.closed {
			err = peer.ErrClosed
		}
		h.mu.Unlock()
		return err
	}
	h.evs = append(h.evs, ev)
	h.mu.Unlock()
	select {
	case h.kick <- struct{}{}:
	default:
	}
	return nil
}

// take returns the waiting events and keeps dst, empty, for the next ones
// (so that two arrays take turns).
func (h *handoff) take(dst []queuedEvent) []queuedEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	evs := h.evs
	h.evs = dst
	return evs
}

// drain returns the waiting events and refuses any from now on.
func (h *handoff) drain() []queuedEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	evs := h.evs
	h.evs = nil
	return evs
}
