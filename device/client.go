package device

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/edgewamp/edgewamp/wamp"
)

// Sentinel errors of the package; errors returned by the client wrap them, so
// test with errors.Is.
var (
	// ErrSessionClosed is wrapped by every error caused by the session
	// ending: pending calls and requests, and calls made afterwards. The
	// error also wraps the reason the session ended (a transport error, the
	// router's GOODBYE or ABORT reason as a *wamp.Error, ...).
	ErrSessionClosed = errors.New("device: session closed")
	// ErrNotConnected is returned, with reconnection on, by operations that
	// need a session while none is joined.
	ErrNotConnected = errors.New("device: not connected")
	// ErrProgressNotRequested is returned by [Invocation.Progress] when the
	// caller did not ask for progressive results.
	ErrProgressNotRequested = errors.New("device: caller did not ask for progressive results")
	// errLeft is the close reason after a completed Leave.
	errLeft = errors.New("device: left the realm")
	// errClientClosed is the close reason after Close.
	errClientClosed = errors.New("device: client closed")
)

// Stats are a client's counters, a snapshot read with [Client.Stats]. They
// count over every session the client has joined.
type Stats struct {
	Calls               uint64 // CALLs sent
	Invocations         uint64 // INVOCATIONs handed to handlers
	InvocationsRejected uint64 // INVOCATIONs refused: MaxConcurrentInvocations reached
	Published           uint64 // PUBLISHes sent
	EventsReceived      uint64 // EVENTs received for a known subscription
	EventsDropped       uint64 // EVENTs dropped: event queue full
	ProgressDropped     uint64 // progressive RESULTs dropped: progress queue full
	ChunksDropped       uint64 // chunks of streamed invocations dropped: answered, failed, or chunk queue full

	Joins          uint64 // sessions joined
	Reconnects     uint64 // sessions lost, each followed by reconnection attempts
	DialErrors     uint64 // failed connection or join attempts (reconnection only)
	ApplyErrors    uint64 // registrations/subscriptions the router refused on a rejoin
	OfflineQueued  int    // publications waiting in the offline queue now
	OfflineDropped uint64 // publications dropped from a full offline queue
}

type stats struct {
	calls, invocations, invocationsRejected, published atomic.Uint64
	eventsReceived, eventsDropped, progressDropped     atomic.Uint64
	joins, reconnects, dialErrors, applyErrors         atomic.Uint64
	offlineDropped, chunksDropped                      atomic.Uint64
	lastDropLog                                        atomic.Int64 // unix nanos of the last drop log line
	_                                                  [0]func()    // not comparable: no equality function to link
}

// Client is a WAMP client session: it calls, registers, publishes and
// subscribes. It is safe for concurrent use by multiple goroutines.
//
// Without reconnection (the default) a Client is one session: when it ends,
// [Client.Done] is closed and every pending and later operation fails with
// an error wrapping [ErrSessionClosed].
//
// With Config.Reconnect.Enabled, the client outlives its sessions: it joins
// in the background, and when a session is lost it reconnects with
// exponential backoff and full jitter, makes its registrations and
// subscriptions again, then sends the publications queued while offline, in
// order. It ends only with [Client.Close] or [Client.Leave].
type Client struct {
	cfg   Config
	log   Logger
	stats stats
	// cur is the joined session: set once and for good without
	// reconnection; with it, nil while offline and written under mu.
	cur atomic.Pointer[session]

	// The fields below are used only with reconnection (dial != nil).
	url  string                                            // what Dial was given, for the logs
	dial func(ctx context.Context) (wamp.Transport, error) // opens a connection
	stop context.CancelFunc                                // ends the run goroutine
	kick chan struct{}                                     // 1 slot: new declarations to make
	done chan struct{}                                     // closed when the run goroutine has returned

	mu       sync.Mutex     // protects following
	joined   chan struct{}  // closed while cur != nil
	flushing bool           // cur is set but the offline queue is not empty yet
	decls    []*declaration // registrations and subscriptions made again after every join
	queue    []queuedPub
	err      error // why the client ended (Close, Leave), nil while it runs
}

