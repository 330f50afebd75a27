package minirouter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// closeFlushTimeout bounds the wait for a final GOODBYE or ABORT to be
// written before the connection is closed.
const closeFlushTimeout = 2 * time.Second

// session is one WAMP session and its connection, in one allocation
// (track makes it when the connection comes; join fills it in). Its fields
// above mu's group are set before the session is visible to other
// goroutines and then read-only.
type session struct {
	r     *Router
	realm *realm
	id    wamp.ID
	auth  authInfo

	// Features the client announced in HELLO.
	calleeCancel   bool     // callee.features.call_canceling: may receive INTERRUPT
	calleeProgress bool     // callee.features.progressive_call_results
	callerStreams  bool     // caller.features.progressive_call_invocations: may send CALL with progress
	calleeStreams  bool     // callee.features.progressive_call_invocations and call_canceling
	calleeRevoke   bool     // callee.features.registration_revocation: told of a revoked registration
	subRevoke      bool     // subscriber.features.subscription_revocation: told of a revoked subscription
	ppt            pptRoles // roles that announced payload_passthru_mode
	detached       bool     // removed from the realm's routing tables (guarded by realm.mu)

	pace     *pacer        // the realm's publish rate; nil: none (used by the reader only)
	stopCtx  func() bool   // stops the watch on serve's context; nil: none
	resumeFn func()        // s.resume (made once: see run)
	ended    func(error)   // called at the end (see Router.Attach); nil: none
	dropped  atomic.Uint64 // EVENTs dropped because the queue was full
	why      atomic.Uint32 // the closeReason, once recorded (see close, end)
	flags    atomic.Uint32 // flagLeaving, flagClosing, flagStreamed: set once (see setFlag)
	meta     sessionMeta   // transport, join time, topics published (see sessioninfo.go)

	tabs *sessionTables // guarded by realm.mu; nil until first use (see ownTables)

	budget sessionBudget // what the memory budgets charged it (see budget.go)

	conn peer.Conn // the connection, by value (see track)
}

// A session's flags, each set once and never cleared.
const (
	flagLeaving  uint32 = 1 << iota // the router sent GOODBYE and waits for the answer
	flagClosing                     // close has queued the connection's close
	flagStreamed                    // the session started a progressive call invocation (see streamCall)
)

// setFlag sets f in s's flags and reports whether this call set it (false:
// it was set before). Safe for concurrent use.
func (s *session) setFlag(f uint32) bool { return s.flags.Or(f)&f == 0 }

// hasFlag reports whether f is set in s's flags. Safe for concurrent use.
func (s *session) hasFlag(f uint32) bool { return s.flags.Load()&f != 0 }

// authInfo is who a session is, as decided by authentication.
type authInfo struct {
	authid     string
	authrole   string
	authmethod string
}

// authProvider is every session's authprovider: the router's own user
// list (anonymous sessions included).
const authProvider = "static"

// serve runs the session s, tracked (see track), on its connection from
// HELLO to its end, then removes it from the router, releases r.wg and
// calls ended (when not nil) with the reason. When the session goes idle,
// serve returns early and a fresh goroutine carries it on (see run).
func (r *Router) serve(ctx context.Context, s *session, ended func(error)) {
	conn := &s.conn
	if ctx.Done() != nil { // a context that can be cancelled
		s.stopCtx = context.AfterFunc(ctx, func() {
			conn.Close(fmt.Errorf("%w: %w", errSessionContext, context.Cause(ctx)))
		})
	}
	s.ended = ended
	if js, e := r.join(s, transportOf(ctx)); js == nil { // counted and logged
		conn.Close(e.err)
		r.release(s, e.err)
		return
	}
	s.resumeFn = s.resume
	s.realm.joined(s)
	r.logJoin(s)
	if err := s.run(false); err != errHandoff {
		s.end(err)
	}
}

// end removes the session, whose reader stopped for err (nil: a clean
// GOODBYE), from its realm and the router, and closes its connection. Its
// end was counted and logged when the reason was decided (see decide), or
// is now, for err's reason.
func (s *session) end(err error) {
	r := s.r
	s.decide(reasonOf(err), err)
	s.realm.detach(s)
	s.realm.left(s)
	r.leave(s)
	s.conn.Close(err)
	r.release(s, err)
}

