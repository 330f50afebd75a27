package main

import (
	"errors"
	"os"
	"sync/atomic"

	"github.com/edgewamp/edgewamp/wamp"
)

// listenerCounters counts what happened on one listener; the stats
// procedure and the dashboard report them. Safe for concurrent use.
type listenerCounters struct {
	connections       atomic.Uint64 // upgrade requests (WebSocket), links (serial); RawSocket: see gwListener.statsDict
	active            atomic.Int64  // sessions served now
	handshakeFailures atomic.Uint64 // WebSocket upgrades refused; RawSocket: see gwListener.statsDict
	protocolErrors    atomic.Uint64 // sessions or joins ended with wamp.error.protocol_violation
	authFailures      atomic.Uint64 // joins refused for their credentials
	timeouts          atomic.Uint64 // connections closed by a read deadline (no HELLO, idle)
}

// authRefusals are the ABORT reasons of a join refused for its credentials.
var authRefusals = []*wamp.Error{wamp.ErrAuthenticationFailed, wamp.ErrNoAuthMethod, wamp.ErrNotAuthorized}

// sessionEnded classifies how a connection that completed its transport
// handshake ended (the error the router's ServeTransport returned).
func (c *listenerCounters) sessionEnded(err error) {
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

// dict is the counters as the stats procedure reports them.
func (c *listenerCounters) dict() wamp.Dict {
	return wamp.Dict{
		"connections":        c.connections.Load(),
		"active":             c.active.Load(),
		"handshake_failures": c.handshakeFailures.Load(),
		"protocol_errors":    c.protocolErrors.Load(),
		"auth_failures":      c.authFailures.Load(),
		"timeouts":           c.timeouts.Load(),
	}
}