// ID returns the current session's ID (assigned by the router in WELCOME),
// or 0 while no session is joined.
func (c *Client) ID() wamp.ID {
	if s := c.cur.Load(); s != nil {
		return s.id
	}
	return 0
}

// RouterDetails returns the current session's WELCOME details (the router's
// roles and features), or nil while no session is joined. The caller must
// not modify the returned dictionary.
func (c *Client) RouterDetails() wamp.Dict {
	if s := c.cur.Load(); s != nil {
		return s.details
	}
	return nil
}

// Done returns a channel closed when the client has ended: without
// reconnection when its session ends, with it after [Client.Close] or
// [Client.Leave].
func (c *Client) Done() <-chan struct{} {
	if c.dial == nil {
		return c.cur.Load().done
	}
	return c.done
}

// Err returns nil while the client runs, and afterwards why it ended: an
// error wrapping ErrSessionClosed and the cause.
func (c *Client) Err() error {
	if c.dial == nil {
		return c.cur.Load().Err()
	}
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	return err
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	var queued int
	if c.dial != nil {
		c.mu.Lock()
		queued = len(c.queue)
		c.mu.Unlock()
	}
	return Stats{
		Calls:               c.stats.calls.Load(),
		Invocations:         c.stats.invocations.Load(),
		InvocationsRejected: c.stats.invocationsRejected.Load(),
		Published:           c.stats.published.Load(),
		EventsReceived:      c.stats.eventsReceived.Load(),
		EventsDropped:       c.stats.eventsDropped.Load(),
		ProgressDropped:     c.stats.progressDropped.Load(),
		ChunksDropped:       c.stats.chunksDropped.Load(),
		Joins:               c.stats.joins.Load(),
		Reconnects:          c.stats.reconnects.Load(),
		DialErrors:          c.stats.dialErrors.Load(),
		ApplyErrors:         c.stats.applyErrors.Load(),
		OfflineQueued:       queued,
		OfflineDropped:      c.stats.offlineDropped.Load(),
	}
}

// Call calls procedure proc with payload p and returns the result's payload.
//
// When the callee (or the router) answers with ERROR, the error returned is
// the *wamp.Error itself, so errors.Is(err, wamp.ErrNoSuchProcedure) and a
// type assertion both work. When ctx ends first, Call sends CANCEL (mode
// o.CancelMode) and returns an error wrapping ctx.Err(); with o.Timeout the
// error also matches wamp.ErrTimeout. When the session ends first, the error
// wraps [ErrSessionClosed]; a call is never retried on another session.
//
// With o.Progress set, Call asks for progressive results and calls
// o.Progress with each of them, in order, on the calling goroutine.
//
// With reconnection on and no session joined, Call fails at once with
// [ErrNotConnected], or with Reconnect.CallWaitsForJoin waits for the next
// join until ctx is done.
func (c *Client) Call(ctx context.Context, proc wamp.URI, p wamp.Payload, o *CallOptions) (wamp.Payload, error) {
	if c.dial == nil {
		return c.cur.Load().Call(ctx, proc, p, o, nil)
	}
	s, err := c.session(ctx)
	if err != nil {
		return wamp.Payload{}, fmt.Errorf("device: call %s: %w", proc, err)
	}
	return s.Call(ctx, proc, p, o, nil)
}

// CallWithDetails is [Client.Call] that also returns the RESULT's
// details: the ppt_* options of a payload in passthru mode, which a caller
// needs to read it (or a gateway to forward it). The board builds (tag
// edgewamp_board), which make no passthru calls, return no details.
func (c *Client) CallWithDetails(ctx context.Context, proc wamp.URI, p wamp.Payload, o *CallOptions) (wamp.Payload, wamp.Dict, error) {
	var details wamp.Dict
	s := c.cur.Load()
	if c.dial != nil {
		var err error
		if s, err = c.session(ctx); err != nil {
			return wamp.Payload{}, nil, fmt.Errorf("device: call %s: %w", proc, err)
		}
	}
	res, err := s.Call(ctx, proc, p, o, &details)
	return res, details, err
}

