package peer

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// errDeadline is the error of a read or write past its deadline.
var errDeadline = os.ErrDeadlineExceeded

// pipeCapacity is how many messages one direction of a Pipe buffers before
// WriteMessages blocks, like a socket's send buffer.
const pipeCapacity = 64

// Pipe returns the two ends of an in-process connection that carries whole
// messages encoded with s, for embedding a client in the router's process and
// for tests. Each end implements wamp.Transport: a message written on one end
// is read on the other, in order. WriteMessages copies the messages, refuses
// (without writing any) a batch holding a message larger than maxMessageSize,
// and blocks while the other end has pipeCapacity unread messages; deadlines
// work as on a net.Conn (os.ErrDeadlineExceeded). Closing one end makes the
// other end's ReadMessage return the messages still buffered and then
// io.EOF, and its WriteMessages return io.ErrClosedPipe. A maxMessageSize
// <= 0 means 16 MiB.
func Pipe(s wamp.Serializer, maxMessageSize int) (a, b wamp.Transport) {
	if maxMessageSize <= 0 {
		maxMessageSize = 16 << 20
	}
	ab := make(chan []byte, pipeCapacity)
	ba := make(chan []byte, pipeCapacity)
	pa := &pipeEnd{s: s, max: maxMessageSize, rx: ba, tx: ab, done: make(chan struct{})}
	pb := &pipeEnd{s: s, max: maxMessageSize, rx: ab, tx: ba, done: make(chan struct{})}
	pa.remote, pb.remote = pb.done, pa.done
	pa.rd.init()
	pa.wd.init()
	pb.rd.init()
	pb.wd.init()
	return pa, pb
}

// pipeEnd is one end of a Pipe. It is safe for concurrent use as documented
// by wamp.Transport.
type pipeEnd struct {
	s      wamp.Serializer
	max    int
	rx, tx chan []byte
	done   chan struct{} // closed by this end's Close
	remote chan struct{} // the other end's done
	once   sync.Once
	rd, wd deadline
}

func (p *pipeEnd) Serializer() wamp.Serializer { return p.s }
func (p *pipeEnd) MaxMessageSize() int         { return p.max }
func (p *pipeEnd) RemoteAddr() string          { return "inproc" }

func (p *pipeEnd) SetReadDeadline(t time.Time) error {
	if p.isClosed() {
		return io.ErrClosedPipe
	}
	p.rd.set(t)
	return nil
}

func (p *pipeEnd) SetWriteDeadline(t time.Time) error {
	if p.isClosed() {
		return io.ErrClosedPipe
	}
	p.wd.set(t)
	return nil
}

func (p *pipeEnd) isClosed() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// ReadMessage returns the next message. The returned slice is the reader's
// own copy.
func (p *pipeEnd) ReadMessage() ([]byte, error) {
	if p.isClosed() {
		return nil, io.ErrClosedPipe
	}
	select {
	case <-p.rd.wait():
		return nil, errDeadline
	default:
	}
	select {
	case m := <-p.rx:
		return m, nil
	default:
	}
	select {
	case m := <-p.rx:
		return m, nil
	case <-p.done:
		return nil, io.ErrClosedPipe
	case <-p.rd.wait():
		return nil, errDeadline
	case <-p.remote:
		// Deliver what the other end wrote before it closed.
		select {
		case m := <-p.rx:
			return m, nil
		default:
			return nil, io.EOF
		}
	}
}

// WriteMessages copies msgs to the other end, in order.
func (p *pipeEnd) WriteMessages(msgs [][]byte) error {
	for _, m := range msgs {
		if len(m) > p.max {
			return fmt.Errorf("peer: pipe: %w (%d > %d bytes)", ErrTooLarge, len(m), p.max)
		}
	}
	for _, m := range msgs {
		if p.isClosed() {
			return io.ErrClosedPipe
		}
		select {
		case <-p.remote:
			return io.ErrClosedPipe
		case <-p.wd.wait():
			return errDeadline
		default:
		}
		cp := append([]byte(nil), m...)
		select {
		case p.tx <- cp:
		case <-p.done:
			return io.ErrClosedPipe
		case <-p.remote:
			return io.ErrClosedPipe
		case <-p.wd.wait():
			return errDeadline
		}
	}
	return nil
}

// Close closes this end; it is idempotent.
func (p *pipeEnd) Close() error {
	p.once.Do(func() { close(p.done) })
	return nil
}

// deadline is a settable deadline whose expiry closes a channel (the design
// of net.Pipe's pipeDeadline). Safe for concurrent use.
type deadline struct {
	mu     sync.Mutex // protects the following
	timer  *time.Timer
	armed  bool          // timer is pending and will close cancel
	cancel chan struct{} // closed when the deadline passes; never nil after init
}

func (d *deadline) init() { d.cancel = make(chan struct{}) }

// set sets the deadline; the zero time clears it. A stopped timer that is
// still bound to the current cancel channel is reused, so that setting a
// deadline per write does not allocate.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.armed {
		if !d.timer.Stop() {
			<-d.cancel // the timer fired (or is firing) and closes cancel
		}
		d.armed = false
	}
	if isClosedChan(d.cancel) {
		// A passed deadline: start over with a fresh channel; the old timer
		// is bound to the old channel and cannot be reused.
		d.cancel = make(chan struct{})
		d.timer = nil
	}
	if t.IsZero() {
		return
	}
	dur := time.Until(t)
	if dur <= 0 {
		close(d.cancel)
		return
	}
	if d.timer != nil {
		d.timer.Reset(dur)
	} else {
		cancel := d.cancel
		d.timer = time.AfterFunc(dur, func() { close(cancel) })
	}
	d.armed = true
}

// wait returns a channel closed when the deadline passes.
func (d *deadline) wait() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel
}

func isClosedChan(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
