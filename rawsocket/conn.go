package rawsocket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/edgewamp/edgewamp/internal/sockio"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

const (
	// readBufferSize is the size of the buffered reader; payloads up to it
	// are returned without copying.
	readBufferSize = 4 << 10
	// copyLimit is the largest batch copied into one buffer on connections
	// that support writev (TCP, Unix); larger batches go out with writev
	// (net.Buffers), without copying.
	copyLimit = 4 << 10
	// maxRetainWrite is the largest write buffer kept between writes (TLS
	// and other connections without writev copy every batch).
	maxRetainWrite = 64 << 10
	// controlWriteTimeout bounds writing a PONG or a keepalive PING.
	controlWriteTimeout = 10 * time.Second
)

// Conn is a RawSocket connection after a successful handshake. It implements
// wamp.Transport: ReadMessage must be called by one goroutine at a time and
// WriteMessages by one goroutine at a time (they may run concurrently); all
// other methods are safe for concurrent use.
//
// ReadMessage answers every PING with a PONG echoing its payload and returns
// only regular WAMP messages. When keepalive is on, the connection sends a
// PING after that much time without receiving anything and closes itself
// when no PONG comes back within the same time.
type Conn struct {
	nc      net.Conn
	ser     wamp.Serializer
	maxRecv int32 // the limit we announced (at most maxFrameLen)
	maxSend int32 // the limit the peer announced (at most maxFrameLen)

	fr *frameReader // reader-owned; nil while parked (see reader)

	// wmu serializes frames on the wire: WriteMessages, PONG replies and
	// keepalive PINGs. It is held during the write, and never while holding
	// dmu or calling into user code.
	wmu sync.Mutex
	raw syscall.RawConn // a *net.TCPConn's or *net.UnixConn's, read and written with raw system calls (writev); nil: nc.Read, nc.Write

	dmu sync.Mutex // protects the deadlines and their application to nc, and reason
	// The deadlines set by SetWriteDeadline and SetReadDeadline, Unix
	// nanoseconds (0: none): with ka behind a pointer and the limits in 32
	// bits, they keep a Conn in the 192-byte size class (see TestConnSize).
	wdl, rdl int64

	ka *keepAliveState // nil: keepalive off

	closeOnce sync.Once
	closed    atomic.Bool
	reason    error  // why the connection closed itself (keepalive, bad frame); guarded by dmu
	onClose   func() // set by Listener before the Conn is shared

	park parkState // see Park
}

var _ wamp.Parker = (*Conn)(nil)

// keepAliveState is a Conn's keepalive state, when on.
type keepAliveState struct {
	every       time.Duration
	timer       *time.Timer
	activity    atomic.Bool   // a frame arrived since the last keepalive tick
	pingPending atomic.Bool   // a keepalive PING awaits its PONG
	pingSeq     atomic.Uint64 // payload of the next keepalive PING
}

// deadlineNano is t in Unix nanoseconds, 0 for the zero time (no
// deadline).
func deadlineNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return max(t.UnixNano(), 1)
}

// deadlineTime is deadlineNano's inverse.
func deadlineTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// newConn wraps nc after a successful handshake.
func newConn(nc net.Conn, s wamp.Serializer, maxRecv, maxSend int, keepAlive time.Duration) *Conn {
	c := &Conn{
		nc:      nc,
		ser:     s,
		maxRecv: int32(maxRecv),
		maxSend: int32(maxSend),
	}
	if keepAlive > 0 {
		c.ka = &keepAliveState{every: keepAlive}
	}
	c.raw = socketRawConn(nc)
	if detachable {
		adoptFD(c) // an accepted socket outside Go's poller (FDListener)
	}
	if c.raw == nil {
		c.fr = newFrameReader(nc, readBufferSize, maxRecv)
	}
	return c
}

// start arms the keepalive timer; the Conn must be fully set up (onClose
// included), since the timer may close it.
func (c *Conn) start() *Conn {
	if c.ka != nil {
		// Armed only once assigned, so that the tick always sees the timer.
		c.ka.timer = time.AfterFunc(time.Hour, c.keepAliveTick)
		c.ka.timer.Reset(c.ka.every)
	}
	return c
}

