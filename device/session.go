package device

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// session is one joined WAMP session: the connection, its reader and the
// tables of pending calls, requests, registrations, subscriptions and
// invocations. A [Client] runs one session at a time; when a session ends,
// done is closed and every pending and later operation on it fails with an
// error wrapping [ErrSessionClosed]. Its methods are safe for concurrent use.
type session struct {
	conn    *peer.Conn
	cfg     Config
	log     Logger
	id      wamp.ID
	details wamp.Dict // WELCOME details
	// canCancel: the dealer announced call_canceling, so CANCEL may be sent.
	canCancel bool
	reqs      wamp.RequestIDs

	// ctx is the session's lifetime context: cancelled (with the close
	// reason as its cause) when the session ends. Handler contexts derive
	// from it.
	ctx    context.Context
	cancel context.CancelCauseFunc

	invSem chan struct{} // one token per running handler

	callPool    sync.Pool // finished *call records, see recycleCall
	requestPool sync.Pool // answered *request records, see recycleRequest

	events      chan *Event
	dispatching atomic.Bool
	// startDispatch is c.dispatch as a func value made once: `go
	// c.dispatch()` would allocate a closure each time a dispatcher starts.
	startDispatch func()

	stats *stats // the client's counters, shared by its sessions
	done  chan struct{}

	mu       sync.Mutex // protects following
	calls    map[wamp.ID]*call
	requests map[wamp.ID]*request
	regs     map[wamp.ID]*Registration
	subs     map[wamp.ID][]*Subscription // a router gives one ID to a session's subscriptions to one topic; slices are copied on write
	invs     map[wamp.ID]*Invocation
	ended    *endedInvs // streamed invocations answered before their last chunk; nil: none yet
	leaving  bool       // Leave sent GOODBYE
	// running counts handlers that have not yet queued their answer;
	// drained, when non-nil, is closed when running drops to zero.
	running int
	drained chan struct{}
	err     error // close reason, nil while open
}

// request is a pending REGISTER, UNREGISTER, SUBSCRIBE, UNSUBSCRIBE or
// acknowledged PUBLISH: the reader hands it the answer.
type request struct {
	_    [0]func() // not comparable: no equality function to link
	kind wamp.MessageType
	ch   chan wamp.Message // buffered 1; receives the answer or nothing when the session ends
	// For REGISTER and SUBSCRIBE the reader installs the registration or
	// subscription itself, before reading the next message, so that an
	// INVOCATION or EVENT right behind the acknowledgement finds it.
	reg       *Registration
	sub       *Subscription
	abandoned bool // the caller gave up (ctx); mu protects it
}

// newSession builds a session around a joined connection and starts its
// reader; st receives its counters.
func newSession(conn *peer.Conn, cfg Config, w *wamp.Welcome, st *stats) *session {
	ctx, cancel := context.WithCancelCause(context.Background())
	c := &session{
		stats:     st,
		conn:      conn,
		cfg:       cfg,
		log:       &sessionLogger{l: cfg.Logger, id: uint64(w.Session)},
		id:        w.Session,
		details:   w.Details,
		canCancel: wamp.HasFeature(w.Details, "dealer", wamp.FeatureCallCanceling),
		ctx:       ctx,
		cancel:    cancel,
		invSem:    make(chan struct{}, cfg.MaxConcurrentInvocations),
		events:    make(chan *Event, cfg.EventQueue),
		done:      make(chan struct{}),
		calls:     make(map[wamp.ID]*call),
		requests:  make(map[wamp.ID]*request),
		regs:      make(map[wamp.ID]*Registration),
		subs:      make(map[wamp.ID][]*Subscription),
		invs:      make(map[wamp.ID]*Invocation),
	}
	c.startDispatch = c.dispatch
	go c.readLoop()
	return c
}

// ID returns the session ID the router assigned in WELCOME.
func (c *session) ID() wamp.ID { return c.id }

// RouterDetails returns the WELCOME details (the router's roles and
// features). The caller must not modify the returned dictionary.
func (c *session) RouterDetails() wamp.Dict { return c.details }

// Done returns a channel closed when the session has ended.
func (c *session) Done() <-chan struct{} { return c.done }

// Err returns nil while the session is open, and afterwards why it ended:
// an error wrapping ErrSessionClosed and the cause.
func (c *session) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close ends the session at once, without GOODBYE; it is idempotent.
func (c *session) Close() error {
	c.shutdown(errClientClosed)
	return nil
}

// closedErr returns the error for an operation attempted on a closed session.
func (c *session) closedErr() error {
	if err := c.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%w: %w", ErrSessionClosed, context.Cause(c.ctx))
}