// release forgets s, whose connection ended for err: it stops the context
// watch, untracks s, calls ended and releases r.wg (last, so that Shutdown
// returns after every ended call).
func (r *Router) release(s *session, err error) {
	if s.stopCtx != nil {
		s.stopCtx()
	}
	r.untrack(s)
	if s.ended != nil {
		s.ended(err)
	}
	r.wg.Done()
}

// refuse ends a connection that will not join, for why: it counts and
// logs the end, then answers ABORT (reason, carrying msg) and returns the
// ending. tried, when not nil, is the failed authentication.
func (r *Router) refuse(conn *peer.Conn, why closeReason, reason *wamp.Error, msg string, tried *authError) (*session, ending) {
	e := ending{why: why, err: wamp.NewError(reason.URI, msg), conn: conn, tried: tried}
	r.closed(e)
	r.sendAbort(conn, reason.URI, msg)
	return nil, e
}

// join waits for HELLO (within HelloTimeout) on s's connection, checks
// it, authenticates the client, fills s in and answers WELCOME, returning
// s. On failure it has sent ABORT when the protocol calls for one, and
// returns nil and how the connection ends (its err is not nil).
func (r *Router) join(s *session, kind *string) (*session, ending) {
	conn := &s.conn
	failed := func(why closeReason, err error) (*session, ending) {
		if why == reasonNone { // the transport failed while waiting for HELLO, whoever closed it
			why = reasonTransportError
			if errors.Is(err, os.ErrDeadlineExceeded) {
				why = reasonTimeout
			}
		}
		e := ending{why: why, err: err, conn: conn}
		r.closed(e)
		return nil, e
	}
	t := conn.Transport()
	if err := t.SetReadDeadline(time.Now().Add(r.cfg.HelloTimeout)); err != nil {
		return failed(reasonNone, fmt.Errorf("minirouter: set HELLO deadline: %w", err))
	}
	defer r.budget.donePreAuth(conn)
	own := limitReads(t, r.cfg.Budgets.PreAuthBytes) // until WELCOME: see Budgets.PreAuthBytes
	m, err := r.recvPreAuth(conn)
	if err != nil {
		var be *budgetError
		if errors.As(err, &be) {
			return r.refuse(conn, reasonBudget, be.reason, be.msg, nil)
		}
		if errors.Is(err, wamp.ErrProtocolViolation) && conn.Err() == nil {
			return r.refuse(conn, reasonProtocolViolation, wamp.ErrProtocolViolation, "undecodable message instead of HELLO: "+err.Error(), nil)
		}
		return failed(reasonNone, fmt.Errorf("minirouter: waiting for HELLO: %w", err))
	}
	r.stats.messagesIn.Add(1)
	hello, ok := m.(*wamp.Hello)
	if !ok {
		return r.refuse(conn, reasonProtocolViolation, wamp.ErrProtocolViolation, m.Type().String()+" received instead of HELLO", nil)
	}
	if !wamp.ValidURI(hello.Realm, false, false) {
		return r.refuse(conn, reasonRefused, wamp.ErrInvalidURI, "invalid realm URI", nil)
	}
	rl := r.realms[hello.Realm]
	if rl == nil {
		return r.refuse(conn, reasonRefused, wamp.ErrNoSuchRealm, "no realm "+string(hello.Realm), nil)
	}
	roles, _ := hello.Details["roles"].(wamp.Dict)
	if !hasClientRole(roles) {
		return r.refuse(conn, reasonProtocolViolation, wamp.ErrProtocolViolation, "HELLO announces no client role", nil)
	}
	src, local := source(conn.RemoteAddr())
	throttled := r.cfg.LimitLocal || !local
	if throttled && len(rl.auth.byID) > 0 && !r.authThrottle.allowed(src, time.Now()) {
		return r.refuse(conn, reasonAuthThrottled, wamp.ErrAuthenticationFailed, "too many failed authentications from this address; try again later", nil)
	}
	auth, err := r.authenticate(conn, rl, hello)
	if err != nil {
		var we *wamp.Error
		if !errors.As(err, &we) {
			we = wamp.ErrAuthenticationFailed // the exchange failed: as a failed authentication
		}
		why := reasonRefused
		var be *budgetError
		switch {
		case errors.As(err, &be):
			why, we = reasonBudget, wamp.NewError(be.reason.URI, be.msg)
		case errors.Is(we, wamp.ErrAuthenticationFailed):
			why = reasonAuthFailed
			if throttled {
				r.authThrottle.failed(src, time.Now())
			}
		case errors.Is(we, wamp.ErrProtocolViolation):
			why = reasonProtocolViolation
		}
		var tried *authError
		errors.As(err, &tried) // the log line names who tried how
		return r.refuse(conn, why, we, err.Error(), tried)
	}
	s.realm, s.auth = rl, auth
	s.calleeCancel = wamp.HasFeature(hello.Details, wamp.RoleCallee, wamp.FeatureCallCanceling)
	s.calleeProgress = wamp.HasFeature(hello.Details, wamp.RoleCallee, wamp.FeatureProgressiveCallResults)
	s.ppt = announcedPPT(hello.Details)
	s.pace = newPacer(rl.publishRate, rl.publishBurst)
	s.meta.start(kind)
	s.announced(hello.Details)
	limitReads(t, own)
	// Released before the WELCOME is queued, not when join returns: a
	// client that has its WELCOME finds the pre-authentication budget free.
	r.budget.donePreAuth(conn)
	if err := r.chargeJoin(s); err != nil {
		return r.refuse(conn, reasonBudget, errJoinOverBudget.reason, errJoinOverBudget.msg, nil)
	}
	if why, err := r.admit(s, roles); err != nil {
		r.budget.release(&s.budget, -1)
		return r.refuse(conn, why, err, err.Error(), nil)
	}
	// From now on the read deadline is the idle limit, or none.
	var deadline time.Time
	if idle := r.cfg.IdleTimeout; idle > 0 {
		deadline = time.Now().Add(idle)
	}
	if err := t.SetReadDeadline(deadline); err != nil {
		r.leave(s)
		if cerr := conn.Err(); cerr != nil {
			return failed(reasonKilled, cerr) // closed meanwhile (ctx, Shutdown): report why
		}
		return failed(reasonTransportError, fmt.Errorf("minirouter: set read deadline: %w", err))
	}
	return s, ending{}
}

