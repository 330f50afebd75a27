package minirouter

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// Invocation policies of shared registrations (REGISTER options.invoke).
const (
	invokeSingle     = "single"
	invokeRoundRobin = "roundrobin"
	invokeRandom     = "random"
	invokeFirst      = "first"
	invokeLast       = "last"
)

// Cancel modes (CANCEL options.mode).
const (
	cancelSkip       = "skip"
	cancelKill       = "kill"
	cancelKillNoWait = "killnowait"
)

// registration is one (procedure, match) pair and its callees, in
// registration order.
type registration struct {
	id        wamp.ID
	procedure wamp.URI
	match     wamp.MatchPolicy
	invoke    string
	callees   []*session
	next      int // next callee for roundrobin
	created   time.Time
	// discloseCaller: the first callee asked (REGISTER options.disclose_caller)
	// to know every caller
	discloseCaller bool
}

// pick chooses the callee of the next invocation. rl.mu must be held.
func (reg *registration) pick() *session {
	n := len(reg.callees)
	switch reg.invoke {
	case invokeLast:
		return reg.callees[n-1]
	case invokeRoundRobin:
		reg.next %= n
		s := reg.callees[reg.next]
		reg.next++
		return s
	case invokeRandom:
		return reg.callees[rand.IntN(n)]
	}
	return reg.callees[0] // single, first
}

// call is a pending call: from the caller's CALL to the callee's final
// YIELD or ERROR, a cancel, a timeout or either session's end. Its fields
// are guarded by the realm's mutex.
type call struct {
	caller    *session
	callerReq wamp.ID // the CALL's request ID
	callee    *session
	invReq    wamp.ID     // the INVOCATION's request ID
	progress  bool        // the caller asked for progressive results
	timer     *time.Timer // options.timeout, or nil
	killing   bool        // a "kill" INTERRUPT was sent; waiting for the callee
	stream    *stream     // the caller's input is still open (progressive call invocations), or nil
	done      bool        // finished: removed from both sessions
}

// register handles REGISTER.
func (rl *realm) register(s *session, m *wamp.Register) {
	match, ok := optMatch(m.Options)
	invoke, ok2 := optString(m.Options, "invoke", invokeSingle)
	discloseCaller, ok3 := optBool(m.Options, "disclose_caller", false)
	if !ok || !ok2 || !ok3 ||
		!slices.Contains([]string{invokeSingle, invokeRoundRobin, invokeRandom, invokeFirst, invokeLast}, invoke) {
		s.reply(errorFor(wamp.REGISTER, m.Request, wamp.ErrInvalidArgument.URI, "unknown match or invoke policy"))
		return
	}
	if !validPattern(m.Procedure, match) {
		s.reply(errorFor(wamp.REGISTER, m.Request, wamp.ErrInvalidURI.URI, "invalid procedure"))
		return
	}
	if reservedPattern(m.Procedure, match) {
		s.reply(errorFor(wamp.REGISTER, m.Request, wamp.ErrInvalidURI.URI, "procedures under wamp. are the router's (a pattern may not match them)"))
		return
	}
	if !rl.authorize(s, ActionRegister, m.Procedure, match) {
		s.reply(notAuthorized(wamp.REGISTER, m.Request, ActionRegister, m.Procedure))
		return
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if s.detached {
		return
	}
	if len(s.tables().regs) >= rl.r.cfg.MaxRegistrations {
		rl.r.stats.limitRefusals.Add(1)
		s.reply(errorFor(wamp.REGISTER, m.Request, wamp.ErrUnavailable.URI,
			fmt.Sprintf("limit: %d registrations per session", rl.r.cfg.MaxRegistrations)))
		return
	}
	if !rl.chargeEntry(s, wamp.REGISTER, m.Request, m.Procedure) {
		return
	}
	reg, exists := rl.regs.get(m.Procedure, match)
	if exists {
		if invoke == invokeSingle || reg.invoke != invoke || slices.Contains(reg.callees, s) {
			rl.releaseEntry(s, m.Procedure)
			s.reply(errorFor(wamp.REGISTER, m.Request, wamp.ErrProcedureAlreadyExists.URI,
				"registered with invoke "+reg.invoke))
			if line := "registration refused: procedure already registered"; rl.allowLog(line) {
				holder := reg.callees[0]
				rl.logLater(slog.LevelInfo, line, "realm", rl.name, "procedure", m.Procedure, "session", s.id,
					"authid", s.auth.authid, "registered_by_session", holder.id, "registered_by_authid", holder.auth.authid)
			}
			return
		}
		reg.callees = append(reg.callees, s)
	} else {
		reg = &registration{id: newID(rl.regByID), procedure: m.Procedure, match: match, invoke: invoke,
			callees: []*session{s}, created: time.Now(), discloseCaller: discloseCaller}
		rl.regs.put(m.Procedure, match, reg)
		rl.regByID[reg.id] = reg
	}
	s.putReg(reg)
	s.reply(&wamp.Registered{Request: m.Request, Registration: reg.id})
	if !exists {
		rl.metaEvent(s, "wamp.registration.on_create", uint64(s.id), registrationDetails(reg))
	}
	rl.metaEvent(s, "wamp.registration.on_register", uint64(s.id), uint64(reg.id))
	rl.regsChanged()
}

// unregister handles UNREGISTER. Pending invocations of the registration
// stay pending: the callee may still answer them.
func (rl *realm) unregister(s *session, m *wamp.Unregister) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	reg := s.tables().regs[m.Registration]
	if reg == nil {
		s.reply(errorFor(wamp.UNREGISTER, m.Request, wamp.ErrNoSuchRegistration.URI, ""))
		return
	}
	delete(s.tabs.regs, reg.id)
	rl.releaseEntry(s, reg.procedure)
	rl.dropCallee(reg, s)
	s.reply(&wamp.Unregistered{Request: m.Request})
}

