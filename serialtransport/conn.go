package serialtransport

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// Conn is one link over a serial line, after a successful handshake: the
// WAMP session's transport. It implements wamp.Transport: ReadMessage must
// be called by one goroutine at a time and WriteMessages by one goroutine at
// a time (they may run concurrently); all other methods are safe for
// concurrent use.
//
// The link ends (ReadMessage and WriteMessages return an error) when it is
// closed, when the peer handshakes again (ErrPeerRestarted) or sends RESET
// (ErrLinkReset), when it goes silent past the keepalive timeout or leaves a
// DATA frame unacknowledged MaxRetries times (ErrLinkDead), or when the line
// fails. Messages received before the end are still returned by ReadMessage
// first, unless the link was closed locally.
type Conn struct {
	e       *endpoint
	ser     wamp.Serializer
	id      uint32 // our link id
	peerID  uint32 // the peer's link id
	window  int
	maxSend int  // the peer's limit
	owner   bool // Close also closes the line (a device's Conn)

	mu sync.Mutex
	// sending (mu)
	slots   [][]byte  // encoded DATA frames not yet acknowledged: a ring of window
	head    int       // slot of the oldest unacknowledged frame
	count   int       // unacknowledged frames
	baseSeq uint8     // sequence number of slots[head]
	nextSeq uint8     // sequence number of the next DATA frame
	retries int       // retransmissions of the oldest frame since the last ACK
	sentAt  time.Time // when the unacknowledged frames were last sent
	guard   bool      // frames were sent again and ACKs have not passed recover yet
	recover uint8     // nextSeq when frames were last sent again
	// receiving (mu)
	inbox       [][]byte // received messages not yet read: a ring of window
	ihead       int
	icount      int
	expect      uint8 // sequence number of the next DATA frame to take
	consumed    uint8 // sequence number of the last message read (acknowledged)
	anyConsumed bool
	// liveness (mu)
	lastRx   time.Time // when a frame of this link last arrived
	lastPing time.Time // when we last sent a keepalive PING
	pingSeq  uint32
	// state (mu)
	rdl, wdl   time.Time // read and write deadlines
	err        error     // why the link ended; nil while up
	localClose bool      // Close was called

	cur    []byte      // the buffer returned by the last ReadMessage (reader-owned)
	rtimer *time.Timer // reader-owned
	wtimer *time.Timer // writer-owned

	readable  chan struct{} // kicked when a message arrives
	writable  chan struct{} // kicked when an ACK frees the window
	rdlKick   chan struct{} // kicked when the read deadline changes
	wdlKick   chan struct{} // kicked when the write deadline changes
	timerKick chan struct{} // kicked when the retransmit timer must start
	done      chan struct{} // closed when the link ends
}

func newConn(e *endpoint, s wamp.Serializer, id, peerID uint32, window, maxSend int, owner bool) *Conn {
	c := &Conn{
		e:         e,
		ser:       s,
		id:        id,
		peerID:    peerID,
		window:    window,
		maxSend:   maxSend,
		owner:     owner,
		slots:     make([][]byte, window),
		inbox:     make([][]byte, window),
		consumed:  0xFF,
		lastRx:    time.Now(),
		readable:  make(chan struct{}, 1),
		writable:  make(chan struct{}, 1),
		rdlKick:   make(chan struct{}, 1),
		wdlKick:   make(chan struct{}, 1),
		timerKick: make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	go c.timerLoop()
	return c
}

func kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Serializer returns the serializer agreed in the handshake.
func (c *Conn) Serializer() wamp.Serializer { return c.ser }

// MaxMessageSize returns the largest message the peer accepts.
func (c *Conn) MaxMessageSize() int { return c.maxSend }

// LocalMaxMessageSize returns the largest message we accept.
func (c *Conn) LocalMaxMessageSize() int { return c.e.cfg.MaxMessageSize }

// Window returns the window agreed in the handshake (1 = stop-and-wait).
func (c *Conn) Window() int { return c.window }

// LinkIDs returns our link id and the peer's.
func (c *Conn) LinkIDs() (local, remote uint32) { return c.id, c.peerID }

// RemoteAddr returns the line's name (Config.Name, e.g. "/dev/ttyUSB0").
func (c *Conn) RemoteAddr() string { return c.e.cfg.Name }

// Stats returns the counters of the serial line this link runs on.
func (c *Conn) Stats() Stats { return c.e.stats.snapshot() }

// Done returns a channel closed when the link ends.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the link ended, or nil while it is up.
func (c *Conn) Err() error {
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	return err
}

// SetReadDeadline sets the deadline for ReadMessage; zero means none.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.rdl = t
	c.mu.Unlock()
	kick(c.rdlKick)
	return nil
}

