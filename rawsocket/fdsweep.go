//go:build linux && !edgewamp_board

package rawsocket

import (
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// The sweep chooses which parked connections detach (see fdConn).

// detachAfter is how long a connection must have been parked for the
// sweep to detach it (0: at its first park), and the sweep's period. Busy
// connections keep their net.Conn: a wait in Go's poller costs less CPU
// than one in the fdPoller (an epoll_ctl and a goroutine hand-off), which
// showed in the RPC rows when every connection detached at its first park.
// Short, because the runtime never frees a poll descriptor (it caches it):
// the most held at once, in a storm of joins, stay in the process.
var detachAfter atomic.Int64

func init() { detachAfter.Store(int64(200 * time.Millisecond)) }

var sweeping atomic.Bool // the sweep runs

// detachIdle is the park's part in detaching (the reader's, before the
// park is armed): it makes sure a sweep will look at c, or detaches c at
// once when detachAfter is 0.
func detachIdle(c *Conn, p *parkPoller) {
	d := time.Duration(detachAfter.Load())
	if d == 0 {
		c.detach(p)
		return
	}
	if !sweeping.Swap(true) {
		time.AfterFunc(d, p.sweep)
	}
}

// sweep detaches the connections parked for detachAfter or longer whose
// socket has nothing left to send (a subscriber that only receives is busy
// too), and comes back after detachAfter (once started, for ever: an
// empty sweep costs next to nothing).
func (p *parkPoller) sweep() {
	d := time.Duration(detachAfter.Load())
	p.mu.Lock()
	parked := make([]*Conn, 0, len(p.conns))
	for _, c := range p.conns {
		parked = append(parked, c)
	}
	p.mu.Unlock()
	old := time.Now().Add(-d).UnixNano()
	for _, c := range parked {
		if resume := c.takeIdle(old); resume != nil {
			// c's reader now: detach, and park again in the fdPoller.
			p.remove(c)
			c.detach(p)
			if !parkArm(c, p, c.raw, resume, c.park.since) {
				go resume()
			}
		}
	}
	if d == 0 {
		sweeping.Store(false)
		return
	}
	time.AfterFunc(d, p.sweep)
}

// takeIdle takes c's park (as takeResume) if it began before old and c's
// socket has nothing left to send; never a TLS connection's, whose socket
// stays under crypto/tls.
func (c *Conn) takeIdle(old int64) func() {
	c.park.mu.Lock()
	defer c.park.mu.Unlock()
	if c.park.resume == nil || c.park.since > old || c.raw == nil || outQueued(c.raw) {
		return nil
	}
	f := c.park.resume
	c.park.resume = nil
	if c.park.timer != nil {
		c.park.timer.Stop()
	}
	return f
}

// outQueued reports whether raw's socket holds octets not yet sent (or,
// for a Unix socket, not yet read by the peer).
func outQueued(raw syscall.RawConn) bool {
	n := 0
	raw.Control(func(fd uintptr) {
		var q int32
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&q))); errno == 0 {
			n = int(q)
		}
	})
	return n > 0
}
