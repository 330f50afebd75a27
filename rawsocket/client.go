package rawsocket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// errDeadline is the error of an I/O past its deadline.
var errDeadline = os.ErrDeadlineExceeded

// DefaultHandshakeTimeout bounds the handshake when the config says 0.
const DefaultHandshakeTimeout = 10 * time.Second

// ClientConfig configures the client side of a connection. The zero value
// means the documented defaults; a ClientConfig is only read, so one value
// may be shared by concurrent Dials.
type ClientConfig struct {
	// Serializer is the serializer requested from the router. Default
	// MessagePack (wamp.SerializerByID(wamp.SerializerMsgPack)).
	Serializer wamp.Serializer
	// MaxMessageSize is the largest message we accept, announced in the
	// handshake; rounded up to a power of two in [512 B, 16 MiB].
	// Default 1 MiB.
	MaxMessageSize int
	// HandshakeTimeout bounds the TLS and RawSocket handshakes. Default 10s.
	HandshakeTimeout time.Duration
	// KeepAlive, when positive, sends a PING after that much time without
	// receiving anything and closes the connection when no PONG comes back
	// within the same time. Default 0: off, because some routers drop a
	// connection that sends a PING.
	KeepAlive time.Duration
	// TLS, when not nil, runs the connection over TLS with this config
	// (Dial fills in ServerName from the address when it is empty).
	TLS *TLSConfig
}

// serializerOrDefault returns s, or the default MessagePack serializer.
func serializerOrDefault(s wamp.Serializer) (wamp.Serializer, error) {
	if s != nil {
		return s, nil
	}
	if s, ok := wamp.SerializerByID(wamp.SerializerMsgPack); ok {
		return s, nil
	}
	return nil, errors.New("rawsocket: no serializer configured and MessagePack is not available")
}

func handshakeTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultHandshakeTimeout
	}
	return d
}

// Dial connects to a router at address over network ("tcp", "tcp4", "tcp6"
// or "unix"), over TLS when cfg.TLS is set, and runs the client handshake.
// ctx bounds the dial and the handshakes. Safe for concurrent use.
func Dial(ctx context.Context, network, address string, cfg ClientConfig) (*Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
	default:
		return nil, fmt.Errorf("rawsocket: dial %s %s: unsupported network", network, address)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, fmt.Errorf("rawsocket: dial: %w", err)
	}
	if cfg.TLS != nil {
		hctx, cancel := context.WithTimeout(ctx, handshakeTimeout(cfg.HandshakeTimeout))
		tc, err := clientTLS(hctx, nc, cfg.TLS, network, address)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("rawsocket: dial %s: TLS handshake: %w", address, err)
		}
		nc = tc
	}
	return Client(ctx, nc, cfg)
}

// Client runs the client handshake on nc, an established connection, and
// returns the Conn that now owns nc. On failure nc is closed. ctx and
// cfg.HandshakeTimeout bound the handshake; a refusal by the router is a
// *HandshakeError (wrapped with context).
func Client(ctx context.Context, nc net.Conn, cfg ClientConfig) (*Conn, error) {
	c, err := clientHandshake(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("rawsocket: handshake with %s: %w", remoteString(nc), err)
	}
	return c, nil
}

func clientHandshake(ctx context.Context, nc net.Conn, cfg ClientConfig) (*Conn, error) {
	s, err := serializerOrDefault(cfg.Serializer)
	if err != nil {
		return nil, err
	}
	done, err := withDeadline(ctx, nc, handshakeTimeout(cfg.HandshakeTimeout))
	if err != nil {
		return nil, err
	}
	l := lengthExp(cfg.MaxMessageSize)
	var b [4]byte
	appendHandshake(b[:0], l, s.ID())
	if _, err := nc.Write(b[:]); err != nil {
		return nil, done(err)
	}
	if _, err := io.ReadFull(nc, b[:]); err != nil {
		return nil, done(err)
	}
	if err := done(nil); err != nil {
		return nil, err
	}
	peer, err := parseReply(b, s.ID())
	if err != nil {
		return nil, err
	}
	return newConn(nc, s, lengthOf(l), lengthOf(peer), cfg.KeepAlive).start(), nil
}

// withDeadline sets the handshake deadline on nc, the earlier of now +
// timeout and ctx's deadline, and makes ctx's cancellation unblock nc. The
// returned func ends that: it clears the deadline and returns err, or
// ctx's error when ctx ended the handshake.
func withDeadline(ctx context.Context, nc net.Conn, timeout time.Duration) (func(err error) error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d := time.Now().Add(timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		d = cd
	}
	if err := nc.SetDeadline(d); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	return func(err error) error {
		if !stop() {
			if err == nil {
				return ctx.Err()
			}
			return fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		if err != nil {
			if errors.Is(err, errDeadline) {
				return fmt.Errorf("timed out after %v: %w", timeout, err)
			}
			return err
		}
		return nc.SetDeadline(time.Time{})
	}, nil
}
