package device

import (
	"context"
	"fmt"
	"io"
	"maps"
	"sync"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// Progressive call invocations, caller side: [Client.CallStream] sends a
// call's input in chunks. A build with the edgewamp_noprogcall tag does not
// announce them (and has no callee side, see invstream.go): there
// CallStream fails with wamp.ErrFeatureNotSupported.

// streamError is the type of the call stream's sentinel errors: constants,
// so that a build that never streams (the edge-agents) pays no
// initialisation for them.
type streamError string

func (e streamError) Error() string { return string(e) }

// ErrStreamClosed is returned by [CallStream.Send] and
// [CallStream.CloseSend] after CloseSend.
const ErrStreamClosed = streamError("device: call stream closed")

// ErrAnsweredEarly is returned by [CallStream.Send] and
// [CallStream.CloseSend] when the callee has answered before the input
// ended; [CallStream.Result] returns the answer.
const ErrAnsweredEarly = streamError("device: the callee answered before the input ended")

// CallStream is a call whose input goes to the callee in chunks, in
// order, on one invocation (WAMP progressive call invocations):
// [CallStream.Send] for each chunk but the last, [CallStream.CloseSend] for
// the last one, then [CallStream.Result]. The callee may answer with
// progressive results while the input flows: [CallStream.Recv] takes them,
// e.g. as acknowledgements that pace the sender. The router needs no room
// for the whole input, nor does a callee that reads its chunks as they come
// ([Invocation.Recv]).
//
// When a ctx given to a method ends before the call does, the call is
// cancelled (CANCEL, mode CallOptions.CancelMode) and the stream is over.
// A stream must be ended with CloseSend and Result (or a cancelled ctx),
// or the call stays pending until the session ends. Its methods are safe
// for concurrent use (one goroutine may Send while another Recvs); chunks
// are sent in the order the Send calls return.
type CallStream struct {
	s    *session
	proc wamp.URI
	opts *CallOptions
	cl   *call

	mu       sync.Mutex // protects following; held while a chunk is queued
	id       wamp.ID    // request ID, once the first chunk went out
	deadline time.Time  // CallOptions.Timeout's local deadline, from the first chunk
	closed   bool       // the last chunk went out, or the call was cancelled
	gaveUp   error      // why the call was cancelled locally (ctx, a failed send), or nil
	progress []wamp.Payload
}

// CallStream starts a call of proc whose input is sent in chunks; nothing
// is sent before the first [CallStream.Send] or [CallStream.CloseSend]. o's
// Timeout covers the whole call, from its first chunk. It fails with
// wamp.ErrFeatureNotSupported when the router did not announce
// progressive_call_invocations; a callee that did not either makes the
// first chunk fail the same way. With reconnection, the stream stays on
// the session it started on.
func (c *Client) CallStream(ctx context.Context, proc wamp.URI, o *CallOptions) (*CallStream, error) {
	s := c.cur.Load()
	if c.dial != nil {
		var err error
		if s, err = c.session(ctx); err != nil {
			return nil, fmt.Errorf("device: call stream %s: %w", proc, err)
		}
	}
	if !progCallBuilt {
		return nil, fmt.Errorf("device: call stream %s: built with edgewamp_noprogcall: %w", proc, wamp.ErrFeatureNotSupported)
	}
	if !wamp.HasFeature(s.details, wamp.RoleDealer, wamp.FeatureProgressiveCallInvocations) {
		return nil, fmt.Errorf("device: call stream %s: the router does not take progressive call invocations: %w",
			proc, wamp.ErrFeatureNotSupported)
	}
	return &CallStream{s: s, proc: proc, opts: o, cl: s.newCall(true)}, nil
}

// Send sends one chunk of the input, waiting for room in the send queue
// until ctx is done. It returns the call's error when the call has
// ended (the callee's ERROR, a timeout), [ErrAnsweredEarly] when the
// callee answered before the input ended, and [ErrStreamClosed] after
// CloseSend.
func (cs *CallStream) Send(ctx context.Context, p wamp.Payload) error {
	return cs.send(ctx, p, true)
}

// CloseSend sends the last chunk of the input (p may be empty), as Send
// does the others; a stream whose first chunk is the last is a plain call.
func (cs *CallStream) CloseSend(ctx context.Context, p wamp.Payload) error {
	return cs.send(ctx, p, false)
}

// Result waits until ctx is done for the call's outcome: the result's
// payload, or the error (a *wamp.Error for an ERROR answer). Progressive
// results not taken by Recv are passed to CallOptions.Progress when set,
// on the calling goroutine, and dropped otherwise.
func (cs *CallStream) Result(ctx context.Context) (wamp.Payload, error) {
	for {
		res, final, err := cs.next(ctx)
		if err != nil {
			return wamp.Payload{}, err
		}
		if final {
			return res.res, cs.s.callErr(cs.proc, res.err)
		}
		if cs.opts != nil && cs.opts.Progress != nil {
			cs.opts.Progress(res.res)
		}
	}
}

// Recv waits until ctx is done for the callee's next progressive result
// and returns it. After the last one it returns io.EOF: the call has
// ended, and Result returns its outcome.
func (cs *CallStream) Recv(ctx context.Context) (wamp.Payload, error) {
	o, final, err := cs.next(ctx)
	switch {
	case err != nil:
		return wamp.Payload{}, err
	case final:
		return wamp.Payload{}, io.EOF
	}
	return o.res, nil
}

// send sends one chunk; more is false for the last one.
func (cs *CallStream) send(ctx context.Context, p wamp.Payload, more bool) error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.gaveUp != nil {
		return cs.gaveUp
	}
	if cs.closed {
		return ErrStreamClosed
	}
	if o, ended := cs.outcome(); ended {
		if o.err != nil {
			return cs.s.callErr(cs.proc, o.err)
		}
		return ErrAnsweredEarly
	}
	s := cs.s
	opts := wamp.Dict{}
	if cs.id == 0 {
		cs.id = s.reqs.Next()
		maps.Copy(opts, cs.opts.dict()) // shared when not nil: copied, never written
		opts["receive_progress"] = true
		if cs.opts != nil && cs.opts.Timeout > 0 {
			cs.deadline = time.Now().Add(localTimeout(cs.opts.Timeout))
		}
		s.mu.Lock()
		if s.calls == nil {
			s.mu.Unlock()
			cs.closed = true
			return fmt.Errorf("device: call stream %s: %w", cs.proc, s.closedErr())
		}
		s.calls[cs.id] = cs.cl
		s.mu.Unlock()
		s.stats.calls.Add(1)
	}
	if more {
		opts["progress"] = true
	}
	ctx, cancel := cs.bound(ctx)
	defer cancel()
	if err := s.send(ctx, &wamp.Call{Request: cs.id, Options: opts, Procedure: cs.proc, Payload: p}); err != nil {
		cs.closed = true
		cs.gaveUp = s.callCtxErr(ctx, cs.proc, err)
		cs.s.cancelCall(cs.id, cs.cancelMode())
		return cs.gaveUp
	}
	cs.closed = !more
	return nil
}

