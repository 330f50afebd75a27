package serialtransport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

const (
	// readBufferSize is the size of one read from the line.
	readBufferSize = 512
	// maxControlQueue bounds the control frames waiting to be written;
	// beyond it they are dropped (each is repeated by the protocol: a lost
	// ACK by a retransmission, a lost PONG by the next PING).
	maxControlQueue = 16
	// maxRetainWrite is the largest write buffer kept for the next write
	// (a batch of a full window of frames is written from one buffer).
	maxRetainWrite = 32 << 10
)

// endpoint is one side of a serial line: the reader goroutine that decodes
// frames and dispatches them, the write path shared by every frame sent, and
// the current link. A device endpoint (accept false) makes links with
// handshake; a gateway endpoint (accept true) answers handshakes.
//
// Lock order: wmu, then cmu, e.mu or a Conn's mu (never two of these at
// once); no lock but wmu is held during I/O. The reader goroutine never
// writes (it posts control frames) and never waits for wmu.
type endpoint struct {
	rwc    io.ReadWriteCloser
	cfg    Config
	accept bool
	stats  counters

	wmu  sync.Mutex
	wbuf []byte // frames being written (wmu)

	// Control frames from the reader (ACK, PONG, HELLO-ACK, RESET) wait in
	// cq for a goroutine started on demand: the reader never writes, so
	// it keeps draining the line even while a write blocks (two sides
	// blocked writing with both readers stuck behind them would deadlock).
	cmu      sync.Mutex
	cq       [][]byte // payloads waiting (cmu)
	cfree    [][]byte // spare payload buffers (cmu)
	crunning bool     // the flushing goroutine runs (cmu)

	mu           sync.Mutex
	link         *Conn        // the current link, nil when none (mu)
	hsID         uint32       // device: link id of the handshake in progress (mu)
	hsCh         chan hsReply // device: receives the handshake answer (mu)
	lastClosedID uint32       // gateway: peer id of the last link that ended (mu)
	acceptCh     chan *Conn   // gateway: the link waiting for Accept
	closeErr     error        // why the endpoint stopped (mu)

	done       chan struct{} // closed when the endpoint stops
	closeOnce  sync.Once
	readerDone chan struct{}
}

// hsReply is a device's handshake answer: a link, or the refusal.
type hsReply struct {
	_   [0]func() // not comparable: no equality function to link
	c   *Conn
	err error
}

