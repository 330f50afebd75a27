package device

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/edgewamp/edgewamp/wamp"
)

// EventHandler receives the events of a subscription. All of a client's event
// handlers are called by one dispatcher goroutine, one event at a time, in
// the order the events arrived; a slow handler delays later events (which
// queue up to Config.EventQueue, then are dropped and counted) but never the
// reading of calls' results.
type EventHandler func(ev *Event)

// Event is one publication delivered to a subscription. Handlers may keep
// it; nothing modifies it after delivery.
type Event struct {
	wamp.Payload
	// Details are the EVENT details (topic, publisher, ...); do not modify.
	Details wamp.Dict
	// Topic is the subscribed topic, or for prefix and wildcard subscriptions
	// the concrete topic the event was published to.
	Topic wamp.URI
	// Publisher is the publisher's session when disclosed, else 0.
	Publisher wamp.ID
	// Publication is the router's publication ID.
	Publication wamp.ID
	// Subscription is the subscription the event came through.
	Subscription *Subscription
}

// Subscription is a subscription made by [Client.Subscribe]. It is safe for
// concurrent use.
type Subscription struct {
	// Topic is the URI (or pattern) subscribed to.
	Topic wamp.URI

	c       *Client
	opts    *SubscribeOptions
	handler EventHandler
	id      atomic.Uint64
	active  atomic.Bool
	decl    declaration // with reconnection
}

// ID returns the subscription ID the router assigned (with reconnection, on
// the latest session the subscription was made on).
func (s *Subscription) ID() wamp.ID { return wamp.ID(s.id.Load()) }

// Active reports whether the subscription is in place: false after
// Unsubscribe, after the router revoked it, and after the session ended
// (with reconnection, until it is made again after the next join).
func (s *Subscription) Active() bool { return s.active.Load() }

// Unsubscribe ends the subscription and waits for the router's answer until
// ctx is done. The handler receives no further events once Unsubscribe is
// called (events already queued for it are discarded), and with
// reconnection the subscription is not made again. When the client holds
// other subscriptions to the same topic (the router gives them one ID),
// only this handler is removed and nothing is sent. Unsubscribing twice
// returns nil.
func (s *Subscription) Unsubscribe(ctx context.Context) error {
	if s == nil {
		return nil
	}
	return s.c.withdraw(ctx, &s.decl)
}

// Subscribe makes sub on the session and waits for the router's answer.
func (c *session) Subscribe(ctx context.Context, sub *Subscription) error {
	topic := sub.Topic
	r := c.newRequest(wamp.SUBSCRIBE)
	r.sub = sub
	id, err := c.addRequest(r)
	if err != nil {
		return fmt.Errorf("device: subscribe %s: %w", topic, err)
	}
	ans, err := c.roundTrip(ctx, id, r, &wamp.Subscribe{Request: id, Options: sub.opts.dict(), Topic: topic})
	if err != nil {
		return fmt.Errorf("device: subscribe %s: %w", topic, err)
	}
	c.recycleRequest(r)
	switch ans := ans.(type) {
	case *wamp.Subscribed:
		return nil
	case *wamp.ErrorMessage:
		return ans.Err()
	}
	return fmt.Errorf("device: subscribe %s: unexpected %v", topic, ans.Type())
}

// Unsubscribe ends sub on the session and waits for the router's answer;
// see [Subscription.Unsubscribe].
func (c *session) Unsubscribe(ctx context.Context, sub *Subscription) error {
	if !sub.active.Swap(false) {
		return nil
	}
	subID := sub.ID()
	c.mu.Lock()
	if c.subs != nil {
		others := removeSub(c.subs[subID], sub)
		if len(others) > 0 {
			c.subs[subID] = others
			c.mu.Unlock()
			return nil
		}
		delete(c.subs, subID)
	}
	c.mu.Unlock()
	r := c.newRequest(wamp.UNSUBSCRIBE)
	id, err := c.addRequest(r)
	if err != nil {
		return fmt.Errorf("device: unsubscribe %s: %w", sub.Topic, err)
	}
	ans, err := c.roundTrip(ctx, id, r, &wamp.Unsubscribe{Request: id, Subscription: subID})
	if err != nil {
		return fmt.Errorf("device: unsubscribe %s: %w", sub.Topic, err)
	}
	c.recycleRequest(r)
	if e, ok := ans.(*wamp.ErrorMessage); ok {
		return e.Err()
	}
	return nil
}