// dropCallee removes s from reg, and reg from the realm when it is left
// without callees. rl.mu must be held.
func (rl *realm) dropCallee(reg *registration, s *session) {
	if i := slices.Index(reg.callees, s); i >= 0 {
		reg.callees = slices.Delete(reg.callees, i, i+1)
		if reg.next > i {
			reg.next--
		}
	}
	rl.metaEvent(s, "wamp.registration.on_unregister", uint64(s.id), uint64(reg.id))
	if len(reg.callees) == 0 {
		rl.regs.del(reg.procedure, reg.match)
		delete(rl.regByID, reg.id)
		rl.metaEvent(s, "wamp.registration.on_delete", uint64(s.id), uint64(reg.id))
	}
	rl.regsChanged()
}

// call handles CALL. It returns an error (a protocol violation) only for a
// CALL whose request ID is already pending.
func (rl *realm) call(s *session, m *wamp.Call) error {
	if !wamp.ValidURI(m.Procedure, false, false) {
		s.reply(errorFor(wamp.CALL, m.Request, wamp.ErrInvalidURI.URI, "invalid procedure"))
		return nil
	}
	if s.hasFlag(flagStreamed) {
		if handled := rl.streamCall(s, m); handled {
			return nil
		}
	}
	progress, ok1 := optBool(m.Options, "receive_progress", false)
	disclose, ok2 := optBool(m.Options, "disclose_me", false)
	timeout, ok3 := optInt(m.Options, "timeout", 0)
	streaming, ok4 := optBool(m.Options, "progress", false)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		s.reply(errorFor(wamp.CALL, m.Request, wamp.ErrInvalidArgument.URI, "malformed call options"))
		return nil
	}
	if streaming && !s.callerStreams {
		return errors.New("CALL with progress from a caller that did not announce progressive_call_invocations")
	}
	if !rl.authorize(s, ActionCall, m.Procedure, wamp.ExactMatch) {
		s.reply(notAuthorized(wamp.CALL, m.Request, ActionCall, m.Procedure))
		return nil
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if s.detached {
		return nil
	}
	if _, dup := s.tables().calls[m.Request]; dup {
		return fmt.Errorf("CALL request ID %d is already pending", m.Request)
	}
	if h := metaProcedures[m.Procedure]; h != nil {
		if streaming {
			s.reply(errorFor(wamp.CALL, m.Request, wamp.ErrFeatureNotSupported.URI, "meta procedures take no progressive call invocations"))
			return nil
		}
		s.reply(h(rl, s, m))
		return nil
	}
	if reservedURI(m.Procedure) { // never a client's: see reservedPattern
		s.reply(errorFor(wamp.CALL, m.Request, wamp.ErrNoSuchProcedure.URI, ""))
		return nil
	}
	if len(s.tables().calls) >= rl.r.cfg.MaxPendingCalls {
		s.reply(errorFor(wamp.CALL, m.Request, wamp.ErrUnavailable.URI, "too many pending calls"))
		return nil
	}
	reg, match, ok := rl.regs.best(m.Procedure)
	if !ok {
		s.reply(errorFor(wamp.CALL, m.Request, wamp.ErrNoSuchProcedure.URI, ""))
		return nil
	}
	callee := reg.pick()
	if streaming && !callee.calleeStreams {
		s.reply(errorFor(wamp.CALL, m.Request, wamp.ErrFeatureNotSupported.URI,
			"the callee does not take progressive call invocations"))
		return nil
	}
	details := wamp.Dict{}
	if match != wamp.ExactMatch {
		details["procedure"] = string(m.Procedure)
	}
	if disclose || reg.discloseCaller {
		details["caller"] = uint64(s.id)
		details["caller_authid"] = s.auth.authid
		details["caller_authrole"] = s.auth.authrole
	}
	if progress {
		details["receive_progress"] = true
	}
	if !rl.pptInvocation(s, m, callee, details) {
		return nil
	}
	var st *stream
	if streaming {
		st = newStream(reg.id, details)
		details["progress"] = true
	}
	inv := &wamp.Invocation{Request: callee.nextInvocation(), Registration: reg.id, Details: details, Payload: m.Payload}
	if err := callee.conn.Send(inv); err != nil {
		s.reply(rl.refused(m.Request, err))
		return nil
	}
	rl.r.stats.messagesOut.Add(1)
	c := &call{caller: s, callerReq: m.Request, callee: callee, invReq: inv.Request, progress: progress, stream: st}
	if st != nil {
		s.setFlag(flagStreamed)
	}
	s.putCall(c, callee)
	if timeout > 0 {
		c.timer = time.AfterFunc(time.Duration(timeout)*time.Millisecond, func() { rl.timeout(c) })
	}
	return nil
}