// Publish publishes p to topic.
//
// Without o.Acknowledge, Publish returns as soon as the PUBLISH is queued for
// sending: it waits for room in the send queue (until ctx is done) but never
// for the network beyond that. With o.Acknowledge it waits for the router's
// PUBLISHED, and an ERROR answer is returned as the *wamp.Error.
//
// Publish keeps no reference to p once it returns. Without options (or with
// none set) and without reconnection it allocates nothing: the PUBLISH is
// encoded into a pooled buffer before Publish returns.
//
// With reconnection on and no session joined (or while the publications
// queued offline are still being sent, to keep their order), Publish appends
// the publication to the offline queue (Reconnect.OfflineQueue), dropping the
// oldest when it is full. An acknowledged publish is never queued: offline
// it fails with [ErrNotConnected].
func (c *Client) Publish(ctx context.Context, topic wamp.URI, p wamp.Payload, o *PublishOptions) error {
	if c.dial == nil {
		return c.cur.Load().Publish(ctx, topic, p, o)
	}
	return c.publishOrQueue(ctx, topic, p, o)
}

// Register registers procedure proc with handler h and returns the
// registration; [Registration.Unregister] withdraws it. An ERROR answer is
// returned as the *wamp.Error (e.g. matching wamp.ErrProcedureAlreadyExists).
//
// With reconnection on, Register is declarative and does not wait for the
// router (ctx is not used): it returns the registration at once, and the
// client makes it on the joined session, if any, and again after every
// join. A refusal is logged, counted in Stats.ApplyErrors and retried with
// backoff. Registering a procedure the client already registers fails with
// wamp.ErrProcedureAlreadyExists.
func (c *Client) Register(ctx context.Context, proc wamp.URI, h Handler, o *RegisterOptions) (*Registration, error) {
	if h == nil {
		return nil, fmt.Errorf("device: register %s: nil handler", proc)
	}
	reg := &Registration{Procedure: proc, c: c, opts: o, handler: h}
	reg.decl.reg = reg
	if err := c.declare(ctx, &reg.decl); err != nil {
		return nil, err
	}
	return reg, nil
}

// Subscribe subscribes to topic and returns the subscription; h then
// receives the events (see [EventHandler]) and [Subscription.Unsubscribe]
// ends it. An ERROR answer is returned as the *wamp.Error.
//
// With reconnection on, Subscribe is declarative like [Client.Register]: it
// returns at once and the client makes the subscription on the joined
// session, if any, and again after every join.
func (c *Client) Subscribe(ctx context.Context, topic wamp.URI, h EventHandler, o *SubscribeOptions) (*Subscription, error) {
	if h == nil {
		return nil, fmt.Errorf("device: subscribe %s: nil handler", topic)
	}
	sub := &Subscription{Topic: topic, c: c, opts: o, handler: h}
	sub.decl.sub = sub
	if err := c.declare(ctx, &sub.decl); err != nil {
		return nil, err
	}
	return sub, nil
}

// Leave ends the client gracefully: it waits up to [LeaveGrace] for running
// handlers to queue their results (so that a result is not overtaken by
// GOODBYE; handlers still running after that are cancelled when the session
// ends), sends GOODBYE wamp.close.normal and waits for the router's GOODBYE,
// all within ctx, then closes the connection. With reconnection on it also
// stops reconnecting. Leave on an ended client returns nil.
func (c *Client) Leave(ctx context.Context) error {
	if c.dial == nil {
		return c.cur.Load().Leave(ctx)
	}
	s, ok := c.end(errLeft)
	if !ok {
		return nil
	}
	var err error
	if s != nil {
		err = s.Leave(ctx)
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		if err == nil {
			err = fmt.Errorf("device: leave: %w", ctx.Err())
		}
	}
	return err
}

// Close ends the client at once, without GOODBYE (use [Client.Leave] for a
// graceful end). Pending calls fail with ErrSessionClosed and running
// handlers' contexts are cancelled; with reconnection on, the client stops
// reconnecting. Close is idempotent and always returns nil.
func (c *Client) Close() error {
	if c.dial == nil {
		return c.cur.Load().Close()
	}
	if s, ok := c.end(errClientClosed); ok && s != nil {
		s.Close()
	}
	return nil
}