func newEndpoint(rwc io.ReadWriteCloser, cfg Config, accept bool) *endpoint {
	e := &endpoint{
		rwc:        rwc,
		cfg:        cfg.withDefaults(),
		accept:     accept,
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	if accept {
		e.acceptCh = make(chan *Conn, 1)
	}
	go e.readLoop()
	return e
}

// maxPayload is the largest frame payload we accept: type, seq, message.
func (e *endpoint) maxPayload() int { return 2 + e.cfg.MaxMessageSize }

// readLoop reads the line, splits it into frames and dispatches them, until
// the line fails or is closed.
func (e *endpoint) readLoop() {
	defer close(e.readerDone)
	dec := NewFrameDecoder(e.maxPayload())
	buf := make([]byte, readBufferSize)
	for {
		n, err := e.rwc.Read(buf)
		if n > 0 {
			e.stats.bytesIn.Add(uint64(n))
			p := buf[:n]
			for len(p) > 0 {
				payload, rest, ferr := dec.Next(p)
				p = rest
				switch {
				case errors.Is(ferr, ErrFrameCRC):
					e.stats.crcErrors.Add(1)
				case errors.Is(ferr, ErrFrameCOBS):
					e.stats.cobsErrors.Add(1)
				case errors.Is(ferr, ErrFrameOversize):
					e.stats.oversize.Add(1)
				case payload != nil:
					e.stats.framesIn.Add(1)
					e.dispatch(payload)
				}
			}
		}
		if err != nil {
			e.stop(fmt.Errorf("serialtransport: read %s: %w", e.cfg.Name, err))
			return
		}
	}
}

// dispatch handles one good frame (on the reader goroutine).
func (e *endpoint) dispatch(p []byte) {
	if len(p) == 0 {
		e.stats.unknown.Add(1)
		return
	}
	t, body := FrameType(p[0]), p[1:]
	switch t {
	case TypeHello:
		if e.accept {
			e.onHello(body)
			return
		}
	case TypeHelloAck:
		if !e.accept {
			e.onHelloAck(body)
			return
		}
	case TypeData, TypeAck, TypePing, TypePong, TypeReset:
		e.mu.Lock()
		c := e.link
		e.mu.Unlock()
		if c != nil {
			c.handle(t, body)
			return
		}
		if t == TypeReset {
			e.stats.resets.Add(1)
			return
		}
		if e.accept && t != TypePong {
			// The device talks to a link we do not have: we restarted, or
			// closed the link. Tell it so that it handshakes again.
			e.post([]byte{byte(TypeReset), resetUnknownLink})
		}
		return
	}
	e.stats.unknown.Add(1)
}

// onHello answers a device's handshake (gateway).
func (e *endpoint) onHello(body []byte) {
	h, ok := parseHello(body, false)
	if !ok || h.rs[0] != magic {
		e.stats.unknown.Add(1)
		return // not our protocol: no answer, as RawSocket
	}
	l, sid := h.rs[1]>>4, wamp.SerializerID(h.rs[1]&0x0F)
	var code ErrorCode
	ser, known := wamp.SerializerByID(sid)
	switch {
	case h.rs[2] != 0 || h.rs[3] != 0:
		code = CodeReservedBits
	case !known:
		code = CodeSerializerUnsupported
	}
	ourL := lengthExp(e.cfg.MaxMessageSize)
	if code != 0 {
		e.post(appendHelloAck(nil, ourL, sid, code, 0, 0, h.id))
		return
	}
	window := min(max(int(h.window), 1), e.cfg.Window)

	e.mu.Lock()
	if e.closeErr != nil {
		e.mu.Unlock()
		return
	}
	old := e.link
	if old != nil && old.peerID == h.id {
		// A repeated HELLO: our answer was lost. Answer again.
		e.mu.Unlock()
		e.post(appendHelloAck(nil, ourL, sid, 0, uint8(old.window), old.id, h.id))
		return
	}
	if old == nil && h.id == e.lastClosedID && h.id != 0 {
		e.mu.Unlock()
		return // a late repeat of a link that already ended
	}
	c := newConn(e, ser, randomID(), h.id, window, lengthOf(l), false)
	e.link = c
	e.mu.Unlock()

	if old != nil {
		e.stats.restarts.Add(1)
		old.fail(fmt.Errorf("serialtransport: %s: %w (new link id %08x, was %08x)", e.cfg.Name, ErrPeerRestarted, h.id, old.peerID), false)
	}
	// Replace a link nobody accepted yet.
	select {
	case stale := <-e.acceptCh:
		stale.fail(fmt.Errorf("serialtransport: %s: %w before the link was accepted", e.cfg.Name, ErrPeerRestarted), false)
	default:
	}
	e.acceptCh <- c
	e.stats.handshakes.Add(1)
	e.post(appendHelloAck(nil, ourL, sid, 0, uint8(window), c.id, h.id))
}

// onHelloAck takes the gateway's answer to our handshake (device).
func (e *endpoint) onHelloAck(body []byte) {
	h, ok := parseHello(body, true)
	if !ok || h.rs[0] != magic {
		e.stats.unknown.Add(1)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.hsCh == nil || h.echo != e.hsID {
		return // a repeated or stale answer
	}
	var r hsReply
	sid := wamp.SerializerID(h.rs[1] & 0x0F)
	switch {
	case sid == 0:
		r.err = fmt.Errorf("serialtransport: %s: %w", e.cfg.Name, &HandshakeError{Code: ErrorCode(h.rs[1] >> 4)})
	case sid != e.cfg.Serializer.ID() || h.rs[2] != 0 || h.rs[3] != 0:
		r.err = fmt.Errorf("serialtransport: %s: %w: gateway answered 0x%02x%02x%02x", e.cfg.Name, ErrHandshake, h.rs[1], h.rs[2], h.rs[3])
	default:
		window := min(max(int(h.window), 1), e.cfg.Window)
		r.c = newConn(e, e.cfg.Serializer, e.hsID, h.id, window, lengthOf(h.rs[1]>>4), true)
		e.link = r.c
		e.stats.handshakes.Add(1)
	}
	e.hsCh <- r // buffered, one answer per handshake
	e.hsCh = nil
}

// unlink forgets c if it is the current link.
func (e *endpoint) unlink(c *Conn) {
	e.mu.Lock()
	if e.link == c {
		e.link = nil
		e.lastClosedID = c.peerID
	}
	e.mu.Unlock()
}

// stop ends the endpoint: it closes the line (unblocking the reader) and
// fails the current link with reason.
func (e *endpoint) stop(reason error) {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		e.closeErr = reason
		c := e.link
		e.link = nil
		e.mu.Unlock()
		close(e.done)
		e.rwc.Close()
		if c != nil {
			c.fail(reason, false)
		}
		if e.acceptCh != nil {
			select {
			case c := <-e.acceptCh:
				c.fail(reason, false)
			default:
			}
		}
	})
}

// err returns why the endpoint stopped.
func (e *endpoint) err() error {
	e.mu.Lock()
	err := e.closeErr
	e.mu.Unlock()
	return err
}

// post queues a control frame for the flushing goroutine (started when
// none runs). It never blocks; it is what the reader uses to answer.
func (e *endpoint) post(payload []byte) {
	e.cmu.Lock()
	if len(e.cq) >= maxControlQueue {
		e.cmu.Unlock()
		e.stats.controlDropped.Add(1)
		return
	}
	var b []byte
	if n := len(e.cfree); n > 0 {
		b = e.cfree[n-1]
		e.cfree = e.cfree[:n-1]
	}
	e.cq = append(e.cq, append(b[:0], payload...))
	start := !e.crunning
	e.crunning = true
	e.cmu.Unlock()
	if start {
		go e.flushControl()
	}
}