// shutdown ends the session with the given cause: it records the reason,
// closes the connection, fails every pending call and request, cancels the
// handlers' contexts and closes Done. Only the first call has an effect.
func (c *session) shutdown(cause error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	if errors.Is(cause, ErrSessionClosed) {
		c.err = cause
	} else {
		c.err = fmt.Errorf("%w: %w", ErrSessionClosed, cause)
	}
	err := c.err
	calls := c.calls
	requests := c.requests
	c.calls = nil
	c.requests = nil
	for _, r := range c.regs {
		r.active.Store(false)
	}
	for _, subs := range c.subs {
		for _, s := range subs {
			s.active.Store(false)
		}
	}
	c.regs = map[wamp.ID]*Registration{}
	c.subs = map[wamp.ID][]*Subscription{}
	c.mu.Unlock()

	c.cancel(err)
	c.conn.Close(err)
	for _, cl := range calls {
		cl.finish(callOutcome{err: err, ended: true})
	}
	for _, r := range requests {
		close(r.ch)
	}
	close(c.done)
	if errors.Is(err, errLeft) || errors.Is(err, errClientClosed) {
		c.log.Debug("device: session ended", "reason", err)
	} else {
		c.log.Info("device: session ended", "reason", err)
	}
}

// send queues m, waiting for room in the send queue until ctx is done. It
// returns an error wrapping ErrSessionClosed if the session has ended.
func (c *session) send(ctx context.Context, m wamp.Message) error {
	err := c.conn.SendWait(ctx, m)
	if err == nil {
		return nil
	}
	if errors.Is(err, peer.ErrClosed) {
		return c.closedErr()
	}
	return err
}

// addRequest registers a pending request under a fresh request ID.
func (c *session) addRequest(r *request) (wamp.ID, error) {
	id := c.reqs.Next()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.requests == nil {
		return 0, c.err
	}
	c.requests[id] = r
	return id, nil
}

// takeRequestLocked removes and returns the pending request id if it is of the
// given kind. mu must be held.
func (c *session) takeRequestLocked(id wamp.ID, kind wamp.MessageType) *request {
	r := c.requests[id]
	if r == nil || r.kind != kind {
		return nil
	}
	delete(c.requests, id)
	return r
}

// roundTrip sends m (the request registered under id as r) and waits for its
// answer. When ctx ends first, the request is marked abandoned (its answer
// will be cleaned up by the reader) and ctx's error is returned.
func (c *session) roundTrip(ctx context.Context, id wamp.ID, r *request, m wamp.Message) (wamp.Message, error) {
	if err := c.send(ctx, m); err != nil {
		// Not sent: no answer will come.
		c.mu.Lock()
		delete(c.requests, id)
		c.mu.Unlock()
		return nil, err
	}
	select {
	case ans, ok := <-r.ch:
		if !ok {
			return nil, c.closedErr()
		}
		return ans, nil
	case <-ctx.Done():
		c.abandon(id, r)
		// The answer may have raced in; prefer it.
		select {
		case ans, ok := <-r.ch:
			if ok {
				return ans, nil
			}
		default:
		}
		return nil, ctx.Err()
	}
}

// abandon marks r (pending under id) as given up by its caller.
func (c *session) abandon(id wamp.ID, r *request) {
	c.mu.Lock()
	r.abandoned = true
	if c.requests != nil && r.kind != wamp.REGISTER && r.kind != wamp.SUBSCRIBE {
		// Nothing to undo for these: forget them.
		delete(c.requests, id)
	}
	c.mu.Unlock()
}

// protocolViolation answers ABORT wamp.error.protocol_violation and ends the
// session.
func (c *session) protocolViolation(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.log.Warn("device: protocol violation by router", "error", msg)
	c.abort(wamp.ErrProtocolViolation.URI, msg)
	c.shutdown(fmt.Errorf("device: protocol violation: %s: %w", msg, wamp.ErrProtocolViolation))
}

// abort sends ABORT and waits (briefly) for it to be written.
func (c *session) abort(reason wamp.URI, msg string) {
	if err := c.conn.Send(&wamp.Abort{Details: wamp.Dict{"message": msg}, Reason: reason}); err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = c.conn.Flush(ctx)
}

// readLoop is the session's reader: it runs until the connection ends.
func (c *session) readLoop() {
	for {
		m, err := c.conn.Recv()
		if err != nil {
			if errors.Is(err, wamp.ErrProtocolViolation) && c.conn.Err() == nil {
				c.protocolViolation("undecodable message: %v", err)
				return
			}
			if cerr := c.conn.Err(); cerr != nil {
				err = cerr
			}
			c.shutdown(fmt.Errorf("device: read: %w", err))
			return
		}
		if !c.handle(m) {
			return
		}
	}
}

