package peer

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// Defaults applied to a zero Config field.
const (
	DefaultQueueMessages = 256
	DefaultQueueBytes    = 1 << 20
	DefaultWriteTimeout  = 10 * time.Second
)

// maxPooledBuffer is the largest encode buffer kept for reuse; bigger ones
// are left to the garbage collector so that one large message does not pin
// its memory for the life of the process.
const maxPooledBuffer = 64 << 10

// Config tunes a Conn. The zero value means the documented defaults.
type Config struct {
	// QueueMessages is the most messages queued for sending (including the
	// batch being written). Default 256.
	QueueMessages int
	// QueueBytes is the most bytes queued for sending (including the batch
	// being written). A single message larger than QueueBytes is accepted
	// when the queue is empty. Default 1 MiB.
	QueueBytes int
	// WriteTimeout bounds each write to the transport; a write stuck longer
	// closes the connection. Default 10s; negative means no deadline.
	WriteTimeout time.Duration
}

// queueLimits returns QueueMessages and QueueBytes, the defaults for
// fields not positive.
func (c *Config) queueLimits() (messages, bytes int) {
	messages, bytes = c.QueueMessages, c.QueueBytes
	if messages <= 0 {
		messages = DefaultQueueMessages
	}
	if bytes <= 0 {
		bytes = DefaultQueueBytes
	}
	return messages, bytes
}

// writeTimeout returns WriteTimeout, the default for zero.
func (c *Config) writeTimeout() time.Duration {
	if c.WriteTimeout == 0 {
		return DefaultWriteTimeout
	}
	return c.WriteTimeout
}

// Stats are a connection's counters.
type Stats struct {
	MessagesIn  uint64 // messages read
	BytesIn     uint64 // encoded bytes read
	MessagesOut uint64 // messages written
	BytesOut    uint64 // encoded bytes written
}

// item is one queued message. sh, when not nil, is the Shared that holds b,
// released once b is written.
type item struct {
	b  []byte
	sh *Shared
}

// writeScratch is a running writer's arrays: the batch being written and
// the vector of its buffers. A server's writers share them through
// scratchPool, so that a connection holds none between its writes; the
// board's writer makes its own for each run (see writeLoop).
type writeScratch struct {
	batch []item
	wbufs [][]byte
}

// scratchPool holds the server writers' writeScratch.
var scratchPool = sync.Pool{New: func() any { return new(writeScratch) }}

// Conn is one WAMP connection: a transport, its serializer, an outbound
// queue and its writer. Make one with [New], or embed one in a larger
// struct and set it up with [Init]. Recv must be called by one goroutine at
// a time; all other methods are safe for concurrent use.
type Conn struct {
	t   wamp.Transport
	s   wamp.Serializer
	cfg *Config // shared with others (see Init); read-only

	msgsIn, bytesIn, msgsOut, bytesOut atomic.Uint64

	// writeLoopFn is c.writeLoop, kept while the connection writes (a go
	// statement on the method would allocate each time); Trim drops it.
	writeLoopFn func()

	mu          sync.Mutex    // protects the following
	queue       []item        // waiting for the writer
	queuedBytes int           // bytes in queue and in the batch being written
	inflight    int32         // messages in the batch being written (at most QueueMessages: a queue of 2^31 is beyond memory)
	writing     bool          // a writer goroutine is running
	closed      bool          // Close was called
	err         error         // the close reason, once closed
	progress    chan struct{} // closed (and reset to nil) when the writer makes progress or the conn closes; nil when nobody waits
	done        chan struct{} // Done's channel, made when first asked for
}

// New returns a Conn over t. The Conn owns t from now on: closing the Conn
// closes t.
func New(t wamp.Transport, cfg Config) *Conn {
	return &Conn{t: t, s: t.Serializer(), cfg: &cfg} // not through Init: the agents link New alone
}