func remoteString(nc net.Conn) string {
	a := nc.RemoteAddr()
	if a == nil {
		return "unknown"
	}
	if s := a.String(); s != "" && s != "@" {
		return s
	}
	return a.Network()
}

// Serializer returns the serializer agreed in the handshake.
func (c *Conn) Serializer() wamp.Serializer { return c.ser }

// MaxMessageSize returns the largest message the peer accepts (its
// handshake's maximum length).
func (c *Conn) MaxMessageSize() int { return int(c.maxSend) }

// PeerMaxMessageSize is MaxMessageSize, named for clarity at call sites
// that also deal with our own limit.
func (c *Conn) PeerMaxMessageSize() int { return int(c.maxSend) }

// LocalMaxMessageSize returns the largest message we accept (the limit we
// announced in the handshake).
func (c *Conn) LocalMaxMessageSize() int { return int(c.maxRecv) }

// NetConn returns the underlying connection (a *tls.Conn for TLS).
func (c *Conn) NetConn() net.Conn {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	return c.nc
}

// RemoteAddr returns the remote address ("127.0.0.1:5555"), or the network
// name ("unix") when the address is empty.
func (c *Conn) RemoteAddr() string {
	if detachable { // c.nc may change (see detach)
		return remoteString(c.NetConn())
	}
	return remoteString(c.nc)
}

// SetReadDeadline sets the deadline for ReadMessage (and Park's wait).
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	c.rdl = deadlineNano(t)
	return c.nc.SetReadDeadline(t)
}

// waitInput waits at most d for the next message to start arriving, without
// decoding it: it returns true as soon as octets are buffered or the socket
// has something to read (data, the end of the stream or an error, which the
// next ReadMessage returns), and false when d passed first. A read deadline
// set with SetReadDeadline that comes before d ends the wait too, with true
// (ReadMessage then reports the timeout). With d == 0 it waits under the
// read deadline alone, and returns false when that passes; with d < 0 it
// does not wait, and only reports whether input is there now. Only TCP and
// Unix sockets can be waited on without reading; on other connections (TLS)
// it returns true at once. The payload returned by the last ReadMessage is
// invalid afterwards. Only the reader may call it.
func (c *Conn) waitInput(d time.Duration) bool {
	if c.raw == nil {
		return true // TLS: no deadline to set and restore for nothing
	}
	if c.fr == nil { // dropped by a park (see dropReader)
		c.fr = newFrameReader(c.nc, readBufferSize, int(c.maxRecv))
	}
	fr := c.fr
	if d <= 0 || fr.ready() {
		return fr.waitInput(d < 0)
	}
	c.dmu.Lock()
	until, user := time.Now().Add(d), deadlineTime(c.rdl)
	c.dmu.Unlock()
	if !user.IsZero() && !until.Before(user) {
		return true // the read deadline comes first: ReadMessage reports it
	}
	if err := c.nc.SetReadDeadline(until); err != nil {
		return true // closed: ReadMessage reports it
	}
	in := fr.waitInput(false)
	c.dmu.Lock()
	err := c.nc.SetReadDeadline(deadlineTime(c.rdl))
	c.dmu.Unlock()
	return in || err != nil
}

// SetWriteDeadline sets the deadline for WriteMessages.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	c.wdl = deadlineNano(t)
	return c.nc.SetWriteDeadline(t)
}

// Close closes the connection, unblocking ReadMessage and WriteMessages. It
// is idempotent; only the first call returns the close error.
func (c *Conn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		if c.ka != nil && c.ka.timer != nil { // nil: closed before start
			c.ka.timer.Stop()
		}
		if peer.ServerBuild { // the board's agent parks nothing (see Park)
			c.unparkClosing()
		}
		err = c.nc.Close()
		if c.onClose != nil {
			c.onClose()
		}
	})
	if err == net.ErrClosed {
		return nil
	}
	return err
}