// admit gives s a session ID and queues its WELCOME, then makes it
// visible to Shutdown and Sessions and counts it, all under r.mu: a
// GOODBYE from Shutdown is always queued after the WELCOME, and Stats,
// which takes r.mu too, counts the session as soon as its client can have
// the WELCOME. It returns why and an *wamp.Error when the router is
// stopping, full, or the WELCOME cannot be queued.
func (r *Router) admit(s *session, clientRoles wamp.Dict) (closeReason, *wamp.Error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopping {
		return reasonKilled, wamp.CloseSystemShutdown
	}
	if len(r.ids) >= r.cfg.MaxSessions {
		return reasonLimited, wamp.NewError(wamp.ErrUnavailable.URI, "too many sessions")
	}
	if max := s.realm.maxSessions; max > 0 && s.realm.sessions >= max {
		return reasonLimited, wamp.NewError(wamp.ErrUnavailable.URI, fmt.Sprintf("limit: %d sessions in realm %s", max, s.realm.name))
	}
	for s.id == 0 || r.ids[s.id] != nil {
		s.id = wamp.NewGlobalID()
	}
	welcome, err := s.welcome(clientRoles)
	if err != nil {
		return reasonRefused, wamp.NewError(wamp.ErrUnavailable.URI, err.Error())
	}
	if err := s.conn.SendEncoded(welcome); err != nil {
		return reasonKilled, wamp.NewError(wamp.ErrNetworkFailure.URI, err.Error()) // closed meanwhile
	}
	s.realm.sessions++
	r.ids[s.id] = s
	delete(r.conns, s) // joined: from now on in r.ids
	r.stats.sessions.Add(1)
	r.stats.sessionsTotal.Add(1)
	r.stats.messagesOut.Add(1)
	return reasonNone, nil
}

// leave removes an ended session from the router's indexes.
func (r *Router) leave(s *session) {
	r.mu.Lock()
	if r.ids[s.id] == s {
		delete(r.ids, s.id)
		s.realm.sessions--
		r.stats.sessions.Add(-1)
		r.budget.release(&s.budget, -1)
	}
	r.mu.Unlock()
}

// sendAbort sends ABORT with reason and a message and waits briefly for it
// to be written. The caller closes the connection.
func (r *Router) sendAbort(conn *peer.Conn, reason wamp.URI, msg string) {
	if err := conn.Send(&wamp.Abort{Details: wamp.Dict{"message": msg}, Reason: reason}); err == nil {
		r.stats.messagesOut.Add(1)
		ctx, cancel := context.WithTimeout(context.Background(), closeFlushTimeout)
		conn.Flush(ctx)
		cancel()
	}
}

