package listen

import (
	"errors"
	"os"
	"sync/atomic"

	"github.com/edgewamp/edgewamp/serialtransport"
	"github.com/edgewamp/edgewamp/wamp"
)

// Stats are a listener's counters, as [Listener.Stats] returns them: plain
// data.
type Stats struct {
	Connections       uint64 // connections accepted (RawSocket, refused ones too), upgrade requests (WebSocket), links (serial)
	Active            int64  // sessions served now
	HandshakeFailures uint64 // transport handshakes failed or refused (RawSocket handshakes, WebSocket upgrades)
	Refused           uint64 // RawSocket connections refused with error code 4 (a limit)
	RefusedPerSource  uint64 // of the refusals (RawSocket and WebSocket), those for MaxConnsPerSource
	PendingHandshakes int64  // connections whose handshakes are not done now (Config.MaxPendingHandshakes)
	HandshakesShed    uint64 // connections closed before their handshakes were done: to make room for newer ones, or at the handshake timeout
	ProtocolErrors    uint64 // sessions or joins ended with wamp.error.protocol_violation
	AuthFailures      uint64 // joins refused for their credentials
	Timeouts          uint64 // connections closed by a read deadline (no HELLO, idle)
}

// counters counts what happened on one listener. Safe for concurrent use.
type counters struct {
	connections       atomic.Uint64 // upgrade requests (WebSocket), links (serial); RawSocket: see Stats
	active            atomic.Int64
	handshakeFailures atomic.Uint64 // WebSocket upgrades refused; RawSocket: see Stats
	refusedSource     atomic.Uint64 // WebSocket: upgrades refused for MaxConnsPerSource
	protocolErrors    atomic.Uint64
	authFailures      atomic.Uint64
	timeouts          atomic.Uint64
}

// authRefusals are the ABORT reasons of a join refused for its credentials.
var authRefusals = []*wamp.Error{wamp.ErrAuthenticationFailed, wamp.ErrNoAuthMethod, wamp.ErrNotAuthorized}

// sessionEnded classifies how a connection that completed its transport
// handshake ended (the error the router's Attach reported).
func (c *counters) sessionEnded(err error) {
	switch {
	case err == nil:
	case errors.Is(err, wamp.ErrProtocolViolation):
		c.protocolErrors.Add(1)
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.timeouts.Add(1)
	default:
		for _, a := range authRefusals {
			if errors.Is(err, a) {
				c.authFailures.Add(1)
				return
			}
		}
	}
}

// Stats returns the listener's counters. Safe for concurrent use.
func (l *Listener) Stats() Stats {
	st := Stats{
		Connections:       l.counters.connections.Load(),
		Active:            l.counters.active.Load(),
		HandshakeFailures: l.counters.handshakeFailures.Load(),
		RefusedPerSource:  l.counters.refusedSource.Load(),
		ProtocolErrors:    l.counters.protocolErrors.Load(),
		AuthFailures:      l.counters.authFailures.Load(),
		Timeouts:          l.counters.timeouts.Load(),
	}
	if l.pending != nil {
		st.PendingHandshakes = int64(l.pending.Len())
		st.HandshakesShed = l.pending.Evicted() + l.pending.Expired()
	}
	l.mu.Lock()
	rl := l.rl
	l.mu.Unlock()
	if rl != nil { // RawSocket: the handshakes are the rawsocket.Listener's
		rs := rl.Stats()
		st.Connections += rs.Accepted + rs.Refused + rs.HandshakeFailed
		st.HandshakeFailures += rs.HandshakeFailed + rs.Refused
		st.Refused = rs.Refused
		st.RefusedPerSource += rs.RefusedSource
	}
	return st
}

// SerialStats returns the serial line's link counters (frames, CRC errors,
// retransmissions, peer restarts...) since the line was last opened, and
// false for a listener that is not a serial line or whose line is being
// reopened. Safe for concurrent use.
func (l *Listener) SerialStats() (serialtransport.Stats, bool) {
	l.mu.Lock()
	sl := l.serial
	l.mu.Unlock()
	if sl == nil {
		return serialtransport.Stats{}, false
	}
	return sl.Stats(), true
}