// handle dispatches one message from the router; it returns false when the
// session has ended.
func (c *session) handle(m wamp.Message) bool {
	switch m := m.(type) {
	case *wamp.Result:
		c.handleResult(m)
	case *wamp.ErrorMessage:
		c.handleError(m)
	case *wamp.Event:
		c.handleEvent(m)
	case *wamp.Invocation:
		c.handleInvocation(m)
	case *wamp.Interrupt:
		c.handleInterrupt(m)
	case *wamp.Registered:
		c.handleRegistered(m)
	case *wamp.Unregistered:
		c.handleUnregistered(m)
	case *wamp.Subscribed:
		c.handleSubscribed(m)
	case *wamp.Unsubscribed:
		c.handleUnsubscribed(m)
	case *wamp.Published:
		c.answer(m.Request, wamp.PUBLISH, m)
	case *wamp.Goodbye:
		c.handleGoodbye(m)
		return false
	case *wamp.Abort:
		c.shutdown(fmt.Errorf("device: router aborted the session: %w",
			&wamp.Error{URI: m.Reason, Details: m.Details}))
		return false
	default:
		c.protocolViolation("unexpected %v message in an established session", m.Type())
		return false
	}
	return true
}

// answer hands m to the pending request id of the given kind, if any.
func (c *session) answer(id wamp.ID, kind wamp.MessageType, m wamp.Message) {
	c.mu.Lock()
	r := c.takeRequestLocked(id, kind)
	c.mu.Unlock()
	if r != nil {
		r.ch <- m
	}
}

// handleError routes an ERROR to the call or request it answers.
func (c *session) handleError(m *wamp.ErrorMessage) {
	switch m.RequestType {
	case wamp.CALL:
		c.mu.Lock()
		cl := c.calls[m.Request]
		delete(c.calls, m.Request)
		c.mu.Unlock()
		if cl != nil {
			cl.finish(callOutcome{err: m.Err()})
		}
	case wamp.REGISTER, wamp.UNREGISTER, wamp.SUBSCRIBE, wamp.UNSUBSCRIBE, wamp.PUBLISH:
		c.mu.Lock()
		r := c.takeRequestLocked(m.Request, m.RequestType)
		c.mu.Unlock()
		if r != nil {
			r.ch <- m
		}
	default:
		c.protocolViolation("ERROR for request type %v", m.RequestType)
	}
}

// handleGoodbye ends the session on the router's GOODBYE, answering it when
// the router started the close.
func (c *session) handleGoodbye(m *wamp.Goodbye) {
	c.mu.Lock()
	leaving := c.leaving
	c.mu.Unlock()
	if leaving {
		c.shutdown(errLeft)
		return
	}
	if err := c.conn.Send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut.URI}); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = c.conn.Flush(ctx)
		cancel()
	}
	c.shutdown(fmt.Errorf("device: router closed the session: %w",
		&wamp.Error{URI: m.Reason, Details: m.Details}))
}

// Leave is [Client.Leave] on this session.
func (c *session) Leave(ctx context.Context) error {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return nil
	}
	c.leaving = true
	c.mu.Unlock()
	err := c.waitHandlers(ctx)
	if err == nil {
		err = c.send(ctx, &wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal.URI})
	}
	if err == nil {
		select {
		case <-c.done:
		case <-ctx.Done():
			err = fmt.Errorf("device: leave: waiting for GOODBYE: %w", ctx.Err())
		}
	}
	c.shutdown(errLeft)
	if err != nil && !errors.Is(err, ErrSessionClosed) {
		return err
	}
	return nil
}

// LeaveGrace is how long [Client.Leave] waits for running handlers.
const LeaveGrace = 2 * time.Second

// waitHandlers waits until no handler is running, LeaveGrace has passed, or
// ctx is done (an error).
func (c *session) waitHandlers(ctx context.Context) error {
	c.mu.Lock()
	if c.running == 0 {
		c.mu.Unlock()
		return nil
	}
	if c.drained == nil {
		c.drained = make(chan struct{})
	}
	ch := c.drained
	c.mu.Unlock()
	grace := time.NewTimer(LeaveGrace)
	defer grace.Stop()
	select {
	case <-ch:
		return nil
	case <-c.done:
		return nil
	case <-grace.C:
		c.log.Warn("device: leaving with handlers still running", "grace", LeaveGrace)
		return nil
	case <-ctx.Done():
		return fmt.Errorf("device: leave: waiting for running handlers: %w", ctx.Err())
	}
}

// handlerDone records that a handler has queued its answer (or given up).
func (c *session) handlerDone() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running--
	if c.running == 0 && c.drained != nil {
		close(c.drained)
		c.drained = nil
	}
}

// dropLog logs a drop at most once per second per client.
func (c *session) dropLog(msg string, args ...any) {
	now := time.Now().UnixNano()
	last := c.stats.lastDropLog.Load()
	if now-last < int64(time.Second) || !c.stats.lastDropLog.CompareAndSwap(last, now) {
		return
	}
	c.log.Warn(msg, args...)
}
