//go:build !edgewamp_board

package wstransport

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/edgewamp/edgewamp/internal/parkpoll"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// parkAfter is how long Park waits for input before it parks, and slowPark
// how long a park must last for the connection to count as a slow sender
// (which parks at once when it has no input): rawsocket's figures, for the
// same reasons (see rawsocket.Conn.Park).
const (
	parkAfter = 10 * time.Millisecond
	slowPark  = 100 * time.Millisecond
)

// parking is a server Conn's park state (see Conn.Park).
type parking struct {
	raw    syscall.RawConn  // the socket's (under TLS too); nil: the connection never parks
	pre    *prefixReader    // what the client sent beyond its request, until read
	since  int64            // when the last park began (Unix nanoseconds; reader-owned)
	resume func()           // the reader's, while parked
	lookFn func(fd uintptr) // sets c.in: raw.Control's callback
	k      parkpoll.Park
	tls    bool // over TLS: what the connection holds is seen by reading only

	dmu sync.Mutex // held while the read deadline is set or lent to a linger
	rdl int64      // the read deadline set with SetReadDeadline (Unix nanoseconds; 0: none)
}

var _ wamp.Parker = (*Conn)(nil)

// readers holds up to 64 frame readers of parked connections, for those
// that wake: a bounded free list rather than a sync.Pool, which would keep
// every reader parked since the last two collections (thousands after a
// join storm, whose handshakes each bring a new one) until they run.
var readers = make(chan *bufio.Reader, 64)

// newReader returns a frame reader on nc, for a connection whose reader was
// dropped by a park.
func newReader(nc net.Conn) *bufio.Reader {
	select {
	case br := <-readers:
		br.Reset(nc)
		return br
	default:
		return bufio.NewReaderSize(nc, readBufferSize)
	}
}

// keepReader offers an empty frame reader to the free list (or to the
// garbage collector).
func keepReader(br *bufio.Reader) {
	br.Reset(nil)
	select {
	case readers <- br:
	default:
	}
}

// startParking starts the process's park poller (internal/parkpoll) with
// the first handler, not at the first park, so that a server's
// descriptors and goroutines are those of its first park from then on.
func startParking() { parkpoll.Available() }

// initPark lets a server connection park: nc is its connection after the
// handshake, pre what the client sent beyond its request (nil: nothing).
// Connections over TCP and Unix sockets park, TLS ones included: a TLS
// connection's socket is watched once a read under a short deadline has
// shown that it holds no whole record (see Park).
func (c *Conn) initPark(nc net.Conn, pre *prefixReader) {
	tc, tlsConn := nc.(*tls.Conn)
	if tlsConn {
		nc = tc.NetConn()
	}
	nc = parkpoll.Socket(nc)
	switch nc.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return
	}
	raw, err := nc.(syscall.Conn).SyscallConn()
	if err != nil || !parkpoll.Available() {
		return
	}
	pk := &c.pk
	pk.raw, pk.pre, pk.tls = raw, pre, tlsConn
	pk.lookFn = func(fd uintptr) { c.in = parkpoll.HasInput(int(fd)) }
}

// SetReadDeadline sets the deadline for ReadMessage; zero means none. A read
// that times out returns an error wrapping os.ErrDeadlineExceeded; the
// connection may then still be written to and closed, but not read again.
// A parked connection wakes at it (see Park).
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.pk.dmu.Lock()
	defer c.pk.dmu.Unlock()
	c.pk.rdl = 0
	if !t.IsZero() {
		c.pk.rdl = t.UnixNano()
	}
	return c.nc.SetReadDeadline(t)
}