// Init sets up c, a zero Conn that is a field of a larger struct (a
// server's session), over t, as New does with *cfg: one allocation serves
// both. cfg is kept, not copied, so that a server's connections share one
// Config: it must not change while c is in use. c owns t from now on. c
// must not be used before Init nor copied after.
func Init(c *Conn, t wamp.Transport, cfg *Config) {
	c.t, c.s, c.cfg = t, t.Serializer(), cfg
}

// Transport returns the underlying transport (e.g. to set a read deadline
// before Recv, or to park an idle reader when it is a [wamp.Parker]). It is
// safe for concurrent use as documented by
// [wamp.Transport].
func (c *Conn) Transport() wamp.Transport { return c.t }

// Serializer returns the connection's serializer. Safe for concurrent use.
func (c *Conn) Serializer() wamp.Serializer { return c.s }

// RemoteAddr describes the remote end. Safe for concurrent use.
func (c *Conn) RemoteAddr() string { return c.t.RemoteAddr() }

// Done returns a channel closed when the connection is closed. Safe for
// concurrent use.
func (c *Conn) Done() <-chan struct{} {
	c.mu.Lock()
	if c.done == nil { // made on first use: most connections never ask
		c.done = make(chan struct{})
		if c.closed {
			close(c.done)
		}
	}
	d := c.done
	c.mu.Unlock()
	return d
}

// Err returns the close reason, nil while the connection is open. Safe for
// concurrent use.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Stats returns the connection's counters. Safe for concurrent use.
func (c *Conn) Stats() Stats {
	return Stats{
		MessagesIn:  c.msgsIn.Load(),
		BytesIn:     c.bytesIn.Load(),
		MessagesOut: c.msgsOut.Load(),
		BytesOut:    c.bytesOut.Load(),
	}
}

// Queued returns the number of messages and bytes queued or being written.
// Safe for concurrent use.
func (c *Conn) Queued() (messages, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue) + int(c.inflight), c.queuedBytes
}

// Recv reads and decodes the next message. Only one goroutine may call it at
// a time. A transport error (including the remote end closing) closes the
// connection and is returned; a message that fails to decode is returned as
// an error wrapping the serializer's error (which wraps
// wamp.ErrProtocolViolation) and the connection stays open. After Close,
// Recv returns an error wrapping ErrClosed and the close reason.
func (c *Conn) Recv() (wamp.Message, error) {
	b, err := c.t.ReadMessage()
	if err != nil {
		if cerr := c.closedErr(); cerr != nil {
			return nil, cerr
		}
		err = fmt.Errorf("peer: read from %s: %w", c.t.RemoteAddr(), err)
		c.Close(err)
		return nil, err
	}
	c.msgsIn.Add(1)
	c.bytesIn.Add(uint64(len(b)))
	m, err := c.s.DecodeMessage(b)
	if err != nil {
		return nil, fmt.Errorf("peer: decode %s message: %w", c.s.Name(), err)
	}
	return m, nil
}

// Send encodes m and queues it for writing; it keeps no reference to m, so
// the caller may reuse m at once (device pools its messages). It never
// blocks: it returns ErrQueueFull when the queue has no room, ErrTooLarge
// when the encoded message is larger than the remote end accepts, an error
// wrapping ErrClosed after Close, or the serializer's error. Safe for concurrent use; messages
// sent from one goroutine are written in order.
func (c *Conn) Send(m wamp.Message) error {
	it, err := c.encode(m)
	if err != nil {
		return err
	}
	c.mu.Lock()
	err = c.enqueueLocked(it)
	c.mu.Unlock()
	if err != nil {
		putBuf(it)
	}
	return err
}