// SetWriteDeadline sets the deadline for WriteMessages (waiting for room in
// the window); zero means none.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.wdl = t
	c.mu.Unlock()
	kick(c.wdlKick)
	return nil
}

// Close ends the link: it tells the peer (RESET) when that can be done
// without waiting, and for a device's Conn closes the line. It unblocks
// ReadMessage and WriteMessages, and is idempotent.
func (c *Conn) Close() error {
	c.mu.Lock()
	c.localClose = true
	c.mu.Unlock()
	err := fmt.Errorf("serialtransport: %s: %w", c.e.cfg.Name, ErrClosed)
	c.fail(err, true)
	if c.owner {
		c.e.stop(err)
		<-c.e.readerDone // closing the line unblocked its Read
	}
	return nil
}

// fail ends the link with reason (the first reason wins); with reset it
// tells the peer with a RESET: queued for a gateway's link (the line stays
// open), written at once for a device's (whose line closes next) unless a
// write is in progress.
func (c *Conn) fail(reason error, reset bool) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = reason
	close(c.done)
	c.mu.Unlock()
	c.e.unlink(c)
	if !reset {
		return
	}
	if !c.owner {
		c.e.post([]byte{byte(TypeReset), resetClosed})
		return
	}
	if c.e.wmu.TryLock() {
		c.e.wbuf = appendFrame2(c.e.wbuf[:0], TypeReset, resetClosed, true, nil)
		c.e.writeLocked(1)
		c.e.wmu.Unlock()
	}
}

// ReadMessage returns the next WAMP message, which stays valid until the
// next call, and acknowledges it to the peer.
func (c *Conn) ReadMessage() ([]byte, error) {
	for {
		c.mu.Lock()
		if c.icount > 0 && !c.localClose {
			msg := c.inbox[c.ihead]
			c.inbox[c.ihead] = c.cur[:0]
			c.cur = msg
			seq := c.expect - uint8(c.icount)
			c.ihead = (c.ihead + 1) % len(c.inbox)
			c.icount--
			c.consumed, c.anyConsumed = seq, true
			c.mu.Unlock()
			c.e.ack(seq)
			return msg, nil
		}
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			return nil, err
		}
		dl := c.rdl
		c.mu.Unlock()
		var tc <-chan time.Time
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return nil, fmt.Errorf("serialtransport: %s: read: %w", c.e.cfg.Name, os.ErrDeadlineExceeded)
			}
			c.rtimer = resetTimer(c.rtimer, d)
			tc = c.rtimer.C
		}
		select {
		case <-c.readable:
		case <-c.done:
		case <-c.rdlKick:
		case <-tc:
		}
		if c.rtimer != nil {
			c.rtimer.Stop()
		}
	}
}

// resetTimer returns t (or a new timer) set to fire after d.
func resetTimer(t *time.Timer, d time.Duration) *time.Timer {
	if t == nil {
		return time.NewTimer(d)
	}
	t.Reset(d)
	return t
}

