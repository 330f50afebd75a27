package device

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// errCallTimeout is the cause of a call context ended by CallOptions.Timeout.
var errCallTimeout = errors.New("device: call timeout")

// callOutcome is a call's final answer: a result payload or an error.
type callOutcome struct {
	res     wamp.Payload
	details wamp.Dict // the RESULT's details, kept only where passthru is on
	err     error
	// ended: the outcome is the session's end, set by shutdown (which may
	// run while the reader still holds the call; see recycleCall).
	ended bool
}

// call is a pending CALL. The reader pushes progressive results and the final
// outcome; the calling goroutine takes them, so a slow Progress callback
// never blocks the reader.
type call struct {
	wantProgress bool
	max          int           // progressive results held at most
	wake         chan struct{} // 1 slot: something to take

	mu       sync.Mutex // protects following
	progress []wamp.Payload
	final    callOutcome
	finished bool // final is set
}

// newCall returns a pending call record, recycled from this client's
// finished calls when there is one.
func (c *session) newCall(wantProgress bool) *call {
	cl, ok := c.callPool.Get().(*call)
	if !ok {
		cl = &call{wake: make(chan struct{}, 1)}
	}
	cl.wantProgress, cl.max = wantProgress, c.cfg.ProgressQueue
	return cl
}

// recycleCall keeps cl, whose final outcome Call has taken, for a later call
// of this client. It is only called when the reader finished cl: the reader
// removed cl from c.calls before finishing it and, being the goroutine that
// handles every RESULT, pushes nothing to it afterwards. At most its kick may
// still land in wake, which a later Call takes as a spurious wake-up (take
// finds nothing). A call finished by shutdown, or dropped by Call itself on
// ctx, is left to the garbage collector: the reader may still hold it.
func (c *session) recycleCall(cl *call) {
	cl.mu.Lock()
	cl.progress, cl.final, cl.finished = nil, callOutcome{}, false
	cl.mu.Unlock()
	select {
	case <-cl.wake:
	default:
	}
	c.callPool.Put(cl)
}

// push queues a progressive result; it reports false when it was dropped
// because the queue is full.
func (cl *call) push(p wamp.Payload) bool {
	if !cl.wantProgress {
		return true // not asked for: ignore
	}
	cl.mu.Lock()
	if cl.finished || len(cl.progress) >= cl.max {
		cl.mu.Unlock()
		return cl.finished
	}
	cl.progress = append(cl.progress, p)
	cl.mu.Unlock()
	cl.kick()
	return true
}

// finish records the final outcome; only the first one counts.
func (cl *call) finish(o callOutcome) {
	cl.mu.Lock()
	if !cl.finished {
		cl.final, cl.finished = o, true
	}
	cl.mu.Unlock()
	cl.kick()
}

func (cl *call) kick() {
	select {
	case cl.wake <- struct{}{}:
	default:
	}
}

// take returns the queued progressive results and the final outcome, if
// finished.
func (cl *call) take() ([]wamp.Payload, callOutcome, bool) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	p := cl.progress
	cl.progress = nil
	return p, cl.final, cl.finished
}