// fail closes the connection, recording why.
func (c *Conn) fail(reason error) {
	c.dmu.Lock()
	if c.reason == nil {
		c.reason = reason
	}
	c.dmu.Unlock()
	c.Close()
}

// readErr wraps a read error, preferring the reason the connection closed
// itself for.
func (c *Conn) readErr(err error) error {
	c.dmu.Lock()
	reason := c.reason
	c.dmu.Unlock()
	if reason != nil {
		return reason
	}
	return fmt.Errorf("rawsocket: read from %s: %w", c.RemoteAddr(), err)
}

// ReadMessage returns the payload of the next regular WAMP message; it stays
// valid until the next call. PINGs are answered and PONGs consumed on the
// way. A frame over our limit, with reserved bits set or of a reserved type
// fails the connection: it is closed and the error returned.
func (c *Conn) ReadMessage() ([]byte, error) {
	for {
		if c.fr == nil { // dropped by a park (see dropReader)
			c.fr = newFrameReader(c.nc, readBufferSize, int(c.maxRecv))
		}
		t, p, err := c.fr.next()
		if err != nil {
			if errors.Is(err, ErrMessageTooLarge) || errors.Is(err, ErrReservedBits) || errors.Is(err, ErrBadFrame) {
				err = fmt.Errorf("rawsocket: from %s: %w", c.RemoteAddr(), err)
				c.fail(err)
				return nil, err
			}
			return nil, c.readErr(err)
		}
		if ka := c.ka; ka != nil {
			ka.activity.Store(true)
			if t == framePong {
				ka.pingPending.Store(false)
			}
		}
		switch t {
		case frameMessage:
			return p, nil
		case framePing:
			if err := c.writeControl(framePong, p); err != nil {
				c.fail(err)
				return nil, err
			}
		}
	}
}

