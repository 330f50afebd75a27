package netsource

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Pending bounds the connections whose handshakes (TLS, RawSocket, the
// HTTP request and WebSocket upgrade, a unisocket's first octet) are not
// done, so that a flood of connections that never finish from some
// sources cannot keep a client from another source out. It never refuses
// a newcomer, whose handshake takes a well-behaved client milliseconds:
// it makes room by closing an older pending connection.
//
//   - At most MaxPerSource pending from one source: beyond, the oldest of
//     that source is closed (local sources only with LimitLocal).
//   - At most Max pending in all: beyond, the oldest pending connection of
//     the source holding the most is closed, so that one source's flood
//     costs only that source (ties: the oldest of them).
//   - Each is closed when Timeout passes before its handshake is done.
//
// Set the fields before first use; Max 0 bounds nothing (Timeout still
// applies). Safe for concurrent use.
type Pending struct {
	Max, MaxPerSource int
	LimitLocal        bool
	Timeout           time.Duration

	evicted, expired atomic.Uint64

	mu    sync.Mutex // protects the following
	n     int
	seq   uint64
	queue map[string]*ticketQueue
}

// Ticket is one pending connection of a [Pending].
type Ticket struct {
	p          *Pending
	src        string
	seq        uint64
	close      func()
	timer      *time.Timer
	prev, next *Ticket
	gone       bool // removed from its queue; p.mu protects it
	closed     bool // removed to be closed (evicted or expired); p.mu protects it
}

// ticketQueue is one source's pending tickets, oldest first.
type ticketQueue struct {
	head, tail *Ticket
	n          int
}

// Admit counts a new pending connection from src (a [Of] result); close
// closes it, and is called (at most once, without a lock held) when the
// connection is evicted or times out. Call [Ticket.Done] when its
// handshake is over, done or failed.
func (p *Pending) Admit(src string, close func()) *Ticket {
	t := &Ticket{p: p, src: src, close: close}
	var victims []*Ticket
	p.mu.Lock()
	p.seq++
	t.seq = p.seq
	if p.queue == nil {
		p.queue = make(map[string]*ticketQueue)
	}
	q := p.queue[src]
	if q == nil {
		q = &ticketQueue{}
		p.queue[src] = q
	}
	q.push(t)
	p.n++
	if p.MaxPerSource > 0 && q.n > p.MaxPerSource && (p.LimitLocal || !Local(src)) {
		victims = append(victims, p.closeLocked(q.head))
	}
	if p.Max > 0 && p.n > p.Max {
		victims = append(victims, p.closeLocked(p.fullestLocked().head))
	}
	if p.Timeout > 0 {
		t.timer = time.AfterFunc(p.Timeout, t.expire)
	}
	p.mu.Unlock()
	for _, v := range victims {
		p.evicted.Add(1)
		v.close()
	}
	return t
}

// fullestLocked returns the queue of the source with the most pending
// connections, the one with the oldest among equals. p.mu must be held.
func (p *Pending) fullestLocked() *ticketQueue {
	var max *ticketQueue
	for _, q := range p.queue {
		if max == nil || q.n > max.n || (q.n == max.n && q.head.seq < max.head.seq) {
			max = q
		}
	}
	return max
}

// removeLocked takes t out of its queue and returns it. p.mu must be held.
func (p *Pending) removeLocked(t *Ticket) *Ticket {
	t.gone = true
	if t.timer != nil {
		t.timer.Stop()
	}
	q := p.queue[t.src]
	q.remove(t)
	if q.n == 0 {
		delete(p.queue, t.src)
	}
	p.n--
	return t
}

// closeLocked removes t to close it (after p.mu is released): from now on
// t.Done reports false. p.mu must be held.
func (p *Pending) closeLocked(t *Ticket) *Ticket {
	t.closed = true
	return p.removeLocked(t)
}

// Len returns the connections pending now.
func (p *Pending) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// Evicted returns how many pending connections were closed to make room,
// and Expired how many were closed by Timeout.
func (p *Pending) Evicted() uint64 { return p.evicted.Load() }

// Expired returns how many pending connections were closed by Timeout.
func (p *Pending) Expired() uint64 { return p.expired.Load() }

// Done ends t's pending time; its connection is no longer closed by p.
// It reports false when p evicted t or its Timeout passed first: the
// connection is closed or being closed, so its handshake must not be
// answered as a success. Idempotent.
func (t *Ticket) Done() bool {
	t.p.mu.Lock()
	if !t.gone {
		t.p.removeLocked(t)
	}
	ok := !t.closed
	t.p.mu.Unlock()
	return ok
}

// expire closes t's connection when its handshake is not done in time.
func (t *Ticket) expire() {
	t.p.mu.Lock()
	gone := t.gone
	if !gone {
		t.p.closeLocked(t)
	}
	t.p.mu.Unlock()
	if !gone {
		t.p.expired.Add(1)
		t.close()
	}
}

func (q *ticketQueue) push(t *Ticket) {
	t.prev = q.tail
	if q.tail != nil {
		q.tail.next = t
	} else {
		q.head = t
	}
	q.tail = t
	q.n++
}

func (q *ticketQueue) remove(t *Ticket) {
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		q.head = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		q.tail = t.prev
	}
	t.prev, t.next = nil, nil
	q.n--
}

// Listener returns a listener whose Accept admits each connection of nl
// to p (its source: [Of]) and returns it wrapped: closing it ends its
// pending time, and so does [Done] once its handshake is over. Closing the
// returned listener closes nl.
func (p *Pending) Listener(nl net.Listener) net.Listener { return &pendingListener{Listener: nl, p: p} }

type pendingListener struct {
	net.Listener
	p *Pending
}

func (l *pendingListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &pendingConn{Conn: nc, t: l.p.Admit(Of(nc), func() { nc.Close() })}, nil
}

// pendingConn is a connection admitted by a Pending listener.
type pendingConn struct {
	net.Conn
	t *Ticket
}

// Close ends the pending time and closes the connection.
func (c *pendingConn) Close() error {
	c.t.Done()
	return c.Conn.Close()
}

// NetConn returns the accepted connection (as crypto/tls's Conn does).
func (c *pendingConn) NetConn() net.Conn { return c.Conn }

// PassthroughConn returns the accepted connection too: its Read, Write and
// deadlines are the wrapper's, so rawsocket may read and write its socket
// directly (and park it while idle).
func (c *pendingConn) PassthroughConn() net.Conn { return c.Conn }

// Done ends the pending time of nc, or of the connection nc wraps (through
// NetConn methods, as *tls.Conn has), when a Pending listener accepted it:
// its handshake is over. It reports false when that Pending closed or is
// closing nc (see [Ticket.Done]), true otherwise.
func Done(nc net.Conn) bool {
	if pc := pendingOf(nc); pc != nil {
		return pc.t.Done()
	}
	return true
}

// Admitted reports whether nc, or the connection it wraps, was accepted by
// a Pending listener.
func Admitted(nc net.Conn) bool { return pendingOf(nc) != nil }

// pendingOf finds the pendingConn in nc's NetConn chain, or returns nil.
func pendingOf(nc net.Conn) *pendingConn {
	for nc != nil {
		if pc, ok := nc.(*pendingConn); ok {
			return pc
		}
		u, ok := nc.(interface{ NetConn() net.Conn })
		if !ok {
			return nil
		}
		nc = u.NetConn()
	}
	return nil
}
