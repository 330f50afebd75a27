package minirouter

import (
	"log/slog"
	"maps"
	"slices"

	"github.com/edgewamp/edgewamp/wamp"
)

// Progressive call invocations (advanced profile): a caller that announced
// caller.features.progressive_call_invocations streams its input as several
// CALLs with one request ID, each but the last with options.progress. The
// first CALL is routed like any other and needs a callee that announced
// progressive_call_invocations and call_canceling (else ERROR
// wamp.error.feature_not_supported); every later CALL of the request goes
// to the same callee as an INVOCATION with the first one's request ID and
// details (the options are frozen at the first CALL: only progress counts),
// with details.progress until the last. A CALL with progress from a caller
// that did not announce the feature is a protocol violation.
//
// The router holds no chunk: each is forwarded at once. A chunk the
// callee's queue cannot take fails the whole call (ERROR
// wamp.error.unavailable to the caller, INTERRUPT killnowait to the
// callee), since a stream with a hole in it is worth nothing: a caller that
// sends faster than its callee reads paces itself, e.g. on progressive
// results the callee yields as acknowledgements. Cancel, timeout and either
// session's end work mid-stream as for any call. Chunks that arrive after
// their call ended early (the callee answered, an error, a cancel, a
// timeout) or while a cancel with mode "kill" waits for the callee are
// dropped and counted in Stats.StreamChunksDropped: the caller has, or will
// have, its answer.

// endedStreamsKept is how many early-ended streamed calls a session's
// record remembers (see endedStreams): a caller that stops sending once it
// has its answer needs none, one that keeps sending for a while needs one
// per call it streams at once.
const endedStreamsKept = 8

// stream is the state of a progressive call whose caller's input is still
// open. Guarded by realm.mu.
type stream struct {
	reg     wamp.ID   // the registration of the first INVOCATION
	details wamp.Dict // that INVOCATION's details without progress, frozen
}

// newStream returns the stream of a call whose first INVOCATION has the
// given details, before progress is added to them.
func newStream(reg wamp.ID, details wamp.Dict) *stream {
	return &stream{reg: reg, details: maps.Clone(details)}
}

// endedStreams remembers the request IDs of a caller's streamed calls that
// ended before the caller's last CALL, so that the CALLs still on their way
// are dropped instead of starting new calls. Guarded by realm.mu; bounded
// by endedStreamsKept (the oldest is forgotten first).
type endedStreams struct {
	ids  [endedStreamsKept]wamp.ID
	next int
}

// endStream records that the streamed call req of s ended before its last
// CALL. rl.mu must be held.
func (s *session) endStream(req wamp.ID) {
	t := s.ownTables()
	if t.endedSt == nil {
		t.endedSt = &endedStreams{}
	}
	e := t.endedSt
	e.ids[e.next] = req
	e.next = (e.next + 1) % endedStreamsKept
}

// streamEnded reports whether req is a streamed call of s that ended early;
// last (the caller's last CALL of it) forgets it. rl.mu must be held.
func (s *session) streamEnded(req wamp.ID, last bool) bool {
	e := s.tables().endedSt
	if e == nil {
		return false
	}
	i := slices.Index(e.ids[:], req)
	if i < 0 {
		return false
	}
	if last {
		e.ids[i] = 0
	}
	return true
}

// streamCall handles a CALL of a session that has streamed calls: a later
// CALL of an open stream is forwarded to its callee, and one of a stream
// that ended early is dropped. It reports false for any other CALL, which
// call then handles as a new call (or a duplicate request ID).
func (rl *realm) streamCall(s *session, m *wamp.Call) (handled bool) {
	more, ok := optBool(m.Options, "progress", false)
	if !ok {
		return false // malformed: call refuses it
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if s.detached {
		return true
	}
	c := s.tables().calls[m.Request]
	if c == nil && !s.streamEnded(m.Request, !more) {
		return false
	}
	if c == nil || (c.killing && c.stream != nil) { // ended, or being cancelled (mode "kill")
		rl.r.stats.streamChunksDropped.Add(1)
		if line := "progressive CALL dropped: its call has ended or is being cancelled"; rl.allowLog(line) {
			rl.logLater(slog.LevelDebug, line, "realm", rl.name, "session", s.id, "request", m.Request)
		}
		return true
	}
	st := c.stream
	if st == nil {
		return false // the input is closed: a duplicate request ID
	}
	details := st.details
	if more {
		details = maps.Clone(details)
		details["progress"] = true
	} else {
		c.stream = nil // the last chunk: the input is closed
	}
	err := c.callee.conn.Send(&wamp.Invocation{Request: c.invReq, Registration: st.reg, Details: details, Payload: m.Payload})
	if err != nil {
		c.stream = st // so that finish records the early end
		rl.finish(c)
		rl.interrupt(c, cancelKillNoWait, wamp.ErrUnavailable.URI)
		s.reply(rl.refused(m.Request, err))
		return true
	}
	rl.r.stats.messagesOut.Add(1)
	return true
}

// announced records the features of progressive call invocations and
// revocation that the client announced in HELLO (details).
func (s *session) announced(details wamp.Dict) {
	s.callerStreams = wamp.HasFeature(details, wamp.RoleCaller, wamp.FeatureProgressiveCallInvocations)
	s.calleeStreams = wamp.HasFeature(details, wamp.RoleCallee, wamp.FeatureProgressiveCallInvocations) &&
		wamp.HasFeature(details, wamp.RoleCallee, wamp.FeatureCallCanceling)
	s.calleeRevoke = wamp.HasFeature(details, wamp.RoleCallee, wamp.FeatureRegistrationRevocation)
	s.subRevoke = wamp.HasFeature(details, wamp.RoleSubscriber, wamp.FeatureSubscriptionRevocation)
}
