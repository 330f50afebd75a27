package minirouter

import "github.com/edgewamp/edgewamp/wamp"

// sessionTables is a session's part of the routing state: what it
// subscribed and registered, its pending calls and invocations, its
// testaments. A session makes it on first use (see ownTables), so that an
// idle session, which has none of these, holds only a nil pointer.
// Guarded by realm.mu.
type sessionTables struct {
	subs    map[wamp.ID]*subscription // by subscription ID
	regs    map[wamp.ID]*registration // by registration ID
	calls   map[wamp.ID]*call         // pending calls as caller, by CALL request ID
	invs    map[wamp.ID]*call         // pending invocations as callee, by INVOCATION request ID
	lastInv wamp.ID                   // last INVOCATION request ID sent to this session
	endedSt *endedStreams             // streamed calls ended before the caller's last CALL; nil: none yet
	// testaments by scope (scopeDetached, scopeDestroyed), published by
	// detach.
	testaments [2][]testament
	testBytes  int // the testaments' bytes charged to the session's budget
}

// noTables stands for the tables of a session that has none yet: empty,
// and never written (reads of its nil maps find nothing).
var noTables sessionTables

// tables returns s's tables for reading (lookups, len, range, delete):
// noTables while s has made none. Writes go through ownTables. realm.mu
// must be held.
func (s *session) tables() *sessionTables {
	if s.tabs == nil {
		return &noTables
	}
	return s.tabs
}

// ownTables returns s's tables, making them on first use. realm.mu must
// be held.
func (s *session) ownTables() *sessionTables {
	if s.tabs == nil {
		s.tabs = new(sessionTables)
	}
	return s.tabs
}

// testamentsOf returns s's testaments of scope. realm.mu must be held.
func (s *session) testamentsOf(scope int) []testament {
	return s.tables().testaments[scope]
}

// putSub records sub in s's subscriptions, making the map on first use.
// realm.mu must be held.
func (s *session) putSub(sub *subscription) {
	t := s.ownTables()
	if t.subs == nil {
		t.subs = make(map[wamp.ID]*subscription)
	}
	t.subs[sub.id] = sub
}

// putReg records reg in s's registrations, making the map on first use.
// realm.mu must be held.
func (s *session) putReg(reg *registration) {
	t := s.ownTables()
	if t.regs == nil {
		t.regs = make(map[wamp.ID]*registration)
	}
	t.regs[reg.id] = reg
}

// putCall records c in the caller's (s's) calls and the callee's
// invocations, making the maps on first use. realm.mu must be held.
func (s *session) putCall(c *call, callee *session) {
	t := s.ownTables()
	if t.calls == nil {
		t.calls = make(map[wamp.ID]*call)
	}
	t.calls[c.callerReq] = c
	ct := callee.ownTables()
	if ct.invs == nil {
		ct.invs = make(map[wamp.ID]*call)
	}
	ct.invs[c.invReq] = c
}
