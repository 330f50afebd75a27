package main

import (
	"fmt"
	"time"

	"github.com/edgewamp/edgewamp/minirouter"
)

// limitsSpec is the "limits" object: deadlines and sizes that bound what a
// client, well-behaved or not, can hold of the gateway. Zero values mean
// the router's defaults (see README.md).
type limitsSpec struct {
	// HandshakeTimeout bounds the RawSocket handshake (and TLS under it)
	// and the WebSocket upgrade. Default 10s.
	HandshakeTimeout duration
	// HelloTimeout bounds the wait for HELLO, and the authentication that
	// follows, once the transport is up. Default 10s.
	HelloTimeout duration
	// IdleTimeout ends a joined session that sends nothing for this long.
	// Default 0: none.
	IdleTimeout duration
	// MaxMessageSize is the largest message accepted from a client, in
	// bytes (RawSocket rounds it up to a power of two). Default 1 MiB.
	MaxMessageSize int
	// MaxSessions is the most sessions joined at once. Default 1024.
	MaxSessions int
	// MaxPendingHandshakes bounds the connections of one listener whose
	// handshakes are not done; a newcomer beyond closes the oldest of the
	// address holding the most. Default 64.
	MaxPendingHandshakes int
	// MaxPendingPerSource bounds them per client address; a newcomer
	// beyond closes the oldest of its address. Default
	// MaxPendingHandshakes/4.
	MaxPendingPerSource int
	// MaxConnections bounds the open connections of one RawSocket listener;
	// one beyond gets handshake error code 4. Default 0: unlimited.
	MaxConnections int
	// MaxConnectionsPerSource bounds the open connections of one RawSocket
	// listener from one client address; one beyond gets handshake error
	// code 4. Loopback and Unix-socket clients are not counted unless
	// LimitLocal. Default 64.
	MaxConnectionsPerSource int
	// MaxSubscriptions and MaxRegistrations bound one session's
	// subscriptions and registrations. Defaults 1024 and 256.
	MaxSubscriptions int
	MaxRegistrations int
	// MaxPendingCalls bounds one session's calls in progress. Default 256.
	MaxPendingCalls int
	// AuthFailureBurst failed authentications from one address are
	// tolerated, then one per AuthFailureInterval; beyond, a HELLO from
	// that address to a realm with users is refused unchecked. Defaults
	// 10 and 1s.
	AuthFailureBurst    int
	AuthFailureInterval duration
	// LimitLocal applies the per-address limits to loopback and Unix-socket
	// clients too (behind a reverse proxy on the gateway every client is
	// local). Default false.
	LimitLocal bool
	// Budgets bound the memory clients can make the router hold (see
	// minirouter.Budgets): URI length (default 1024 octets), the bytes a
	// connection may send before WELCOME (16 KiB) and all joining
	// connections together (1 MiB), testaments per session (16, 64 KiB),
	// and the memory of all sessions (64 MiB) and of those from one
	// address (16 MiB).
	MaxURILength, PreAuthBytes, PreAuthTotalBytes int
	MaxTestaments, MaxTestamentBytes              int
	MemoryBudget, SourceMemoryBudget              int
}

// Bounds of max_message_size: the RawSocket handshake can express 512 B to
// 16 MiB.
const (
	minMessageSize = 512
	maxMessageSize = 16 << 20
)

// check reports the first key with an unacceptable value.
func (l *limitsSpec) check() error {
	if l.MaxMessageSize != 0 && (l.MaxMessageSize < minMessageSize || l.MaxMessageSize > maxMessageSize) {
		return fmt.Errorf("limits.max_message_size %d: want %d to %d bytes", l.MaxMessageSize, minMessageSize, maxMessageSize)
	}
	for _, v := range []struct {
		key string
		n   int
	}{{"max_sessions", l.MaxSessions}, {"max_pending_handshakes", l.MaxPendingHandshakes}, {"max_pending_per_source", l.MaxPendingPerSource}, {"max_connections", l.MaxConnections}, {"max_connections_per_source", l.MaxConnectionsPerSource},
		{"max_subscriptions", l.MaxSubscriptions}, {"max_registrations", l.MaxRegistrations},
		{"max_pending_calls", l.MaxPendingCalls}, {"auth_failure_burst", l.AuthFailureBurst},
		{"max_uri_length", l.MaxURILength}, {"pre_auth_bytes", l.PreAuthBytes}, {"pre_auth_total_bytes", l.PreAuthTotalBytes},
		{"max_testaments", l.MaxTestaments}, {"max_testament_bytes", l.MaxTestamentBytes},
		{"memory_budget", l.MemoryBudget}, {"source_memory_budget", l.SourceMemoryBudget}} {
		if v.n < 0 {
			return fmt.Errorf("limits.%s %d: want a positive number", v.key, v.n)
		}
	}
	return nil
}

// apply sets the router's limits from l (the listeners' limits are set by
// openListener).
func (l *limitsSpec) apply(rc *minirouter.Config) {
	rc.HelloTimeout = time.Duration(l.HelloTimeout)
	rc.IdleTimeout = time.Duration(l.IdleTimeout)
	rc.MaxSessions = l.MaxSessions
	rc.MaxSubscriptions, rc.MaxRegistrations, rc.MaxPendingCalls = l.MaxSubscriptions, l.MaxRegistrations, l.MaxPendingCalls
	rc.AuthFailureBurst, rc.AuthFailureInterval = l.AuthFailureBurst, time.Duration(l.AuthFailureInterval)
	rc.LimitLocal = l.LimitLocal
	rc.Budgets = minirouter.Budgets{MaxURILength: l.MaxURILength, PreAuthBytes: l.PreAuthBytes, PreAuthTotalBytes: l.PreAuthTotalBytes,
		MaxTestaments: l.MaxTestaments, MaxTestamentBytes: l.MaxTestamentBytes,
		Memory: int64(l.MemoryBudget), SourceMemory: int64(l.SourceMemoryBudget)}
}