// SendEncoded queues b, a message already encoded with c.Serializer(). b is
// never modified and may be shared among connections (an EVENT encoded once
// for many subscribers); the caller must not modify it afterwards. Errors as
// for Send. Safe for concurrent use.
func (c *Conn) SendEncoded(b []byte) error {
	if len(b) > c.t.MaxMessageSize() {
		return fmt.Errorf("%w (%d > %d bytes)", ErrTooLarge, len(b), c.t.MaxMessageSize())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.enqueueLocked(item{b: b})
}

// SendWait is like Send but, while the queue is full, waits for room until
// ctx is done or the connection closes. Safe for concurrent use.
func (c *Conn) SendWait(ctx context.Context, m wamp.Message) error {
	it, err := c.encode(m)
	if err != nil {
		return err
	}
	for {
		c.mu.Lock()
		err = c.enqueueLocked(it)
		if !errors.Is(err, ErrQueueFull) {
			c.mu.Unlock()
			if err != nil {
				putBuf(it)
			}
			return err
		}
		ch := c.progressLocked() // closed by Close too
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			putBuf(it)
			return fmt.Errorf("peer: send: %w", ctx.Err())
		}
	}
}

// Flush waits until everything queued so far has been written, ctx is done
// or the connection closes (then it returns an error wrapping ErrClosed).
// Safe for concurrent use.
func (c *Conn) Flush(ctx context.Context) error {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return c.closedErr()
		}
		if !c.writing && len(c.queue) == 0 {
			c.mu.Unlock()
			return nil
		}
		ch := c.progressLocked() // closed by Close too
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("peer: flush: %w", ctx.Err())
		}
	}
}