// refused is the caller's ERROR for an INVOCATION its callee's connection
// refused (err from Send): unavailable, or payload_size_exceeded. It
// counts the refusals of a full queue.
func (rl *realm) refused(req wamp.ID, err error) wamp.Message {
	uri, msg := wamp.ErrUnavailable.URI, "callee unavailable"
	switch {
	case errors.Is(err, peer.ErrQueueFull):
		rl.r.stats.invocationsRefused.Add(1)
		msg = "callee busy: its queue is full"
	case errors.Is(err, peer.ErrTooLarge):
		uri, msg = wamp.ErrPayloadSizeExceeded.URI, "call too large for the callee"
	}
	return errorFor(wamp.CALL, req, uri, msg)
}

// nextInvocation returns a fresh INVOCATION request ID for s: sequential
// from 1, skipping IDs still pending. The realm's mu must be held.
func (s *session) nextInvocation() wamp.ID {
	t := s.ownTables()
	for {
		t.lastInv++
		if t.lastInv > wamp.MaxID {
			t.lastInv = 1
		}
		if t.invs[t.lastInv] == nil {
			return t.lastInv
		}
	}
}

// yield handles YIELD. A YIELD for an unknown invocation (late after a
// cancel or a timeout) is discarded, as is a progressive one the caller did
// not ask for.
func (rl *realm) yield(s *session, m *wamp.Yield) {
	progress, _ := optBool(m.Options, "progress", false)
	rl.mu.Lock()
	defer rl.mu.Unlock()
	c := s.tables().invs[m.Request]
	if c == nil {
		return
	}
	details := wamp.Dict{}
	if !rl.pptResult(c, m, details) {
		return
	}
	if progress {
		if c.progress {
			details["progress"] = true
			rl.result(c, &wamp.Result{Request: c.callerReq, Details: details, Payload: m.Payload})
		}
		return
	}
	rl.finish(c)
	rl.result(c, &wamp.Result{Request: c.callerReq, Details: details, Payload: m.Payload})
}

