// Package parkpoll lets many idle sockets wait for input with no goroutine
// each: a connection arms its socket's [Park] for one readiness event, and
// a function runs when the socket becomes readable (data, the peer's end,
// an error), when the park's deadline passes, or when the connection wakes
// it itself (on Close). On Linux every park of the process waits in one
// epoll instance, whose own descriptor waits in the runtime's poller: one
// goroutine reads its events. Elsewhere nothing parks ([Available] is
// false).
//
// It is the generic part of a transport's wamp.Parker: the transport decides
// when to park (no buffered input, nothing to linger for) and what its
// function does (start its reader again, see peer.Go). wstransport parks
// this way; rawsocket's pollers use the same pieces ([Open], [Events],
// [ArmOneShot], [Ctl]) for parks of their own and its detached sockets.
package parkpoll

import (
	"sync"
	"syscall"
	"time"
)

// Park is one connection's park: zero value ready, embedded in the
// connection, not copied after first use. Arm and Wake are safe for
// concurrent use with each other and with the events that wake it; only one
// goroutine (the connection's reader) arms it.
type Park struct {
	mu    sync.Mutex
	fn    Resumer     // set while armed; taken by whoever wakes the park
	timer *time.Timer // wakes the park at its deadline (made on first need)

	// Guarded by the poller's mu.
	fd, gen    int32 // the descriptor, and the generation of the last arm
	registered bool  // the descriptor is in the poller's epoll set
}

// Resumer is what a park wakes: its Resume starts the connection's
// reader again. It runs on the poller's goroutine, a timer's or Wake's
// caller, so it must not block.
type Resumer interface{ Resume() }

// Arm arranges for fn.Resume to run once, as soon as raw's descriptor
// becomes readable, deadline passes (zero: no deadline) or Wake is called,
// and returns at once. Arm returns false when it armed nothing and fn will
// not run (no poller here, a deadline
// already past, a descriptor that cannot be watched): the caller then
// reads as usual. A caller that closes its connection concurrently calls
// Wake after marking it closed, and checks its mark after Arm returns true
// (calling Wake when set), so that one of them wakes the park.
func (k *Park) Arm(raw syscall.RawConn, deadline time.Time, fn Resumer) bool {
	p := thePoller()
	if p == nil {
		return false
	}
	k.mu.Lock()
	k.fn = fn
	k.mu.Unlock()
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return k.take() == nil // woken meanwhile: fn runs
		}
		k.mu.Lock()
		if k.timer == nil {
			k.timer = time.AfterFunc(d, k.Wake)
		} else {
			k.timer.Reset(d)
		}
		k.mu.Unlock()
	}
	if err := p.add(k, raw); err != nil {
		return k.take() == nil
	}
	return true
}

// Wake resumes the armed park now, on the caller's goroutine, if the park
// is armed (else it does nothing): for Close, so that the reader sees the
// close, and for the park's deadline.
func (k *Park) Wake() {
	if f := k.take(); f != nil {
		if p := thePoller(); p != nil {
			p.remove(k)
		}
		f.Resume()
	}
}

// Armed reports whether the park waits (it has not resumed).
func (k *Park) Armed() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.fn != nil
}

// take takes the armed Resumer (nil: not armed, or woken already) and
// stops the deadline timer.
func (k *Park) take() Resumer {
	k.mu.Lock()
	f := k.fn
	k.fn = nil
	if f != nil && k.timer != nil {
		k.timer.Stop()
	}
	k.mu.Unlock()
	return f
}
