package device

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/edgewamp/edgewamp/wamp"
)

// Handler runs one invocation of a registered procedure. Its ctx is cancelled
// when the caller cancels (INTERRUPT) and when the session ends. Returning a
// *wamp.Error (or an error wrapping one) sends ERROR with that URI and
// payload; any other error sends wamp.error.runtime_error with the error's
// text as the argument. Handlers run on their own goroutines, at most
// Config.MaxConcurrentInvocations at once.
type Handler func(ctx context.Context, inv *Invocation) (wamp.Payload, error)

// Invocation is one call of a registered procedure, as the handler sees it.
// Its methods are safe for concurrent use, except Recv and More (a streamed
// input's chunks), which are for the handler's goroutine.
type Invocation struct {
	wamp.Payload
	// Details are the INVOCATION details (caller, procedure, ...); do not modify.
	Details wamp.Dict
	// Procedure is the procedure called: the registered URI, or for prefix
	// and wildcard registrations the concrete URI the caller used.
	Procedure wamp.URI
	// Registration is the registration the call came through.
	Registration *Registration
	// Caller is the caller's session when disclosed, else 0.
	Caller wamp.ID
	// ResultOptions, when the handler sets it, are the options of the
	// YIELD that carries its result: e.g. the ppt_* options of a result
	// sealed by package e2ee. The board builds (tag edgewamp_board) do
	// not send it.
	ResultOptions wamp.Dict

	c            *session
	request      wamp.ID
	wantProgress bool
	// While the handler runs, the invocation is in c.invs. cancel ends the
	// handler's context; interrupted (c.mu) records an INTERRUPT.
	cancel      context.CancelCauseFunc
	interrupted bool
	stream      *invStream // the input's later chunks, when the caller streams it; nil: none
}

// Progress sends a progressive result to the caller. It returns
// [ErrProgressNotRequested] when the caller did not ask for progressive
// results, and waits for room in the send queue until ctx is done.
func (inv *Invocation) Progress(ctx context.Context, p wamp.Payload) error {
	if !inv.wantProgress {
		return ErrProgressNotRequested
	}
	return inv.c.send(ctx, &wamp.Yield{Request: inv.request, Options: wamp.Dict{"progress": true}, Payload: p})
}

// Registration is a procedure registered by [Client.Register]. It is safe for
// concurrent use.
type Registration struct {
	// Procedure is the URI (or pattern) registered.
	Procedure wamp.URI

	c       *Client
	opts    *RegisterOptions
	handler Handler
	id      atomic.Uint64
	active  atomic.Bool
	decl    declaration // with reconnection
}

// ID returns the registration ID the router assigned (with reconnection,
// on the latest session the registration was made on).
func (r *Registration) ID() wamp.ID { return wamp.ID(r.id.Load()) }

// Active reports whether the registration is in place: false after
// Unregister, after the router revoked it, and after the session ended
// (with reconnection, until it is made again after the next join).
func (r *Registration) Active() bool { return r.active.Load() }

// Unregister withdraws the registration and waits for the router's answer
// until ctx is done. It stops receiving invocations at once, whatever the
// answer, and with reconnection it is not made again. Unregistering twice
// returns nil.
func (r *Registration) Unregister(ctx context.Context) error {
	if r == nil {
		return nil
	}
	return r.c.withdraw(ctx, &r.decl)
}

// errInterrupted is the handler context's cause after INTERRUPT.
var errInterrupted = errors.New("device: invocation interrupted by the caller")

// Register registers reg on the session and waits for the router's answer.
func (c *session) Register(ctx context.Context, reg *Registration) error {
	proc := reg.Procedure
	r := c.newRequest(wamp.REGISTER)
	r.reg = reg
	id, err := c.addRequest(r)
	if err != nil {
		return fmt.Errorf("device: register %s: %w", proc, err)
	}
	ans, err := c.roundTrip(ctx, id, r, &wamp.Register{Request: id, Options: reg.opts.dict(), Procedure: proc})
	if err != nil {
		return fmt.Errorf("device: register %s: %w", proc, err)
	}
	c.recycleRequest(r)
	switch ans := ans.(type) {
	case *wamp.Registered:
		return nil
	case *wamp.ErrorMessage:
		return ans.Err()
	}
	return fmt.Errorf("device: register %s: unexpected %v", proc, ans.Type())
}