// flushControl writes the queued control frames, all waiting ones in one
// write, until the queue is empty.
func (e *endpoint) flushControl() {
	for {
		e.wmu.Lock()
		n := e.writeControlLocked()
		if n == 0 {
			e.cmu.Lock()
			if len(e.cq) == 0 {
				e.crunning = false
				e.cmu.Unlock()
				e.wmu.Unlock()
				return
			}
			e.cmu.Unlock()
		}
		e.wmu.Unlock()
	}
}

// flushNow writes the queued control frames at once unless a write is in
// progress (before closing the line).
func (e *endpoint) flushNow() {
	if e.wmu.TryLock() {
		e.writeControlLocked()
		e.wmu.Unlock()
	}
}

// writeControlLocked writes the queued control frames in one write and
// returns how many. wmu must be held.
func (e *endpoint) writeControlLocked() int {
	e.cmu.Lock()
	n := len(e.cq)
	if n == 0 {
		e.cmu.Unlock()
		return 0
	}
	b := e.wbuf[:0]
	for i, p := range e.cq {
		b = AppendFrame(b, p)
		e.cfree = append(e.cfree, p)
		e.cq[i] = nil
	}
	e.cq = e.cq[:0]
	e.cmu.Unlock()
	e.wbuf = b
	e.writeLocked(n)
	return n
}

// ack acknowledges seq: at once when no write is in progress, else through
// the control queue (ACKs are cumulative, so order does not matter).
func (e *endpoint) ack(seq byte) {
	if e.wmu.TryLock() {
		e.wbuf = appendFrame2(e.wbuf[:0], TypeAck, seq, true, nil)
		e.writeLocked(1)
		e.wmu.Unlock()
		return
	}
	e.post([]byte{byte(TypeAck), seq})
}

// writePayload frames payload and writes it.
func (e *endpoint) writePayload(payload []byte) error {
	e.wmu.Lock()
	defer e.wmu.Unlock()
	e.wbuf = AppendFrame(e.wbuf[:0], payload)
	return e.writeLocked(1)
}

// writeLocked writes e.wbuf, which holds n frames. wmu must be held. A write
// error stops the endpoint.
func (e *endpoint) writeLocked(n int) error {
	_, err := e.rwc.Write(e.wbuf)
	if err != nil {
		err = fmt.Errorf("serialtransport: write %s: %w", e.cfg.Name, err)
		go e.stop(err) // not under wmu: stop may need to fail a link
		return err
	}
	e.stats.bytesOut.Add(uint64(len(e.wbuf)))
	e.stats.framesOut.Add(uint64(n))
	if cap(e.wbuf) > max(maxRetainWrite, 2*cobsMaxLen(e.maxPayload()+2)) {
		e.wbuf = nil // do not keep a huge batch buffer
	}
	return nil
}

// randomID returns a random non-zero link id. A link id tells a restarted
// peer's link from the old one; it is no secret (whoever holds the line can
// send anything), so math/rand/v2, seeded by the runtime from the OS, is
// enough, and crypto/rand (its FIPS DRBG, AES and SHA, and a large virtual
// .noptrbss) stays out of the minimal agent.
func randomID() uint32 {
	for {
		if id := rand.Uint32(); id != 0 {
			return id
		}
	}
}

// handshake runs a device's handshake: it sends HELLO every HandshakeRetry
// until the gateway answers or ctx ends.
func (e *endpoint) handshake(ctx context.Context) (*Conn, error) {
	id := randomID()
	ch := make(chan hsReply, 1)
	e.mu.Lock()
	e.hsID, e.hsCh = id, ch
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		if e.hsCh == ch {
			e.hsCh = nil
		}
		e.mu.Unlock()
	}()
	hello := appendHello(nil, lengthExp(e.cfg.MaxMessageSize), e.cfg.Serializer.ID(), uint8(e.cfg.Window), id)
	// The first HELLO is preceded by a delimiter, which ends whatever
	// garbage the gateway has buffered.
	e.wmu.Lock()
	e.wbuf = AppendFrame(append(e.wbuf[:0], 0), hello)
	err := e.writeLocked(1)
	e.wmu.Unlock()
	if err != nil {
		return nil, err
	}
	t := time.NewTicker(e.cfg.HandshakeRetry)
	defer t.Stop()
	for {
		select {
		case r := <-ch:
			return r.c, r.err
		case <-ctx.Done():
			return nil, fmt.Errorf("serialtransport: %s: handshake: %w", e.cfg.Name, ctx.Err())
		case <-e.done:
			return nil, e.err()
		case <-t.C:
			if err := e.writePayload(hello); err != nil {
				return nil, err
			}
		}
	}
}

// postPong queues the PONG answering a PING with body.
func (e *endpoint) postPong(body []byte) {
	var small [16]byte
	p := append(small[:0], byte(TypePong))
	e.post(append(p, body...))
}
