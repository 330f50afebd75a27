package rawsocket

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// ServerConfig configures the router side of a connection. The zero value
// means the documented defaults; a ServerConfig is only read, so one value
// may be shared by concurrent handshakes.
type ServerConfig struct {
	// Serializers are the serializers offered; a client asking for another
	// one is refused with error code 1. Default: every serializer of
	// wamp.SerializerByID (JSON, MessagePack, and CBOR unless built with
	// edgewamp_nocbor).
	Serializers []wamp.Serializer
	// MaxMessageSize is the largest message we accept, announced in the
	// reply; rounded up to a power of two in [512 B, 16 MiB]. Default 1 MiB.
	MaxMessageSize int
	// MinPeerMessageSize refuses, with error code 2, a client whose maximum
	// message length is below it. Default 0: any length is accepted.
	MinPeerMessageSize int
	// HandshakeTimeout bounds reading the client's handshake and writing
	// the reply (and the TLS handshake under a Listener). Default 10s.
	HandshakeTimeout time.Duration
	// KeepAlive, when positive, sends a PING after that much time without
	// receiving anything and closes the connection when no PONG comes back
	// within the same time. Default 0: off.
	KeepAlive time.Duration
}

// serializer returns the offered serializer with the given id.
func (cfg *ServerConfig) serializer(id wamp.SerializerID) (wamp.Serializer, bool) {
	if len(cfg.Serializers) == 0 {
		return wamp.SerializerByID(id)
	}
	for _, s := range cfg.Serializers {
		if s != nil && s.ID() == id {
			return s, true
		}
	}
	return nil, false
}

// Server runs the router side of the handshake on nc, an accepted
// connection, and returns the Conn that now owns nc. ctx and
// cfg.HandshakeTimeout bound the handshake. A request the spec lets the
// router refuse is answered with the error reply and returned as an error
// wrapping a *HandshakeError; a request without the magic octet gets no
// reply (ErrBadMagic). On failure nc is closed.
func Server(ctx context.Context, nc net.Conn, cfg ServerConfig) (*Conn, error) {
	return serve(ctx, nc, &cfg, nil, nil)
}

// serve is Server with hooks: accepted runs once the request is accepted,
// before the reply is written, and reports false when nc is being closed
// meanwhile (a listener's pending bounds evicted it, or its handshake time
// ran out): the handshake then fails unanswered (net.ErrClosed). onClose runs
// once when the Conn closes.
func serve(ctx context.Context, nc net.Conn, cfg *ServerConfig, accepted func() bool, onClose func()) (*Conn, error) {
	c, err := serverHandshake(ctx, nc, cfg, accepted)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("rawsocket: handshake from %s: %w", remoteString(nc), err)
	}
	c.onClose = onClose
	return c.start(), nil
}

func serverHandshake(ctx context.Context, nc net.Conn, cfg *ServerConfig, accepted func() bool) (*Conn, error) {
	done, err := withDeadline(ctx, nc, handshakeTimeout(cfg.HandshakeTimeout))
	if err != nil {
		return nil, err
	}
	var b [4]byte
	if _, err := io.ReadFull(nc, b[:]); err != nil {
		return nil, done(err)
	}
	l, id, code, perr := parseRequest(b)
	var s wamp.Serializer
	if perr == nil {
		var ok bool
		if s, ok = cfg.serializer(id); !ok {
			code = CodeSerializerUnsupported
			perr = fmt.Errorf("%w: serializer %d", ErrSerializerUnsupported, id)
		} else if lengthOf(l) < cfg.MinPeerMessageSize {
			code = CodeMaxLengthUnacceptable
			perr = fmt.Errorf("%w: client accepts %d octets, %d required", ErrMaxLengthUnacceptable, lengthOf(l), cfg.MinPeerMessageSize)
		}
	}
	if perr != nil {
		if code == 0 {
			done(nil)
			return nil, perr
		}
		_, werr := nc.Write(appendHandshakeError(b[:0], code))
		if err := done(werr); err != nil {
			return nil, fmt.Errorf("%v; writing the error reply: %w", perr, err)
		}
		return nil, fmt.Errorf("%v: %w", perr, &HandshakeError{Code: code})
	}
	if accepted != nil && !accepted() {
		done(nil)
		return nil, net.ErrClosed
	}
	ours := lengthExp(cfg.MaxMessageSize)
	_, werr := nc.Write(appendHandshake(b[:0], ours, id))
	if err := done(werr); err != nil {
		return nil, err
	}
	return newConn(passthroughConn(nc), s, lengthOf(ours), lengthOf(l), cfg.KeepAlive), nil
}

// refuse answers a handshake request on nc with the error code and closes
// nc: it reads the request first (so that closing does not reset the
// connection before the client reads the reply), within timeout.
func refuse(nc net.Conn, code ErrorCode, timeout time.Duration) {
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(timeout))
	var b [4]byte
	if _, err := io.ReadFull(nc, b[:]); err != nil || b[0] != magic {
		return
	}
	nc.Write(appendHandshakeError(b[:0], code))
}