// outcome returns the call's final outcome when it has one, without
// taking the progressive results queued before it.
func (cs *CallStream) outcome() (callOutcome, bool) {
	cs.cl.mu.Lock()
	defer cs.cl.mu.Unlock()
	return cs.cl.final, cs.cl.finished
}

// next returns the next progressive result, or (final true) the outcome
// once every progressive result was taken. A ctx that ends first cancels
// the call.
func (cs *CallStream) next(ctx context.Context) (callOutcome, bool, error) {
	ctx, cancel := cs.bound(ctx)
	defer cancel()
	for {
		cs.mu.Lock()
		progress, final, ok := cs.cl.take() // final stays: take never clears it
		cs.progress = append(cs.progress, progress...)
		switch {
		case len(cs.progress) > 0:
			p := cs.progress[0]
			cs.progress = cs.progress[1:]
			cs.mu.Unlock()
			return callOutcome{res: p}, false, nil
		case ok:
			cs.closed = true
			cs.mu.Unlock()
			return final, true, nil
		case cs.gaveUp != nil:
			cs.mu.Unlock()
			return callOutcome{}, false, cs.gaveUp
		}
		cs.mu.Unlock()
		select {
		case <-cs.cl.wake:
		case <-ctx.Done():
			cs.mu.Lock()
			cs.closed = true
			if cs.id == 0 || cs.s.cancelCall(cs.id, cs.cancelMode()) {
				cs.gaveUp = cs.s.callCtxErr(ctx, cs.proc, ctx.Err())
				cs.mu.Unlock()
				return callOutcome{}, false, cs.gaveUp
			}
			cs.mu.Unlock()
			<-cs.cl.wake // the outcome raced in: the reader is finishing the call
		}
	}
}

// bound returns ctx limited by the call's local deadline (CallOptions.Timeout).
func (cs *CallStream) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if cs.deadline.IsZero() {
		return ctx, func() {}
	}
	return context.WithDeadlineCause(ctx, cs.deadline, errCallTimeout)
}

// cancelMode is the CANCEL mode of CallOptions.CancelMode.
func (cs *CallStream) cancelMode() string {
	if cs.opts != nil && cs.opts.CancelMode != "" {
		return cs.opts.CancelMode
	}
	return CancelKillNoWait
}
