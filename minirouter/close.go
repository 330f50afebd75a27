package minirouter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// closeReason is why a session, or a connection that never joined, ended.
// The counters and the log line of an end derive from it, in
// Router.closed, and nowhere else.
type closeReason uint32

const (
	reasonNone              closeReason = iota // not ended (yet)
	reasonGoodbye                              // a clean GOODBYE, from either side
	reasonRefused                              // HELLO refused: bad realm, no such realm, no acceptable method
	reasonAuthFailed                           // HELLO refused: wrong credentials
	reasonAuthThrottled                        // HELLO refused unchecked: too many failures from the source
	reasonLimited                              // HELLO refused by a limit (sessions per router or realm)
	reasonProtocolViolation                    // ABORT wamp.error.protocol_violation
	reasonTimeout                              // no HELLO, or no message, within the deadline
	reasonSlowConsumer                         // the outbound queue was full
	reasonTransportError                       // the connection failed, or the client left it or aborted
	reasonBudget                               // HELLO or AUTHENTICATE refused by a memory budget (see Budgets)
	reasonKilled                               // wamp.session.kill*, the session's context, or the router stopping (a connection that fails while waiting for HELLO is a transport error, whoever closed it)
)

// reasonInfo is what a reason means for the counters and the log line.
type reasonInfo struct {
	name      string     // in the log line
	level     slog.Level // of the log line of a joined session
	joinLevel slog.Level // of the log line of a connection that never joined
	throttled bool       // a flood of them logs a line a second (see throttledLog)
	handshake bool       // before a session joined, counts in Stats.HandshakeFailures
}

const lvDebug, lvInfo, lvWarn = slog.LevelDebug, slog.LevelInfo, slog.LevelWarn

var reasons = [...]reasonInfo{
	reasonGoodbye:           {name: "goodbye", level: lvDebug, joinLevel: lvDebug},
	reasonRefused:           {name: "refused", level: lvDebug, joinLevel: lvDebug, handshake: true},
	reasonAuthFailed:        {name: "authentication failed", level: lvInfo, joinLevel: lvInfo, throttled: true, handshake: true},
	reasonAuthThrottled:     {name: "authentication refused: too many failures from this source", level: lvWarn, joinLevel: lvWarn, throttled: true, handshake: true},
	reasonLimited:           {name: "limit reached", level: lvDebug, joinLevel: lvDebug},
	reasonProtocolViolation: {name: "protocol violation", level: lvInfo, joinLevel: lvDebug, throttled: true, handshake: true},
	reasonTimeout:           {name: "timeout", level: lvInfo, joinLevel: lvDebug, handshake: true},
	reasonSlowConsumer:      {name: "slow consumer", level: lvWarn, joinLevel: lvDebug},
	reasonTransportError:    {name: "transport error", level: lvInfo, joinLevel: lvDebug, handshake: true},
	reasonKilled:            {name: "killed", level: lvInfo, joinLevel: lvDebug},
	reasonBudget:            {name: "budget reached", level: lvWarn, joinLevel: lvWarn, throttled: true, handshake: true},
}

// errSessionContext marks the close reason of a connection whose context
// (Attach's ctx) was done.
var errSessionContext = errors.New("minirouter: session context done")

// reasonOf classifies err, why a reader stopped (nil: a clean GOODBYE),
// when nobody recorded a reason before.
func reasonOf(err error) closeReason {
	switch {
	case err == nil:
		return reasonGoodbye
	case errors.Is(err, wamp.ErrProtocolViolation):
		return reasonProtocolViolation
	case errors.Is(err, os.ErrDeadlineExceeded):
		return reasonTimeout
	case errors.Is(err, ErrRouterClosed), errors.Is(err, errSessionContext):
		return reasonKilled
	}
	return reasonTransportError
}

// authError is a failed authentication: the ABORT it is answered with,
// and for the log line, who tried how.
type authError struct {
	abort          *wamp.Error
	authid, method string
}

func (e *authError) Error() string { return e.abort.Error() }
func (e *authError) Unwrap() error { return e.abort }

// ending is how a connection ended: why, the error the ended callback
// gets (nil after a clean GOODBYE), the session (nil when the connection
// never joined) and, for a failed authentication, who tried how.
type ending struct {
	why   closeReason
	err   error
	conn  *peer.Conn
	s     *session
	tried *authError
}