// WriteMessages sends the messages in order as DATA frames, as many per
// write as the window allows, and blocks while the window is full (until
// the write deadline). It returns when every message was sent, not when it
// was acknowledged. The deadline bounds waiting for the window, not a write
// the line itself blocks (Close unblocks that, on a pty or a pipe). A message over the peer's limit is an error wrapping
// ErrMessageTooLarge and nothing is written.
func (c *Conn) WriteMessages(msgs [][]byte) error {
	for _, m := range msgs {
		if len(m) > c.maxSend {
			return fmt.Errorf("serialtransport: %s: %w: %d bytes, the peer accepts %d", c.e.cfg.Name, ErrMessageTooLarge, len(m), c.maxSend)
		}
	}
	for i := 0; i < len(msgs); {
		c.e.wmu.Lock()
		c.mu.Lock()
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			c.e.wmu.Unlock()
			return err
		}
		free := c.window - c.count
		if free == 0 {
			dl := c.wdl
			c.mu.Unlock()
			c.e.wmu.Unlock()
			if err := c.waitWritable(dl); err != nil {
				return err
			}
			continue
		}
		idle := c.count == 0
		b := c.e.wbuf[:0]
		n := 0
		for ; free > 0 && i < len(msgs); free, i, n = free-1, i+1, n+1 {
			k := (c.head + c.count) % c.window
			c.slots[k] = appendFrame2(c.slots[k][:0], TypeData, c.nextSeq, true, msgs[i])
			b = append(b, c.slots[k]...)
			c.nextSeq++
			c.count++
		}
		if idle {
			c.sentAt, c.retries = time.Now(), 0
		}
		c.mu.Unlock()
		c.e.wbuf = b
		err := c.e.writeLocked(n)
		c.e.wmu.Unlock()
		if idle {
			kick(c.timerKick)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// waitWritable waits for an ACK, the end of the link or the deadline dl.
func (c *Conn) waitWritable(dl time.Time) error {
	var tc <-chan time.Time
	if !dl.IsZero() {
		d := time.Until(dl)
		if d <= 0 {
			return fmt.Errorf("serialtransport: %s: write (window full): %w", c.e.cfg.Name, os.ErrDeadlineExceeded)
		}
		c.wtimer = resetTimer(c.wtimer, d)
		tc = c.wtimer.C
	}
	select {
	case <-c.writable:
	case <-c.done:
	case <-c.wdlKick:
	case <-tc:
	}
	if c.wtimer != nil {
		c.wtimer.Stop()
	}
	return nil
}

// handle takes a frame of this link (on the reader goroutine).
func (c *Conn) handle(t FrameType, body []byte) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.lastRx = time.Now()
	switch t {
	case TypeData:
		if len(body) < 1 {
			c.mu.Unlock()
			c.e.stats.unknown.Add(1)
			return
		}
		seq, msg := body[0], body[1:]
		if seq == c.expect {
			if c.icount == len(c.inbox) {
				c.mu.Unlock() // over the window: not acknowledged, comes again
				return
			}
			k := (c.ihead + c.icount) % len(c.inbox)
			c.inbox[k] = append(c.inbox[k][:0], msg...)
			c.icount++
			c.expect++
			c.mu.Unlock()
			kick(c.readable)
			return
		}
		if int8(seq-c.expect) < 0 {
			c.e.stats.duplicates.Add(1)
		} else {
			c.e.stats.outOfOrder.Add(1)
		}
		ack, any := c.consumed, c.anyConsumed
		c.mu.Unlock()
		if any {
			c.e.post([]byte{byte(TypeAck), ack}) // the ACK may have been lost
		}
	case TypeAck:
		if len(body) != 1 {
			c.mu.Unlock()
			c.e.stats.unknown.Add(1)
			return
		}
		d := int(body[0] - c.baseSeq)
		if d >= c.count {
			// An old or repeated ACK. The peer repeats the ACK just before
			// our oldest frame for each frame after a gap (the oldest was
			// damaged on the line) and for each duplicate: go back now
			// rather than after RetransmitTimeout, which on a noisy line
			// would idle it that long per damaged frame; but not while ACKs
			// have not passed what was last sent again: the repeats would
			// be for our own duplicates, and going back again would feed a
			// storm of them. The timer goroutine writes (the reader never does).
			fast := body[0] == c.baseSeq-1 && !c.guard
			if fast {
				c.guard, c.recover = true, c.nextSeq
				c.sentAt = time.Time{} // long overdue
			}
			c.mu.Unlock()
			if fast {
				kick(c.timerKick)
			}
			return
		}
		n := d + 1
		c.head = (c.head + n) % c.window
		c.count -= n
		c.baseSeq += uint8(n)
		c.retries = 0
		// Past recover: a frame sent after the last go-back is acknowledged.
		c.guard = c.guard && int8(body[0]-c.recover) < 0
		c.sentAt = c.lastRx
		c.mu.Unlock()
		kick(c.writable)
	case TypePing:
		c.mu.Unlock()
		c.e.postPong(body)
	case TypePong:
		c.mu.Unlock()
	case TypeReset:
		c.mu.Unlock()
		c.e.stats.resets.Add(1)
		if len(body) > 0 && body[0] == resetUnknownLink {
			c.e.stats.restarts.Add(1)
			c.fail(fmt.Errorf("serialtransport: %s: %w (the peer does not know the link)", c.e.cfg.Name, ErrPeerRestarted), false)
			return
		}
		c.fail(fmt.Errorf("serialtransport: %s: %w", c.e.cfg.Name, ErrLinkReset), false)
	default:
		c.mu.Unlock()
	}
}

// timerLoop retransmits unacknowledged frames, sends keepalive PINGs and
// declares the link dead, until the link ends.
func (c *Conn) timerLoop() {
	cfg := &c.e.cfg
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		c.mu.Lock()
		if c.err != nil {
			c.mu.Unlock()
			return
		}
		now := time.Now()
		var next time.Time
		var dead error
		rtx, ping := 0, false
		var pingSeq uint32
		if c.count > 0 {
			due := c.sentAt.Add(cfg.RetransmitTimeout)
			if !now.Before(due) {
				if c.retries >= cfg.MaxRetries {
					dead = fmt.Errorf("serialtransport: %s: %w: DATA unacknowledged after %d retransmissions", cfg.Name, ErrLinkDead, c.retries)
				}
				rtx = c.count
				// Repeated ACKs trigger no go-back until a frame sent
				// after this one is acknowledged.
				c.guard, c.recover = true, c.nextSeq
				c.retries++
				c.sentAt = now
				due = now.Add(cfg.RetransmitTimeout)
			}
			next = due
		}
		if cfg.KeepAlive > 0 {
			deadAt := c.lastRx.Add(cfg.KeepAliveTimeout)
			if !now.Before(deadAt) {
				dead = fmt.Errorf("serialtransport: %s: %w: silent for %v", cfg.Name, ErrLinkDead, now.Sub(c.lastRx))
			}
			pingAt := c.lastRx
			if c.lastPing.After(pingAt) {
				pingAt = c.lastPing
			}
			pingAt = pingAt.Add(cfg.KeepAlive)
			if !now.Before(pingAt) {
				ping = true
				c.lastPing = now
				c.pingSeq++
				pingSeq = c.pingSeq
				pingAt = now.Add(cfg.KeepAlive)
			}
			next = earliest(earliest(next, pingAt), deadAt)
		}
		c.mu.Unlock()
		if dead != nil {
			c.fail(dead, true)
			return
		}
		if rtx > 0 {
			c.retransmit()
		}
		if ping {
			var b [5]byte
			b[0] = byte(TypePing)
			binary.BigEndian.PutUint32(b[1:], pingSeq)
			c.e.writePayload(b[:])
		}
		var tc <-chan time.Time
		if !next.IsZero() {
			t.Reset(time.Until(next))
			tc = t.C
		}
		select {
		case <-tc:
		case <-c.timerKick:
		case <-c.done:
			return
		}
		t.Stop()
	}
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// retransmit sends every unacknowledged frame again (go-back-N).
func (c *Conn) retransmit() {
	c.e.wmu.Lock()
	defer c.e.wmu.Unlock()
	c.mu.Lock()
	b := c.e.wbuf[:0]
	n := c.count
	for k := range n {
		b = append(b, c.slots[(c.head+k)%c.window]...)
	}
	c.mu.Unlock()
	if n == 0 {
		return
	}
	c.e.stats.retransmissions.Add(uint64(n))
	c.e.wbuf = b
	c.e.writeLocked(n)
}