// handleSubscribed installs the subscription before the next message is read.
func (c *session) handleSubscribed(m *wamp.Subscribed) {
	c.mu.Lock()
	r := c.takeRequestLocked(m.Request, wamp.SUBSCRIBE)
	if r == nil {
		c.mu.Unlock()
		return
	}
	if r.abandoned {
		c.mu.Unlock()
		_ = c.conn.Send(&wamp.Unsubscribe{Request: c.reqs.Next(), Subscription: m.Subscription})
		return
	}
	r.sub.id.Store(uint64(m.Subscription))
	r.sub.active.Store(true)
	old := c.subs[m.Subscription]
	c.subs[m.Subscription] = append(old[:len(old):len(old)], r.sub) // copy on write
	c.mu.Unlock()
	r.ch <- m
}

// handleUnsubscribed answers an UNSUBSCRIBE, or (request 0) drops a
// subscription the router revoked.
func (c *session) handleUnsubscribed(m *wamp.Unsubscribed) {
	if m.Request != 0 {
		c.answer(m.Request, wamp.UNSUBSCRIBE, m)
		return
	}
	id, _ := wamp.OptID(m.Details, "subscription")
	c.mu.Lock()
	subs := c.subs[id]
	delete(c.subs, id)
	c.mu.Unlock()
	for _, sub := range subs {
		sub.active.Store(false)
	}
	if len(subs) > 0 {
		reason, _ := wamp.OptURI(m.Details, "reason")
		c.log.Info("device: subscription revoked by the router", "topic", string(subs[0].Topic), "reason", string(reason))
	}
}

// handleEvent queues an EVENT for the dispatcher, once per local
// subscription it is for, dropping it (counted) when the queue is full. It
// never blocks.
func (c *session) handleEvent(m *wamp.Event) {
	c.mu.Lock()
	subs := c.subs[m.Subscription] // never modified in place
	c.mu.Unlock()
	if len(subs) == 0 {
		return // unsubscribed meanwhile
	}
	c.stats.eventsReceived.Add(1)
	topic := subs[0].Topic
	if t, ok := wamp.OptURI(m.Details, "topic"); ok && t != "" {
		topic = t
	}
	publisher, _ := wamp.OptID(m.Details, "publisher")
	for _, sub := range subs {
		ev := &Event{
			Payload:      m.Payload,
			Details:      m.Details,
			Topic:        topic,
			Publisher:    publisher,
			Publication:  m.Publication,
			Subscription: sub,
		}
		select {
		case c.events <- ev:
		default:
			c.stats.eventsDropped.Add(1)
			c.dropLog("device: event dropped: event queue full", "topic", string(ev.Topic),
				"dropped", c.stats.eventsDropped.Load())
			continue
		}
		if c.dispatching.CompareAndSwap(false, true) {
			go c.startDispatch()
		}
	}
}

// removeSub returns subs without s, as a new slice.
func removeSub(subs []*Subscription, s *Subscription) []*Subscription {
	out := make([]*Subscription, 0, len(subs))
	for _, o := range subs {
		if o != s {
			out = append(out, o)
		}
	}
	return out
}

// dispatch delivers queued events in order. At most one runs at a time; it
// exits when the queue is empty, so an idle client holds no dispatcher.
func (c *session) dispatch() {
	for {
		for {
			var ev *Event
			select {
			case ev = <-c.events:
			default:
			}
			if ev == nil {
				break
			}
			if c.ctx.Err() != nil {
				continue // session over: discard
			}
			if ev.Subscription.active.Load() {
				c.deliver(ev)
			}
		}
		c.dispatching.Store(false)
		// An event queued after the queue looked empty, but before the flag
		// was cleared, found the flag set and started no dispatcher: take it.
		if len(c.events) == 0 || !c.dispatching.CompareAndSwap(false, true) {
			return
		}
	}
}

// deliver calls the event's handler, logging a panic instead of letting it
// stop event delivery for good.
func (c *session) deliver(ev *Event) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("device: event handler panicked", "topic", string(ev.Topic), "panic", p)
		}
	}()
	ev.Subscription.handler(ev)
}