// Unregister withdraws reg from the session and waits for the router's
// answer.
func (c *session) Unregister(ctx context.Context, reg *Registration) error {
	if !reg.active.Swap(false) {
		return nil
	}
	regID := reg.ID()
	c.mu.Lock()
	if c.regs != nil && c.regs[regID] == reg {
		delete(c.regs, regID)
	}
	c.mu.Unlock()
	r := c.newRequest(wamp.UNREGISTER)
	id, err := c.addRequest(r)
	if err != nil {
		return fmt.Errorf("device: unregister %s: %w", reg.Procedure, err)
	}
	ans, err := c.roundTrip(ctx, id, r, &wamp.Unregister{Request: id, Registration: regID})
	if err != nil {
		return fmt.Errorf("device: unregister %s: %w", reg.Procedure, err)
	}
	c.recycleRequest(r)
	if e, ok := ans.(*wamp.ErrorMessage); ok {
		return e.Err()
	}
	return nil
}

// handleRegistered installs the registration before the next message is read.
func (c *session) handleRegistered(m *wamp.Registered) {
	c.mu.Lock()
	r := c.takeRequestLocked(m.Request, wamp.REGISTER)
	if r == nil {
		c.mu.Unlock()
		return
	}
	if r.abandoned {
		c.mu.Unlock()
		// The caller gave up: undo it, ignoring the answer.
		_ = c.conn.Send(&wamp.Unregister{Request: c.reqs.Next(), Registration: m.Registration})
		return
	}
	r.reg.id.Store(uint64(m.Registration))
	r.reg.active.Store(true)
	c.regs[m.Registration] = r.reg
	c.mu.Unlock()
	r.ch <- m
}

// handleUnregistered answers an UNREGISTER, or (request 0) drops a
// registration the router revoked.
func (c *session) handleUnregistered(m *wamp.Unregistered) {
	if m.Request != 0 {
		c.answer(m.Request, wamp.UNREGISTER, m)
		return
	}
	id, _ := wamp.OptID(m.Details, "registration")
	c.mu.Lock()
	reg := c.regs[id]
	delete(c.regs, id)
	c.mu.Unlock()
	if reg != nil {
		reg.active.Store(false)
		reason, _ := wamp.OptURI(m.Details, "reason")
		c.log.Info("device: registration revoked by the router", "procedure", string(reg.Procedure), "reason", string(reason))
	}
}

// handleInvocation starts the handler for an INVOCATION on its own
// goroutine, or refuses it at once.
func (c *session) handleInvocation(m *wamp.Invocation) {
	if progCallBuilt && c.streamChunk(m) {
		return
	}
	c.mu.Lock()
	reg := c.regs[m.Registration]
	c.mu.Unlock()
	if reg == nil {
		c.sendError(wamp.INVOCATION, m.Request, wamp.ErrNoSuchRegistration.URI, "no such registration")
		return
	}
	select {
	case c.invSem <- struct{}{}:
	default:
		c.stats.invocationsRejected.Add(1)
		c.dropLog("device: invocation refused: too many running", "procedure", string(reg.Procedure),
			"max", c.cfg.MaxConcurrentInvocations)
		c.sendError(wamp.INVOCATION, m.Request, wamp.ErrUnavailable.URI, "too many concurrent invocations")
		return
	}
	c.stats.invocations.Add(1)
	inv := &Invocation{
		Payload:      m.Payload,
		Details:      m.Details,
		Procedure:    reg.Procedure,
		Registration: reg,
		c:            c,
		request:      m.Request,
	}
	if p, ok := wamp.OptURI(m.Details, "procedure"); ok && p != "" {
		inv.Procedure = p
	}
	inv.Caller, _ = wamp.OptID(m.Details, "caller")
	inv.wantProgress, _ = wamp.OptBool(m.Details, "receive_progress")
	if progCallBuilt {
		c.startStream(inv, m)
	}

	ctx, cancel := context.WithCancelCause(c.ctx)
	inv.cancel = cancel
	c.mu.Lock()
	c.invs[m.Request] = inv
	c.running++
	c.mu.Unlock()
	go c.runHandler(ctx, reg.handler, inv)
}