// errHandoff is what run returns after handing the session over to a fresh
// goroutine; the session goes on there.
var errHandoff = errors.New("minirouter: reader handed over")

// run reads and handles the session's messages until it ends, and returns
// why (nil after a clean GOODBYE). deadlineSet says the read deadline for
// the first message is already set.
//
// On a transport that is a [wamp.Parker] (RawSocket and WebSocket over
// TCP and Unix sockets and over TLS), a session with no input for a moment
// gives up its goroutine: the transport runs resume on a fresh goroutine
// when input comes (on Linux no goroutine at all waits meanwhile; see
// rawsocket.Conn.Park, wstransport.Conn.Park), and run returns
// errHandoff. Other sessions (serial links, in-process pipes) keep their
// reader. Joining and handling messages grow a
// goroutine's stack to 8 KB, which the runtime does not shrink while the
// reader waits this deep; the fresh goroutine starts with 2 KB, so an idle
// session costs its state (and at most a small stack), for a goroutine
// start (about a microsecond) per burst of input after a pause.
func (s *session) run(deadlineSet bool) error {
	t := s.conn.Transport()
	pk, _ := t.(wamp.Parker)
	idle := s.r.cfg.IdleTimeout
	for {
		if idle > 0 && !deadlineSet {
			if err := t.SetReadDeadline(time.Now().Add(idle)); err != nil {
				return fmt.Errorf("minirouter: set idle deadline: %w", err)
			}
		}
		deadlineSet = false
		if pk != nil && pk.Park(s.resumeFn) {
			s.conn.Trim() // the parked session holds no outbound arrays either
			return errHandoff
		}
		m, err := s.conn.Recv()
		if err != nil {
			if errors.Is(err, wamp.ErrProtocolViolation) && s.conn.Err() == nil {
				return s.violation("undecodable message: " + err.Error())
			}
			return err
		}
		s.r.stats.messagesIn.Add(1)
		if isRequest(m) {
			s.awaitRoom()
		}
		if done, err := s.handle(m); done {
			return err
		}
	}
}

// resume runs the session on when its transport saw input after a hand-over
// (see run), under the idle deadline already set.
func (s *session) resume() {
	if err := s.run(true); err != errHandoff {
		s.end(err)
	}
}

// handle dispatches one message; done means the session is over, with err
// as the reason (nil after a clean GOODBYE).
func (s *session) handle(m wamp.Message) (done bool, err error) {
	if s.hasFlag(flagLeaving) {
		// The router said GOODBYE: wait for the answer, ignore the rest.
		switch m.(type) {
		case *wamp.Goodbye, *wamp.Abort:
			return true, nil
		}
		return false, nil
	}
	if err := s.pptViolation(m); err != nil {
		return true, err
	}
	if s.refuseLongURI(m) {
		return false, nil
	}
	rl := s.realm
	switch m := m.(type) {
	case *wamp.Publish:
		if !validRequest(m.Request) {
			return true, s.badRequest(m)
		}
		if s.pace != nil && s.pace.wait(s.conn.Done()) {
			s.r.stats.publishesPaced.Add(1)
		}
		rl.publish(s, m)
	case *wamp.Subscribe:
		if !validRequest(m.Request) {
			return true, s.badRequest(m)
		}
		rl.subscribe(s, m)
	case *wamp.Unsubscribe:
		if !validRequest(m.Request) {
			return true, s.badRequest(m)
		}
		rl.unsubscribe(s, m)
	case *wamp.Call:
		if !validRequest(m.Request) {
			return true, s.badRequest(m)
		}
		if err := rl.call(s, m); err != nil {
			return true, s.violation(err.Error())
		}
	case *wamp.Cancel:
		if !validRequest(m.Request) {
			return true, s.badRequest(m)
		}
		rl.cancel(s, m)
	case *wamp.Register:
		if !validRequest(m.Request) {
			return true, s.badRequest(m)
		}
		rl.register(s, m)
	case *wamp.Unregister:
		if !validRequest(m.Request) {
			return true, s.badRequest(m)
		}
		rl.unregister(s, m)
	case *wamp.Yield:
		rl.yield(s, m)
	case *wamp.ErrorMessage:
		if m.RequestType != wamp.INVOCATION {
			return true, s.violation("ERROR for a " + m.RequestType.String() + " request from a client")
		}
		rl.calleeError(s, m)
	case *wamp.Goodbye:
		rl.detach(s)
		if err := s.conn.Send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut.URI}); err == nil {
			s.r.stats.messagesOut.Add(1)
			ctx, cancel := context.WithTimeout(context.Background(), closeFlushTimeout)
			s.conn.Flush(ctx)
			cancel()
		}
		return true, nil
	case *wamp.Abort:
		return true, fmt.Errorf("minirouter: session aborted by the client: %s", m.Reason)
	default:
		return true, s.violation(m.Type().String() + " is not allowed from a client in an established session")
	}
	return false, nil
}