// Close closes the connection: it records reason (ErrClosed when nil) as
// the close reason, discards what is still queued, closes the transport and
// closes Done. Only the first call has an effect; it returns the transport's
// Close error, later calls return nil. Safe for concurrent use.
func (c *Conn) Close(reason error) error {
	if reason == nil {
		reason = ErrClosed
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.err = reason
	clear(c.queue)
	c.queue = nil
	c.wakeLocked()
	if c.done != nil {
		close(c.done)
	}
	c.mu.Unlock()
	return c.t.Close()
}

// closedErr returns the error for an operation on the closed connection,
// nil while it is open.
func (c *Conn) closedErr() error {
	c.mu.Lock()
	reason := c.err
	c.mu.Unlock()
	if reason == nil {
		return nil
	}
	if reason == ErrClosed {
		return ErrClosed
	}
	return fmt.Errorf("%w: %w", ErrClosed, reason)
}

// encode encodes m into a pooled buffer (a Shared held once, by the item).
func (c *Conn) encode(m wamp.Message) (item, error) {
	sh := NewShared()
	if err := sh.Encode(c.s, m); err != nil {
		sh.Release()
		return item{}, err
	}
	if max := c.t.MaxMessageSize(); len(sh.b) > max {
		sh.Release()
		return item{}, fmt.Errorf("%w: %v of %d bytes, limit %d", ErrTooLarge, m.Type(), len(sh.b), max)
	}
	return item{b: sh.b, sh: sh}, nil
}

// putBuf releases it's hold on its buffer, if it has one.
func putBuf(it item) {
	if it.sh != nil {
		it.sh.Release()
	}
}

// enqueueLocked queues it and starts the writer if none runs. mu must be held.
func (c *Conn) enqueueLocked(it item) error {
	if c.closed {
		if c.err == ErrClosed {
			return ErrClosed
		}
		return fmt.Errorf("%w: %w", ErrClosed, c.err)
	}
	n := len(c.queue) + int(c.inflight)
	maxMsgs, maxBytes := c.cfg.queueLimits()
	if n >= maxMsgs || (n > 0 && c.queuedBytes+len(it.b) > maxBytes) {
		return ErrQueueFull
	}
	c.queue = append(c.queue, it)
	c.queuedBytes += len(it.b)
	if !c.writing {
		c.writing = true
		if c.writeLoopFn == nil {
			c.writeLoopFn = c.writeLoop
		}
		if ServerBuild {
			Go(c.writeLoopFn)
		} else {
			go c.writeLoopFn()
		}
	}
	return nil
}

// Trim lets go of the outbound queue's arrays (and the writer's method
// value) while nothing is queued or being written, so that an idle
// connection holds none; the next Send makes them again. Servers call it when a connection goes idle (minirouter: when
// its reader parks). Safe for concurrent use.
func (c *Conn) Trim() {
	c.mu.Lock()
	if !c.writing && len(c.queue) == 0 {
		// No writer runs, and none starts before mu is released: the
		// queue's array and the writer's method value are free to drop.
		c.queue, c.writeLoopFn = nil, nil
	}
	c.mu.Unlock()
}

// progressLocked returns the channel closed at the writer's next progress.
// mu must be held.
func (c *Conn) progressLocked() chan struct{} {
	if c.progress == nil {
		c.progress = make(chan struct{})
	}
	return c.progress
}

// wakeLocked wakes the goroutines waiting in Flush or SendWait. mu must be held.
func (c *Conn) wakeLocked() {
	if c.progress != nil {
		close(c.progress)
		c.progress = nil
	}
}

// writeLoop is the writer goroutine: it writes batches until the queue is
// empty or the connection closes, then exits.
func (c *Conn) writeLoop() {
	if ServerBuild {
		// Let the goroutines ready to run go first: on a router they are
		// readers with messages for this connection too (woken together by
		// the poller), and the batch then takes one system call for all.
		// Twice: the readers that the first round's poll woke run in the
		// second (a gateway's writes per reading: halved).
		runtime.Gosched()
		runtime.Gosched()
		ws := scratchPool.Get().(*writeScratch)
		c.writeBatches(ws)
		scratchPool.Put(ws)
		return
	}
	var ws writeScratch
	c.writeBatches(&ws)
}

// writeBatches writes batches, with ws's arrays, until the queue is empty
// or the connection closes. It leaves ws's arrays empty.
func (c *Conn) writeBatches(ws *writeScratch) {
	for {
		c.mu.Lock()
		if c.closed || len(c.queue) == 0 {
			c.writing = false
			c.wakeLocked()
			c.mu.Unlock()
			return
		}
		// Copied, not swapped: the queue keeps its array, which a busy
		// connection's next messages fill without growing a new one.
		ws.batch = append(ws.batch[:0], c.queue...)
		clear(c.queue)
		c.queue = c.queue[:0]
		c.inflight = int32(len(ws.batch))
		c.mu.Unlock()

		bufs := ws.wbufs[:0]
		size := 0
		for _, it := range ws.batch {
			bufs = append(bufs, it.b)
			size += len(it.b)
		}
		err := c.write(bufs)
		clear(bufs)
		ws.wbufs = bufs[:0]
		if err != nil {
			c.Close(err)
			clear(ws.batch)
			ws.batch = ws.batch[:0]
			c.mu.Lock()
			c.writing = false
			c.inflight = 0
			c.mu.Unlock()
			return
		}
		c.msgsOut.Add(uint64(len(ws.batch)))
		c.bytesOut.Add(uint64(size))
		for i, it := range ws.batch {
			putBuf(it)
			ws.batch[i] = item{}
		}
		ws.batch = ws.batch[:0]

		c.mu.Lock()
		c.queuedBytes -= size
		c.inflight = 0
		c.wakeLocked()
		c.mu.Unlock()
	}
}

// write writes one batch under the write deadline.
func (c *Conn) write(bufs [][]byte) error {
	d := c.cfg.writeTimeout()
	if d > 0 {
		if err := c.t.SetWriteDeadline(time.Now().Add(d)); err != nil {
			return fmt.Errorf("peer: set write deadline: %w", err)
		}
	}
	if err := c.t.WriteMessages(bufs); err != nil {
		if errors.Is(err, errDeadline) {
			return fmt.Errorf("peer: write to %s timed out after %v: %w", c.t.RemoteAddr(), d, err)
		}
		return fmt.Errorf("peer: write to %s: %w", c.t.RemoteAddr(), err)
	}
	return nil
}