// WriteMessages writes each message as a frame, all in one write: small
// batches are copied into one buffer, larger ones on TCP and Unix sockets
// go out with writev. A message over the peer's
// limit is an error wrapping ErrMessageTooLarge, and nothing is written.
func (c *Conn) WriteMessages(msgs [][]byte) error {
	total := 0
	for _, m := range msgs {
		if len(m) > int(c.maxSend) {
			return fmt.Errorf("%w: %d octets, %s accepts %d", ErrMessageTooLarge, len(m), c.RemoteAddr(), c.maxSend)
		}
		total += headerSize + len(m)
	}
	if total == 0 {
		return nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	var err error
	if total <= copyLimit || c.raw == nil {
		err = c.writeCopy(msgs, total)
	} else {
		err = c.writeVector(msgs)
	}
	if err != nil {
		return fmt.Errorf("rawsocket: write to %s: %w", c.RemoteAddr(), err)
	}
	return nil
}

// writeScratch holds a write's working memory: taken from writeScratches
// for one write and given back, so that a connection between writes holds
// none (a busy moment would otherwise pin its largest batch's buffers).
type writeScratch struct {
	b    []byte        // the copy buffer
	hdrs []byte        // headers for the writev path
	nb   net.Buffers   // the writev vector
	nbuf [][]byte      // backing array of nb
	sw   sockio.Writer // writes to c.raw
}

var writeScratches = sync.Pool{New: func() any { return new(writeScratch) }}

// putScratch clears ws of references to the caller's messages and gives it
// back, unless it grew beyond what is worth keeping.
func putScratch(ws *writeScratch) {
	clear(ws.nbuf)
	ws.nb = nil
	if cap(ws.b) > maxRetainWrite || cap(ws.nbuf) > maxRetainWrite/16 {
		return
	}
	writeScratches.Put(ws)
}

// writeCopy copies the frames into one buffer and writes it. wmu must be held.
func (c *Conn) writeCopy(msgs [][]byte, total int) error {
	ws := writeScratches.Get().(*writeScratch)
	defer putScratch(ws)
	b := ws.b[:0]
	if cap(b) < total {
		b = make([]byte, 0, total)
	}
	for _, m := range msgs {
		n := len(b)
		b = append(b, 0, 0, 0, 0)
		putHeader(b[n:], frameMessage, len(m))
		b = append(b, m...)
	}
	err := c.writeWith(ws, b)
	ws.b = b[:0]
	return err
}

// writeAll writes b whole. wmu must be held.
func (c *Conn) writeAll(b []byte) error {
	ws := writeScratches.Get().(*writeScratch)
	defer putScratch(ws)
	return c.writeWith(ws, b)
}

// writeWith writes b whole, with ws's writer for a raw socket. wmu must be
// held.
func (c *Conn) writeWith(ws *writeScratch, b []byte) error {
	if c.raw != nil {
		_, err := ws.sw.Write(c.raw, b)
		return err
	}
	_, err := c.nc.Write(b)
	return err
}

// writeVector writes the frames with one writev. wmu must be held.
func (c *Conn) writeVector(msgs [][]byte) error {
	ws := writeScratches.Get().(*writeScratch)
	defer putScratch(ws)
	hdrs := ws.hdrs[:0]
	for _, m := range msgs {
		n := len(hdrs)
		hdrs = append(hdrs, 0, 0, 0, 0)
		putHeader(hdrs[n:], frameMessage, len(m))
	}
	ws.hdrs = hdrs
	v := ws.nbuf[:0]
	for i, m := range msgs {
		v = append(v, hdrs[i*headerSize:(i+1)*headerSize], m)
	}
	ws.nbuf = v
	if c.raw != nil {
		return ws.sw.Writev(c.raw, v)
	}
	ws.nb = v
	_, err := ws.nb.WriteTo(c.nc)
	return err
}

// writeControl writes a PING or PONG frame under the write mutex, with its
// own deadline (the caller's write deadline is restored afterwards).
func (c *Conn) writeControl(t frameType, payload []byte) error {
	if len(payload) > int(c.maxSend) {
		return fmt.Errorf("rawsocket: %s: cannot answer a PING of %d octets: %w (limit %d)", c.RemoteAddr(), len(payload), ErrMessageTooLarge, c.maxSend)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.dmu.Lock()
	c.nc.SetWriteDeadline(time.Now().Add(controlWriteTimeout))
	c.dmu.Unlock()
	err := c.writeCopyControl(t, payload)
	c.dmu.Lock()
	c.nc.SetWriteDeadline(deadlineTime(c.wdl))
	c.dmu.Unlock()
	if err != nil {
		return fmt.Errorf("rawsocket: write %s to %s: %w", t, c.RemoteAddr(), err)
	}
	return nil
}

// writeCopyControl writes a control frame. wmu must be held.
func (c *Conn) writeCopyControl(t frameType, payload []byte) error {
	b := make([]byte, headerSize+len(payload))
	putHeader(b, t, len(payload))
	copy(b[headerSize:], payload)
	return c.writeAll(b)
}

// keepAliveTick runs KeepAlive after the previous tick (on the timer's
// goroutine). It sends a PING after an idle period and fails the connection
// when the previous PING got no PONG.
func (c *Conn) keepAliveTick() {
	if c.closed.Load() {
		return
	}
	ka := c.ka
	if ka.pingPending.Load() {
		c.fail(fmt.Errorf("%w: %s sent no PONG within %v", ErrKeepAliveTimeout, c.RemoteAddr(), ka.every))
		return
	}
	if !ka.activity.Swap(false) {
		var p [8]byte
		binary.BigEndian.PutUint64(p[:], ka.pingSeq.Add(1))
		ka.pingPending.Store(true)
		if err := c.writeControl(framePing, p[:]); err != nil {
			c.fail(err)
			return
		}
	}
	ka.timer.Reset(ka.every)
}

// String names the frame type.
func (t frameType) String() string {
	switch t {
	case frameMessage:
		return "message"
	case framePing:
		return "PING"
	case framePong:
		return "PONG"
	}
	return fmt.Sprintf("frame type %d", uint8(t))
}
