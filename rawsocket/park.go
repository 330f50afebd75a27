package rawsocket

import (
	"sync"
	"syscall"
	"time"

	"github.com/edgewamp/edgewamp/peer"
)

// parkAfter is how long Park waits for input before it parks: short enough
// that few connections hold their reader's big stack at once (those active
// in the last parkAfter), long enough that a connection exchanging
// messages (a caller, a callee) keeps its reader.
const parkAfter = 10 * time.Millisecond

// slowPark is how long a park must last for the connection to count as a
// slow sender (a device sending a reading every few seconds): it then parks
// as soon as it has no input, without waiting parkAfter first, which saves
// a deadline timer and a wake-up per message.
const slowPark = 100 * time.Millisecond

// parkState is a Conn's park (see Conn.Park).
type parkState struct {
	mu     sync.Mutex
	resume func()      // set while parked; taken by whoever wakes the park
	timer  *time.Timer // wakes the park at the read deadline (made on first need)
	since  int64       // when the last park began (Unix nanoseconds; reader-owned)

	// Guarded by the poller's mu.
	fd, gen    int32 // the descriptor, and the generation of the last park
	registered bool  // the descriptor is in the poller's epoll set

	noPoll bool // never park in the poller (tests: the fallback of other systems)
}

// Park implements [wamp.Parker]: it lets a server with many idle
// connections hold no reader for them. It waits up to 10ms for the next
// message (not at all when the last park lasted 100ms or more: a slow
// sender); when that starts to arrive (or the read deadline passes first,
// or the connection fails), Park returns false and the reader reads as
// usual. Otherwise it arranges for resume to run on a new goroutine as
// soon as the next message starts to arrive, the read deadline
// (SetReadDeadline) passes, or the connection closes, and returns true: the
// reader leaves the connection to resume, which may already be running.
//
// On Linux, TCP and Unix sockets are parked in one epoll instance for the
// whole process, whose own descriptor waits in the runtime's poller, so an
// idle connection holds no goroutine and no buffer. On other systems a new
// goroutine waits for input on its small starting stack, then runs resume
// (a reader deep in a server keeps a stack of 8 KB, which the runtime does
// not shrink while it waits). A TLS connection cannot be asked what
// crypto/tls holds without reading: its linger reads, under a deadline
// (already past for a slow sender), and once such a read has timed out
// with nothing, crypto/tls holds at most part of a record, whose rest comes
// through the socket: the socket under TLS parks (Linux; a parked TLS
// connection still holds crypto/tls's state and buffers).
//
// The board's agent build (peer.ServerBuild false) parks nothing: Park
// returns false, and the machinery above is left out of it.
//
// Only the reader may call Park, while no ReadMessage runs. resume may be
// run early (by a stale event); it must read as usual. The payload returned
// by the last ReadMessage is invalid afterwards.
func (c *Conn) Park(resume func()) bool {
	if !peer.ServerBuild {
		return false
	}
	// The time since the last park began: its length, and the handling of
	// what woke it (short next to slowPark).
	linger := parkAfter
	if now := time.Now().UnixNano(); c.park.since != 0 && now-c.park.since >= int64(slowPark) {
		linger = -1 // a slow sender: only look (see slowPark)
	}
	if c.raw == nil {
		return c.parkTLS(resume, linger)
	}
	var in bool
	if detachable {
		in = c.linger(linger) // may move a busy socket back into Go's poller
	} else {
		in = c.waitInput(linger)
	}
	if in {
		return false
	}
	if !c.park.noPoll && c.parkPoll(resume) {
		return true
	}
	go c.resumeOnInput(resume)
	return true
}

// resumeOnInput waits for input under the read deadline alone, then runs
// resume (Park's fallback when the connection cannot be parked in the
// poller).
func (c *Conn) resumeOnInput(resume func()) {
	c.waitInput(0) // whatever it reports, resume's ReadMessage tells
	resume()
}

// parkPoll arranges for resume to run on a new goroutine as soon as the
// next message starts to arrive, the read deadline passes, or the
// connection closes, and returns at once. It reports false, having done
// nothing, when the connection cannot be parked: input is already
// buffered, or it is another system. It looks only at what is buffered,
// not at the socket: call it when waitInput has just reported no input (a
// socket with input wakes the park at once).
func (c *Conn) parkPoll(resume func()) bool {
	raw := c.raw
	if c.fr == nil {
		c.fr = newFrameReader(c.nc, readBufferSize, int(c.maxRecv))
	}
	if raw == nil || c.fr.ready() {
		return false
	}
	p := thePoller()
	if p == nil {
		return false
	}
	c.fr.settle()
	c.dropReader()
	detachIdle(c, p)
	return parkArm(c, p, c.raw, resume, time.Now().UnixNano())
}

// takeResume takes the parked resume function (nil: not parked, or woken
// already) and stops the deadline timer.
func (c *Conn) takeResume() func() {
	c.park.mu.Lock()
	f := c.park.resume
	c.park.resume = nil
	if f != nil && c.park.timer != nil {
		c.park.timer.Stop()
	}
	c.park.mu.Unlock()
	return f
}

// wake runs the parked resume function, if any, on another goroutine (a
// spare one whose stack has grown already, see peer.Go).
func (c *Conn) wake() {
	if f := c.takeResume(); f != nil {
		if peer.ServerBuild {
			peer.Go(f)
		} else {
			go f()
		}
	}
}

// parkTimeout wakes the park at its read deadline.
func (c *Conn) parkTimeout() {
	if p := thePoller(); p != nil {
		p.remove(c)
	}
	c.wake()
}

// unparkClosing wakes a parked connection that is closing, so that its
// resume sees the close. c.closed is set.
func (c *Conn) unparkClosing() {
	c.park.mu.Lock()
	parked := c.park.resume != nil
	c.park.mu.Unlock()
	if !parked {
		return
	}
	if p := thePoller(); p != nil {
		p.remove(c)
	}
	c.wake()
}

// parkArm is parkPoll's end, once the reader's state is settled: it arms
// the park that began at since (Unix nanoseconds) on raw's socket (c.raw's,
// or the one under TLS), and reports false when the caller must run
// resume.
func parkArm(c *Conn, p *parkPoller, raw syscall.RawConn, resume func(), since int64) bool {
	c.park.since = since
	c.park.mu.Lock()
	c.park.resume = resume
	c.park.mu.Unlock()
	c.dmu.Lock()
	deadline := deadlineTime(c.rdl)
	c.dmu.Unlock()
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return c.takeResume() == nil // woken meanwhile: resume runs
		}
		c.park.mu.Lock()
		if c.park.timer == nil {
			c.park.timer = time.AfterFunc(d, c.parkTimeout)
		} else {
			c.park.timer.Reset(d)
		}
		c.park.mu.Unlock()
	}
	if err := p.add(c, raw); err != nil {
		return c.takeResume() == nil
	}
	return true
}