// runHandler runs one handler and sends its YIELD or ERROR.
func (c *session) runHandler(ctx context.Context, h Handler, inv *Invocation) {
	defer func() { <-c.invSem }()
	defer c.handlerDone()
	res, err := callHandler(ctx, h, inv)
	c.mu.Lock()
	delete(c.invs, inv.request)
	interrupted := inv.interrupted
	var failed *wamp.Error
	if progCallBuilt {
		failed = c.endStream(inv)
	}
	c.mu.Unlock()
	inv.cancel(nil)
	if c.ctx.Err() != nil {
		return // session over: nobody to answer
	}
	if interrupted {
		// The caller cancelled: the router expects ERROR wamp.error.canceled (mode "kill").
		c.sendErrorCtx(wamp.INVOCATION, inv.request, &wamp.Error{URI: wamp.ErrCanceled.URI, Payload: wamp.Payload{Args: wamp.List{"canceled"}}})
		return
	}
	if failed != nil {
		err = failed
	}
	if err != nil {
		var we *wamp.Error
		if !errors.As(err, &we) {
			we = &wamp.Error{URI: wamp.ErrRuntimeError.URI, Payload: wamp.Payload{Args: wamp.List{err.Error()}}}
		}
		c.sendErrorCtx(wamp.INVOCATION, inv.request, we)
		return
	}
	y := yieldMsgs.get()
	*y = wamp.Yield{Request: inv.request, Payload: res}
	if passthru {
		y.Options = inv.ResultOptions
	}
	err = c.send(c.ctx, y)
	yieldMsgs.put(y)
	if err != nil {
		c.log.Debug("device: sending YIELD failed", "procedure", string(inv.Procedure), "error", err)
	}
}

// callHandler calls h, turning a panic into a runtime_error so that one
// faulty handler does not take the device down.
func callHandler(ctx context.Context, h Handler, inv *Invocation) (res wamp.Payload, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("device: handler for %s panicked: %v", inv.Procedure, p)
		}
	}()
	return h(ctx, inv)
}

// handleInterrupt cancels a running handler's context.
func (c *session) handleInterrupt(m *wamp.Interrupt) {
	c.mu.Lock()
	inv := c.invs[m.Request]
	if inv != nil {
		inv.interrupted = true
	}
	c.mu.Unlock()
	if inv == nil {
		return // already answered
	}
	inv.cancel(errInterrupted)
}

// sendError sends ERROR for a request without waiting (from the reader).
func (c *session) sendError(typ wamp.MessageType, req wamp.ID, uri wamp.URI, msg string) {
	err := c.conn.Send(&wamp.ErrorMessage{RequestType: typ, Request: req, Details: wamp.Dict{}, Error: uri,
		Payload: wamp.Payload{Args: wamp.List{msg}}})
	if err != nil {
		c.dropLog("device: sending ERROR failed", "error", err)
	}
}

// sendErrorCtx sends ERROR from a handler goroutine, waiting for queue room.
func (c *session) sendErrorCtx(typ wamp.MessageType, req wamp.ID, e *wamp.Error) {
	err := c.send(c.ctx, &wamp.ErrorMessage{RequestType: typ, Request: req, Details: e.Details, Error: e.URI, Payload: e.Payload})
	if err != nil {
		c.log.Debug("device: sending ERROR failed", "error", err)
	}
}
