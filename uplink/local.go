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
// minirouter.EventSink: an EVENT of a subscription routed with route is
// taken by TakeEvent as the broker routes it, unencoded, and goes into the
// store-and-forward queue, with no encoding, pipe, decoding or goroutine
// between. The events that come before their subscription is routed, and
// any other message, come through the pipe and are returned to the device
// client by ReadMessage.
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
	routes atomic.Pointer[map[wamp.ID]func(*wamp.Event) (queuedEvent, bool)] // subscription -> its events as queued; copied on write
	mu     sync.Mutex                                                        // serializes route
	staged *handoff                                                          // nil: events go straight into q (no journal)
	closed atomic.Bool                                                       // the uplink stopped: TakeEvent refuses
}

func newLocalLink(q *eventQueue, journal bool, room int) *localLink {
	l := &localLink{q: q}
	l.routes.Store(&map[wamp.ID]func(*wamp.Event) (queuedEvent, bool){})
	if journal {
		l.staged = &handoff{max: room, kick: make(chan struct{}, 1)}
	}
	return l
}

// route sends the events of subscription sub to the queue, as conv makes
// them (ok false: not for the upstream), from now on.
func (l *localLink) route(sub wamp.ID, conv func(*wamp.Event) (queuedEvent, bool)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := maps.Clone(*l.routes.Load())
	m[sub] = conv
	l.routes.Store(&m)
}

// TakeEvent queues a routed EVENT for the upstream (minirouter.EventSink).
func (l *localLink) TakeEvent(ev *wamp.Event) (bool, error) {
	conv := (*l.routes.Load())[ev.Subscription]
	switch {
	case conv == nil:
		return false, nil
	case l.closed.Load():
		return true, peer.ErrClosed
	}
	qe, ok := conv(ev)
	switch {
	case !ok:
	case l.staged != nil:
		return true, l.staged.put(qe)
	default:
		l.q.push(qe)
	}
	return true, nil
}

// ReadMessage returns the next message that is not a routed EVENT, having
// queued the routed EVENTs before it.
func (l *localLink) ReadMessage() ([]byte, error) {
	ser := l.Transport.Serializer()
	for {
		b, err := l.Transport.ReadMessage()
		if err != nil {
			return nil, err
		}
		if conv, ev := l.routed(ser, b); conv != nil {
			if qe, ok := conv(ev); ok {
				l.q.push(qe)
			}
			continue
		}
		return b, nil
	}
}

// Close stops taking events and closes the transport.
func (l *localLink) Close() error {
	l.closed.Store(true)
	return l.Transport.Close()
}

// routed returns the route of m and m decoded when m is a routed EVENT.
func (l *localLink) routed(ser wamp.Serializer, m []byte) (func(*wamp.Event) (queuedEvent, bool), *wamp.Event) {
	msg, err := ser.DecodeMessage(m)
	ev, ok := msg.(*wamp.Event)
	if err != nil || !ok {
		return nil, nil
	}
	return (*l.routes.Load())[ev.Subscription], ev
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