// closed counts and logs the end of a connection, the one place where the
// counters of an end are kept and its log line made; the line is written
// on the offload goroutine, as the caller may hold realm.mu. It runs once
// per connection (see decide), before the client can see the end.
func (r *Router) closed(e ending) {
	ri := reasons[e.why]
	joined := e.s != nil
	switch e.why {
	case reasonProtocolViolation:
		r.stats.protocolViolations.Add(1)
	case reasonSlowConsumer:
		r.stats.slowDisconnects.Add(1)
	case reasonAuthFailed:
		r.stats.authFailures.Add(1)
	case reasonAuthThrottled:
		r.stats.authThrottled.Add(1)
	case reasonLimited:
		r.stats.limitRefusals.Add(1)
	}
	if !joined && ri.handshake {
		r.stats.handshakeFailures.Add(1)
	}
	level := ri.level
	if !joined {
		level = ri.joinLevel
	}
	if !r.log.Enabled(context.Background(), level) || (ri.throttled && !r.logs.allow("", ri.name)) {
		return
	}
	attrs := []any{"reason", ri.name, "remote", e.conn.RemoteAddr()}
	if joined {
		attrs = append(attrs, "session", e.s.id, "realm", e.s.realm.name, "authid", e.s.auth.authid,
			"authrole", e.s.auth.authrole, "transport", transportKind(e.conn), "dropped", e.s.dropped.Load())
	}
	switch e.why {
	case reasonAuthFailed:
		if e.tried != nil {
			attrs = append(attrs, "authid", e.tried.authid, "method", e.tried.method)
		}
		attrs = append(attrs, "total_failed", r.stats.authFailures.Load())
	case reasonProtocolViolation:
		attrs = append(attrs, "total_violations", r.stats.protocolViolations.Load())
	case reasonAuthThrottled:
		attrs = append(attrs, "total_refused", r.stats.authThrottled.Load())
	}
	if e.err != nil {
		attrs = append(attrs, "err", e.err)
	}
	msg := "session ended"
	if !joined {
		msg = "connection refused"
	}
	r.offload.do(func() { r.log.Log(context.Background(), level, msg, attrs...) })
}

// decide records why s ends, unless a reason was recorded first, and then
// counts and logs the end. It may be called with realm.mu held.
func (s *session) decide(why closeReason, err error) {
	if s.why.CompareAndSwap(uint32(reasonNone), uint32(why)) {
		s.r.closed(ending{why: why, err: err, conn: &s.conn, s: s})
	}
}

// close ends s from outside its reader (a slow consumer, a kill whose
// GOODBYE cannot be queued): it decides why, unless the session ended for
// another reason first, and closes the connection with err on the offload
// goroutine (the caller may hold realm.mu); the reader then ends the
// session.
func (s *session) close(why closeReason, err error) {
	s.decide(why, err)
	if s.setFlag(flagClosing) {
		s.r.offload.do(func() { s.conn.Close(err) })
	}
}

// logJoin logs, at debug, that s joined: who, how and over what.
func (r *Router) logJoin(s *session) {
	if !r.log.Enabled(context.Background(), lvDebug) {
		return
	}
	attrs := []any{"session", s.id, "realm", s.realm.name, "authid", s.auth.authid, "authrole", s.auth.authrole,
		"authmethod", s.auth.authmethod, "transport", transportKind(&s.conn), "remote", s.conn.RemoteAddr()}
	r.offload.do(func() { r.log.Debug("session joined", attrs...) })
}

// transportKind names the transport under conn for the log: rawsocket,
// websocket, serial, inproc, or its Go type.
func transportKind(conn *peer.Conn) string {
	t := conn.Transport()
	if se, ok := t.(*sinkEnd); ok {
		t = se.Transport
	}
	name := strings.TrimPrefix(fmt.Sprintf("%T", t), "*")
	switch pkg, _, _ := strings.Cut(name, "."); pkg {
	case "rawsocket":
		return "rawsocket"
	case "wstransport":
		return "websocket"
	case "serialtransport":
		return "serial"
	case "peer":
		return "inproc"
	}
	return name
}
