package wstransport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// WebSocket opcodes (RFC 6455, 5.2) and close status codes (7.4.1).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA

	closeNormal        = 1000
	closeProtocolError = 1002
	closeTooBig        = 1009

	maxControlPayload = 125
)

const (
	// DefaultMaxMessageSize is the message size limit used when a config
	// leaves MaxMessageSize at zero: 1 MiB.
	DefaultMaxMessageSize = 1 << 20

	// DefaultHandshakeTimeout is the handshake time limit used when a config
	// leaves HandshakeTimeout at zero: 10 seconds.
	DefaultHandshakeTimeout = 10 * time.Second

	// closeFrameTimeout bounds how long Close waits to send the close frame
	// (a writer stuck on a peer that stopped reading is cut off by it).
	closeFrameTimeout = time.Second

	// keepReadBuffer is the largest read buffer kept between messages; a
	// larger one (left by a large message) is dropped so that an idle
	// connection stays small.
	keepReadBuffer = 64 << 10
)

// Conn is one WAMP-over-WebSocket connection, made by [Dial] on the client
// side and handed to the serve function of [Handler] on the server side. It
// implements wamp.Transport: one WebSocket message carries one WAMP message,
// in a text frame for "wamp.2.json" and a binary frame for "wamp.2.msgpack".
//
// As wamp.Transport requires, ReadMessage is for one goroutine (the reader)
// and WriteMessages for one goroutine at a time (the writer); the two may run
// concurrently with each other, and the deadline methods, RemoteAddr,
// Serializer, MaxMessageSize and Close are safe to call from any goroutine.
// Pings from the peer are answered inside ReadMessage.
type Conn struct {
	nc     net.Conn // the underlying connection (TLS included)
	ser    wamp.Serializer
	max    int
	remote string
	server bool // the server's end: frames read are masked, frames written are not
	op     byte // opText or opBinary, by the serializer
	in     bool // the socket has input (Park's look; reader-owned)

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error // set once by closeOnce

	// wmu serialises writes on nc: WriteMessages' frames, the pongs the
	// reader answers and the close frame.
	wmu  sync.Mutex
	keys *maskKeys // a client's masking keys (the server does not mask); under wmu

	// Reader state: used by the reader goroutine only.
	br      *bufio.Reader // frames from nc
	rbuf    []byte        // a fragmented or large message
	readErr error         // sticky: after a failed read the stream position is lost
	readMax int           // a lower bound than max on messages read (see SetReadLimit); 0: max

	pk parking // a server's park (see Park; empty in the board's build)
}

var _ wamp.Transport = (*Conn)(nil)

// newConn wraps an established WebSocket connection: nc after the
// handshake, br reading from it (holding what arrived after the handshake).
func newConn(nc net.Conn, br *bufio.Reader, server bool, ser wamp.Serializer, maxSize int) *Conn {
	remote := ""
	if a := nc.RemoteAddr(); a != nil {
		remote = a.String()
	}
	c := &Conn{nc: nc, br: br, server: server, ser: ser, max: maxSize, remote: remote, op: opText}
	if ser.Binary() {
		c.op = opBinary
	}
	if !server {
		c.keys = new(maskKeys)
	}
	return c
}

// Serializer returns the serializer of the negotiated subprotocol.
func (c *Conn) Serializer() wamp.Serializer { return c.ser }

// Subprotocol returns the negotiated WebSocket subprotocol, "wamp.2." plus
// the serializer's name.
func (c *Conn) Subprotocol() string { return subprotocolPrefix + c.ser.Name() }

// MaxMessageSize returns the message size limit of this connection. WebSocket
// has no way to learn the peer's limit, so the local limit is used both ways:
// ReadMessage refuses larger messages and WriteMessages does not send them.
func (c *Conn) MaxMessageSize() int { return c.max }

// RemoteAddr returns the address of the peer's end of the TCP connection,
// such as "127.0.0.1:50312".
func (c *Conn) RemoteAddr() string { return c.remote }

// SetWriteDeadline sets the deadline for WriteMessages; zero means none.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.nc.SetWriteDeadline(t) }

// ReadMessage blocks until a whole message arrives and returns its payload,
// which stays valid until the next call. A message fragmented into several
// frames is reassembled. Its size is checked against the limit from each
// frame's header, before the payload is read, so a peer cannot make the
// connection buffer more than the limit: a larger message closes the
// connection (status 1009) and returns an error wrapping
// ErrMessageTooLarge. A framing violation closes it too (status 1002,
// ErrProtocol). When the peer closes the connection, the error wraps io.EOF.
// Text and binary frames are both accepted, whatever the subprotocol.
func (c *Conn) ReadMessage() ([]byte, error) {
	if c.readErr != nil {
		return nil, c.readErr
	}
	if c.br == nil { // dropped by a park
		c.br = newReader(c.nc)
	}
	msg, err := c.readMessage()
	if err != nil {
		c.readErr = err
	}
	return msg, err
}

// WriteMessages writes each message as one WebSocket frame (text for JSON,
// binary for MessagePack), in order, gathered into one write per 64 KiB
// (so one system call, or one TLS record, for a batch of small messages).
// When any message is larger than MaxMessageSize it returns an error
// wrapping ErrMessageTooLarge and writes nothing.
func (c *Conn) WriteMessages(msgs [][]byte) error {
	for _, m := range msgs {
		if len(m) > c.max {
			return fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, len(m), c.max)
		}
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed.Load() {
		return ErrClosed
	}
	if err := c.writeFrames(msgs, c.op, c.keys); err != nil {
		if c.closed.Load() {
			return ErrClosed
		}
		return fmt.Errorf("wstransport: write: %w", err)
	}
	return nil
}

// Close closes the connection, unblocking a pending ReadMessage and
// WriteMessages at once. When no write is in progress, it first sends a
// close frame (status 1000) if it can within a second; a write in progress
// is cut off instead (its frame would be left unfinished, so no close frame
// can follow it). It is idempotent: later calls return the first call's
// result.
func (c *Conn) Close() error { return c.closeWith(closeNormal) }

// closeWith closes the connection after trying to send a close frame with
// the given status.
func (c *Conn) closeWith(status int) error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.unpark()
		now := time.Now()
		_ = c.nc.SetReadDeadline(now) // unblocks a pending read now
		if !c.wmu.TryLock() {
			_ = c.nc.SetWriteDeadline(now) // cuts off the write in progress
		} else {
			_ = c.nc.SetWriteDeadline(now.Add(closeFrameTimeout))
			var frame [2 + 4 + 2]byte
			_ = c.writeControl(frame[:0], opClose, binary.BigEndian.AppendUint16(nil, uint16(status))) // best effort
			c.wmu.Unlock()
		}
		if err := c.nc.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			c.closeErr = fmt.Errorf("wstransport: close: %w", err)
		}
	})
	return c.closeErr
}

// fail closes the connection with status and returns err. Reader goroutine only.
func (c *Conn) fail(status int, err error) error {
	_ = c.closeWith(status)
	return err
}

// wrapReadErr gives a read error its context: ErrClosed after Close, io.EOF
// when the peer closed, the network error otherwise.
func (c *Conn) wrapReadErr(err error) error {
	switch {
	case c.closed.Load():
		return ErrClosed
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("wstransport: connection closed by peer: %w", io.EOF)
	}
	return fmt.Errorf("wstransport: read: %w", err)
}