// Park implements [wamp.Parker]: it lets a server with many idle WebSocket
// connections hold no reader for them. It waits up to 10ms for the next
// message (not at all when the last park lasted 100ms or more: a slow
// sender); pings and pongs that arrive meanwhile, or are buffered, are
// handled here (a ping is answered) without waking the session. When a
// message, a close frame or part of a frame comes (or the read deadline
// passes first, or the connection fails), Park returns false and the
// reader reads as usual. Otherwise it drops the connection's read buffer
// and arranges for resume to run on another goroutine (see peer.Go) as soon
// as input arrives, the read deadline (SetReadDeadline) passes, or the
// connection closes, and returns true: the reader leaves the connection to
// resume, which may already be running.
//
// Server connections over TCP and Unix sockets on Linux park, in the
// process's one epoll instance (internal/parkpoll), over TLS too: a TLS
// connection cannot be asked what it holds without reading, so the linger
// reads (for a slow sender, under a deadline already past, which fails at
// once when no whole record is there), and once such a read has timed out
// the connection holds no whole record and its socket can be watched. A
// parked TLS connection still holds crypto/tls's state and buffers; it
// lets go of its reader and read buffer. Elsewhere, and on the client
// side, Park returns false at once.
//
// Only the reader may call Park, while no ReadMessage runs. resume may be
// run early; it must read as usual. The payload returned by the last
// ReadMessage is invalid afterwards.
func (c *Conn) Park(resume func()) bool {
	pk := &c.pk
	if pk.raw == nil || c.readErr != nil || c.closed.Load() {
		return false
	}
	linger := parkAfter
	if now := time.Now().UnixNano(); pk.since != 0 && now-pk.since >= int64(slowPark) {
		linger = -1 // a slow sender: only look
	}
	for {
		if pk.pre != nil && len(pk.pre.pre) > 0 {
			return false // sent with the request: a message to read
		}
		if c.br != nil && c.br.Buffered() > 0 {
			if !c.takeControl() {
				return false
			}
			continue
		}
		switch c.linger(linger) {
		case lingerRead:
			return false
		case lingerIdle:
		default:
			continue
		}
		break
	}
	if br := c.br; br != nil { // empty: nothing to keep while parked
		c.br, pk.pre = nil, nil
		if br.Size() == readBufferSize {
			keepReader(br)
		}
	}
	pk.since = time.Now().UnixNano()
	pk.resume = resume
	pk.dmu.Lock()
	deadline := pk.deadline()
	pk.dmu.Unlock()
	if !pk.k.Arm(pk.raw, deadline, pk) {
		return false
	}
	if c.closed.Load() { // Close may have looked before the park was armed
		pk.k.Wake()
	}
	return true
}

// Resume starts the parked reader (parkpoll.Resumer).
func (pk *parking) Resume() { peer.Go(pk.resume) }

// deadline is the read deadline as set. dmu must be held.
func (pk *parking) deadline() time.Time {
	if pk.rdl == 0 {
		return time.Time{}
	}
	return time.Unix(0, pk.rdl)
}

// unpark wakes a parked connection that is closing, so that its reader
// sees the close. c.closed is set.
func (c *Conn) unpark() { c.pk.k.Wake() }

// What linger found.
const (
	lingerIdle = iota // no input: park
	lingerMore        // input, in the read buffer
	lingerRead        // the read deadline, an error or the end: for ReadMessage to report
)

// linger reads what comes within d into the read buffer, and reports
// whether anything came. With d < 0 it takes only what is there now: it
// looks at the socket, and over TLS reads what the connection holds
// already (under a deadline already past, which fails a read of the socket
// at once: a TLS read's timeout leaves the connection usable).
func (c *Conn) linger(d time.Duration) int {
	pk := &c.pk
	if d < 0 {
		c.in = false
		if pk.raw.Control(pk.lookFn) != nil {
			return lingerRead
		}
		switch {
		case c.in:
			d = parkAfter // read it, under a deadline (over TLS, a record may be partly there)
		case !pk.tls:
			return lingerIdle
		default:
			d = 0
		}
	}
	pk.dmu.Lock()
	until, user := time.Now().Add(d), pk.deadline()
	if !user.IsZero() && !until.Before(user) {
		pk.dmu.Unlock()
		return lingerRead // the read deadline comes first: ReadMessage reports it
	}
	err := c.nc.SetReadDeadline(until)
	pk.dmu.Unlock()
	if err != nil {
		return lingerRead
	}
	if c.br == nil {
		c.br = newReader(c.nc)
	}
	_, err = c.br.Peek(1)
	pk.dmu.Lock()
	if rerr := c.nc.SetReadDeadline(pk.deadline()); rerr != nil && err == nil {
		err = rerr
	}
	pk.dmu.Unlock()
	switch {
	case err == nil:
		return lingerMore
	case errors.Is(err, os.ErrDeadlineExceeded):
		return lingerIdle
	}
	return lingerRead
}

// takeControl handles the whole ping and pong frames at the head of the
// read buffer, as ReadMessage would (a ping is answered), and reports
// whether the buffer is empty then: false when it holds anything else (a
// data or close frame, part of a frame) or a frame broke the rules, which
// ReadMessage reads or reports.
func (c *Conn) takeControl() bool {
	for c.br.Buffered() > 0 {
		b, _ := c.br.Peek(c.br.Buffered())
		h, need := parseFrameHeader(b)
		if need > len(b) || (h.op != opPing && h.op != opPong) || uint64(len(b)-need) < h.length {
			return false
		}
		h, err := c.readHeader() // buffered: does not wait
		if err == nil {
			err = c.checkFrame(h, false, 0)
		}
		if err == nil {
			err = c.control(h)
		}
		if err != nil {
			c.readErr = err
			return false
		}
	}
	return true
}