// result sends a RESULT to c's caller. It is never silently lost: a result
// too large for the caller becomes ERROR wamp.error.payload_size_exceeded
// (and ends the call), and a caller whose queue is full is disconnected.
// rl.mu must be held.
func (rl *realm) result(c *call, res *wamp.Result) {
	err := c.caller.conn.Send(res)
	switch {
	case err == nil:
		rl.r.stats.messagesOut.Add(1)
	case errors.Is(err, peer.ErrQueueFull):
		c.caller.slow("RESULT not deliverable: outbound queue full")
	case errors.Is(err, peer.ErrClosed):
	default:
		if !c.done {
			rl.finish(c)
			rl.interrupt(c, cancelKillNoWait, wamp.ErrPayloadSizeExceeded.URI)
		}
		c.caller.reply(errorFor(wamp.CALL, c.callerReq, wamp.ErrPayloadSizeExceeded.URI, err.Error()))
	}
}

// calleeError handles an ERROR answering an INVOCATION: it is forwarded to
// the caller with its URI, details and payload.
func (rl *realm) calleeError(s *session, m *wamp.ErrorMessage) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	c := s.tables().invs[m.Request]
	if c == nil {
		return
	}
	rl.finish(c)
	details := m.Details
	if details == nil {
		details = wamp.Dict{}
	}
	c.caller.reply(&wamp.ErrorMessage{RequestType: wamp.CALL, Request: c.callerReq, Details: details,
		Error: m.Error, Payload: m.Payload})
}

// cancel handles CANCEL (modes skip, kill, killnowait; default killnowait).
// A callee that did not announce call_canceling gets no INTERRUPT: the
// cancel then works as skip.
func (rl *realm) cancel(s *session, m *wamp.Cancel) {
	mode, ok := optString(m.Options, "mode", cancelKillNoWait)
	if !ok || (mode != cancelSkip && mode != cancelKill && mode != cancelKillNoWait) {
		s.reply(errorFor(wamp.CANCEL, m.Request, wamp.ErrInvalidArgument.URI, "unknown cancel mode"))
		return
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	c := s.tables().calls[m.Request]
	if c == nil {
		return // already answered
	}
	if !c.callee.calleeCancel {
		mode = cancelSkip
	}
	canceled := errorFor(wamp.CALL, c.callerReq, wamp.ErrCanceled.URI, "canceled by the caller")
	switch mode {
	case cancelSkip:
		rl.finish(c)
		s.reply(canceled)
	case cancelKillNoWait:
		rl.finish(c)
		rl.interrupt(c, cancelKillNoWait, wamp.ErrCanceled.URI)
		s.reply(canceled)
	case cancelKill:
		if c.killing {
			return
		}
		c.killing = true
		if !rl.interrupt(c, cancelKill, wamp.ErrCanceled.URI) {
			rl.finish(c)
			s.reply(canceled)
		}
	}
}

// timeout ends a call whose options.timeout expired: ERROR wamp.error.timeout
// to the caller and INTERRUPT (killnowait) to the callee.
func (rl *realm) timeout(c *call) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if c.done {
		return
	}
	rl.finish(c)
	rl.r.stats.callsTimedOut.Add(1)
	rl.interrupt(c, cancelKillNoWait, wamp.ErrTimeout.URI)
	c.caller.reply(errorFor(wamp.CALL, c.callerReq, wamp.ErrTimeout.URI, "call timed out"))
}

// interrupt sends INTERRUPT for c to its callee if the callee announced
// call_canceling, and reports whether it was queued. rl.mu must be held.
func (rl *realm) interrupt(c *call, mode string, reason wamp.URI) bool {
	if !c.callee.calleeCancel {
		return false
	}
	err := c.callee.conn.Send(&wamp.Interrupt{Request: c.invReq, Options: wamp.Dict{"mode": mode, "reason": string(reason)}})
	if err != nil {
		return false
	}
	rl.r.stats.messagesOut.Add(1)
	return true
}

// finish removes a pending call from its caller and callee and stops its
// timer. Idempotent. rl.mu must be held.
func (rl *realm) finish(c *call) {
	if c.done {
		return
	}
	c.done = true
	if c.stream != nil {
		c.stream = nil
		c.caller.endStream(c.callerReq)
	}
	delete(c.caller.tables().calls, c.callerReq)
	delete(c.callee.tables().invs, c.invReq)
	if c.timer != nil {
		c.timer.Stop()
	}
}
