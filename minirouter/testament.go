package minirouter

import (
	"github.com/edgewamp/edgewamp/wamp"
)

// Testaments (WAMP advanced profile, "testament_meta_api"): events a
// session leaves with the router, published when the session ends however
// it ends (GOODBYE, lost connection, a device losing power), unless it
// flushed them first: MQTT's "last will".

// Testament scopes. This router has no session resumption: a session is
// detached and destroyed at once, and detached-scope testaments go first.
const (
	scopeDetached  = 0
	scopeDestroyed = 1
)

// testament is one event to publish when its session ends.
type testament struct {
	topic   wamp.URI
	payload wamp.Payload
	opts    publishOptions
	size    int // charged to the session's budgets (see testamentCost)
}

// metaHandler answers a call of a router-implemented procedure with a
// RESULT or an ERROR. It runs with rl.mu held.
type metaHandler func(rl *realm, s *session, m *wamp.Call) wamp.Message

// metaProcedures are the procedures the router implements itself.
var metaProcedures = map[wamp.URI]metaHandler{
	"wamp.session.add_testament":    addTestament,
	"wamp.session.flush_testaments": flushTestaments,
	"wamp.session.count":            sessionCount,
	"wamp.session.list":             sessionList,
	"wamp.session.get":              sessionGet,
	"wamp.session.kill":             sessionKill,
	"wamp.session.kill_by_authid":   sessionKillByAuthID,
	"wamp.session.kill_by_authrole": sessionKillByAuthRole,
	"wamp.session.kill_all":         sessionKillAll,

	"wamp.registration.list":          registrationList,
	"wamp.registration.lookup":        registrationLookup,
	"wamp.registration.match":         registrationMatch,
	"wamp.registration.get":           registrationGet,
	"wamp.registration.list_callees":  registrationCallees,
	"wamp.registration.count_callees": registrationCountCallees,
	"wamp.registration.remove_callee": registrationRemoveCallee,

	"wamp.subscription.list":              subscriptionList,
	"wamp.subscription.lookup":            subscriptionLookup,
	"wamp.subscription.match":             subscriptionMatch,
	"wamp.subscription.get":               subscriptionGet,
	"wamp.subscription.list_subscribers":  subscriptionSubscribers,
	"wamp.subscription.count_subscribers": subscriptionCountSubscribers,
	"wamp.subscription.remove_subscriber": subscriptionRemoveSubscriber,
	"wamp.subscription.get_events":        subscriptionGetEvents,
}

// parseScope reads kwargs.scope: "destroyed" (the default) or "detached".
func parseScope(kw wamp.Dict) (int, bool) {
	scope, ok := optString(kw, "scope", "destroyed")
	switch {
	case !ok:
		return 0, false
	case scope == "destroyed":
		return scopeDestroyed, true
	case scope == "detached":
		return scopeDetached, true
	}
	return 0, false
}

// addTestament implements wamp.session.add_testament(topic, args, kwargs,
// publish_options=, scope=).
func addTestament(rl *realm, s *session, m *wamp.Call) wamp.Message {
	bad := func(msg string) wamp.Message {
		return errorFor(wamp.CALL, m.Request, wamp.ErrInvalidArgument.URI, msg)
	}
	if len(m.Args) < 1 || len(m.Args) > 3 {
		return bad("add_testament takes a topic, args and kwargs")
	}
	topic, _ := m.Args[0].(string)
	if !wamp.ValidURI(wamp.URI(topic), false, false) {
		return bad("invalid testament topic")
	}
	if !within(len(topic), rl.r.cfg.Budgets.MaxURILength) {
		rl.r.stats.longURIs.Add(1)
		return errorFor(wamp.CALL, m.Request, wamp.ErrInvalidURI.URI, "testament topic too long")
	}
	if reservedURI(wamp.URI(topic)) {
		return errorFor(wamp.CALL, m.Request, wamp.ErrInvalidURI.URI, reservedTopic)
	}
	var p wamp.Payload
	if len(m.Args) > 1 && m.Args[1] != nil {
		args, ok := m.Args[1].(wamp.List)
		if !ok {
			return bad("testament args must be a list")
		}
		p.Args = args
	}
	if len(m.Args) > 2 && m.Args[2] != nil {
		kwargs, ok := m.Args[2].(wamp.Dict)
		if !ok {
			return bad("testament kwargs must be a dict")
		}
		p.Kwargs = kwargs
	}
	scope, ok := parseScope(m.Kwargs)
	if !ok {
		return bad(`scope must be "destroyed" or "detached"`)
	}
	var po wamp.Dict
	if v, present := m.Kwargs["publish_options"]; present {
		if po, ok = v.(wamp.Dict); !ok {
			return bad("publish_options must be a dict")
		}
	}
	opts, ok := parsePublishOptions(po)
	if !ok {
		return bad("malformed publish_options")
	}
	opts.numbered = false // a testament is published once
	if !rl.authorize(s, ActionPublish, wamp.URI(topic), wamp.ExactMatch) {
		return notAuthorized(wamp.CALL, m.Request, ActionPublish, wamp.URI(topic))
	}
	t := testament{topic: wamp.URI(topic), payload: p, opts: opts}
	if refused := rl.chargeTestament(s, m.Request, &t); refused != nil {
		return refused
	}
	ts := s.ownTables()
	ts.testaments[scope] = append(ts.testaments[scope], t)
	return &wamp.Result{Request: m.Request, Details: wamp.Dict{}}
}

// flushTestaments implements wamp.session.flush_testaments(scope=).
func flushTestaments(rl *realm, s *session, m *wamp.Call) wamp.Message {
	scope, ok := parseScope(m.Kwargs)
	if !ok {
		return errorFor(wamp.CALL, m.Request, wamp.ErrInvalidArgument.URI, `scope must be "destroyed" or "detached"`)
	}
	rl.releaseTestaments(s, scope)
	if s.tabs != nil {
		s.tabs.testaments[scope] = nil
	}
	return &wamp.Result{Request: m.Request, Details: wamp.Dict{}}
}

// publishTestaments publishes s's testaments, detached scope first, each
// scope in the order they were added. s has left the routing tables.
// rl.mu must be held.
func (rl *realm) publishTestaments(s *session) {
	if s.tabs == nil {
		return
	}
	for scope := range s.tabs.testaments {
		for _, t := range s.testamentsOf(scope) {
			// Counted first: whoever gets the EVENT sees it counted.
			rl.r.stats.testaments.Add(1)
			rl.publishLocked(s, t.topic, t.payload, &t.opts)
		}
	}
	s.tabs.testaments = [2][]testament{}
}