// validRequest reports whether id is a valid request ID, in [1, 2^53].
func validRequest(id wamp.ID) bool { return id >= 1 && id <= wamp.MaxID }

// badRequest aborts the session for a request ID out of range.
func (s *session) badRequest(m wamp.Message) error {
	return s.violation(m.Type().String() + " with a request ID out of [1, 2^53]")
}

// violation ends the session with ABORT wamp.error.protocol_violation and
// returns the end reason.
func (s *session) violation(msg string) error {
	err := wamp.NewError(wamp.ErrProtocolViolation.URI, msg)
	s.decide(reasonProtocolViolation, err)
	s.realm.detach(s)
	s.r.sendAbort(&s.conn, err.URI, msg)
	return err
}

// shutdown starts the router-side close: the session leaves the routing
// tables and is sent GOODBYE wamp.close.system_shutdown; its reader closes
// the connection when the client answers.
func (s *session) shutdown() {
	if !s.setFlag(flagLeaving) {
		return
	}
	s.realm.detach(s)
	s.sayGoodbye(wamp.CloseSystemShutdown.URI, "")
}

// kill ends s for a wamp.session.kill* meta call: s leaves the routing
// tables (its realm's mu is held) and is sent GOODBYE with reason and
// message; its reader closes the connection when the client answers. It
// reports whether s was still there to kill.
func (s *session) kill(reason wamp.URI, message string) bool {
	if !s.setFlag(flagLeaving) {
		return false
	}
	s.decide(reasonKilled, nil)
	s.realm.detachLocked(s)
	s.sayGoodbye(reason, message)
	return true
}

// sayGoodbye queues the router's GOODBYE, or closes the connection when it
// cannot be queued.
func (s *session) sayGoodbye(reason wamp.URI, message string) {
	d := wamp.Dict{}
	if message != "" {
		d["message"] = message
	}
	if err := s.conn.Send(&wamp.Goodbye{Details: d, Reason: reason}); err == nil {
		s.r.stats.messagesOut.Add(1)
	} else {
		s.close(reasonKilled, ErrRouterClosed)
	}
}

// reply queues m, an answer to one of s's own requests (or a RESULT or
// ERROR of its call). An answer is never silently lost: when the queue is
// full, the session is ended as a slow consumer. It reports whether m was
// queued. It may be called with realm.mu held.
func (s *session) reply(m wamp.Message) bool {
	err := s.conn.Send(m)
	if err == nil {
		s.r.stats.messagesOut.Add(1)
		return true
	}
	switch {
	case errors.Is(err, peer.ErrQueueFull):
		s.slow(m.Type().String() + " not deliverable: outbound queue full")
	case errors.Is(err, peer.ErrClosed):
	default:
		if line := "message not sent"; s.realm.allowLog(line) {
			s.realm.logLater(slog.LevelWarn, line, "session", s.id, "type", m.Type().String(), "err", err)
		}
	}
	return false
}

// slow ends a session whose outbound queue is full. It may be called with
// realm.mu held.
func (s *session) slow(why string) {
	s.close(reasonSlowConsumer, fmt.Errorf("minirouter: slow consumer: %s", why))
}

// info describes the session for Router.Sessions.
func (s *session) info() SessionInfo {
	info := SessionInfo{
		ID:            s.id,
		Realm:         s.realm.name,
		AuthID:        s.auth.authid,
		AuthRole:      s.auth.authrole,
		AuthMethod:    s.auth.authmethod,
		RemoteAddr:    s.conn.RemoteAddr(),
		EventsDropped: s.dropped.Load(),
	}
	cs := s.conn.Stats()
	info.MessagesIn, info.MessagesOut = cs.MessagesIn, cs.MessagesOut
	s.meta.fill(&info)
	return info
}