// Call is [Client.Call] on this session; where passthru is on and details
// is not nil, it is set to the RESULT's details ([Client.CallWithDetails]).
func (c *session) Call(ctx context.Context, proc wamp.URI, p wamp.Payload, o *CallOptions, details *wamp.Dict) (wamp.Payload, error) {
	if err := ctx.Err(); err != nil {
		return wamp.Payload{}, fmt.Errorf("device: call %s: %w", proc, err)
	}
	var progressFn func(wamp.Payload)
	cancelMode := CancelKillNoWait
	if o != nil {
		progressFn = o.Progress
		if o.CancelMode != "" {
			cancelMode = o.CancelMode
		}
		if o.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeoutCause(ctx, localTimeout(o.Timeout), errCallTimeout)
			defer cancel()
		}
	}
	cl := c.newCall(progressFn != nil)
	id := c.reqs.Next()
	c.mu.Lock()
	if c.calls == nil {
		c.mu.Unlock()
		return wamp.Payload{}, fmt.Errorf("device: call %s: %w", proc, c.closedErr())
	}
	c.calls[id] = cl
	c.mu.Unlock()

	msg := callMsgs.get()
	*msg = wamp.Call{Request: id, Options: o.dict(), Procedure: proc, Payload: p}
	err := c.send(ctx, msg)
	callMsgs.put(msg)
	if err != nil {
		c.dropCall(id)
		return wamp.Payload{}, c.callCtxErr(ctx, proc, err)
	}
	c.stats.calls.Add(1)
	for {
		select {
		case <-cl.wake:
			progress, final, ok := cl.take()
			for _, pp := range progress {
				progressFn(pp)
			}
			if ok {
				if !final.ended {
					c.recycleCall(cl)
				}
				if passthru && details != nil {
					*details = final.details
				}
				return final.res, c.callErr(proc, final.err)
			}
		case <-ctx.Done():
			if c.cancelCall(id, cancelMode) {
				return wamp.Payload{}, c.callCtxErr(ctx, proc, ctx.Err())
			}
			// The final answer raced in: return it.
			if _, final, ok := cl.take(); ok {
				if passthru && details != nil {
					*details = final.details
				}
				return final.res, c.callErr(proc, final.err)
			}
			return wamp.Payload{}, c.callCtxErr(ctx, proc, ctx.Err())
		}
	}
}

// localTimeout is how long Call waits when CallOptions.Timeout is d: a little
// longer than d, so that a router that supports call timeouts answers first
// (with its own error URI) and the local deadline only covers routers that
// ignore options.timeout.
func localTimeout(d time.Duration) time.Duration { return d + d/10 + 50*time.Millisecond }

// cancelCall removes the pending call id and, when it was still pending,
// sends CANCEL with mode; it reports whether the call was pending. Best
// effort: it never waits for queue room on the way out. A dealer that did
// not announce call_canceling gets no CANCEL (a strict one would treat it
// as a protocol violation); its late answer is ignored.
func (c *session) cancelCall(id wamp.ID, mode string) bool {
	if !c.dropCall(id) {
		return false
	}
	if c.canCancel {
		_ = c.conn.Send(&wamp.Cancel{Request: id, Options: wamp.Dict{"mode": mode}})
	}
	return true
}

// dropCall removes the pending call id and reports whether it was still pending.
func (c *session) dropCall(id wamp.ID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.calls[id]
	delete(c.calls, id)
	return ok
}

// callErr returns the error to hand back for a call's final outcome: a
// *wamp.Error as is, anything else (the session ending) wrapped with context.
func (c *session) callErr(proc wamp.URI, err error) error {
	if err == nil {
		return nil
	}
	var we *wamp.Error
	if errors.As(err, &we) && we == err {
		return err
	}
	return fmt.Errorf("device: call %s: %w", proc, err)
}

// callCtxErr wraps err (from sending or from ctx) for a call that ended
// before its answer; a CallOptions.Timeout expiry also matches wamp.ErrTimeout.
func (c *session) callCtxErr(ctx context.Context, proc wamp.URI, err error) error {
	if errors.Is(context.Cause(ctx), errCallTimeout) {
		return fmt.Errorf("device: call %s: %w (%w)", proc, wamp.ErrTimeout, context.DeadlineExceeded)
	}
	return fmt.Errorf("device: call %s: %w", proc, err)
}

// handleResult hands a RESULT to its pending call.
func (c *session) handleResult(m *wamp.Result) {
	progress, _ := wamp.OptBool(m.Details, "progress")
	c.mu.Lock()
	cl := c.calls[m.Request]
	if cl != nil && !progress {
		delete(c.calls, m.Request)
	}
	c.mu.Unlock()
	if cl == nil {
		return // cancelled or timed out locally: a late answer
	}
	if !progress {
		o := callOutcome{res: m.Payload}
		if passthru {
			o.details = m.Details
		}
		cl.finish(o)
		return
	}
	if !cl.push(m.Payload) {
		c.stats.progressDropped.Add(1)
		c.dropLog("device: progressive result dropped: progress queue full", "request", uint64(m.Request))
	}
}
