package minirouter

import (
	"slices"
	"strings"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// The WAMP meta API (advanced profile): the session, registration and
// subscription meta events, published by the router in the realm where
// they happen, and the meta procedures, answered by the router itself
// (see metaProcedures). Clients may not register procedures (nor patterns
// that can match one), publish, or leave testaments under "wamp." (reserved
// for the router; ERROR wamp.error.invalid_uri), and a call to a "wamp."
// procedure the router does not implement is never routed to a client.

// metaOptions publishes meta events: no exclusion (the session that caused
// one gets it too if subscribed), no identification.
var metaOptions = publishOptions{}

// reservedURI reports whether u is in the namespace the spec reserves for
// the protocol: first component "wamp".
func reservedURI(u wamp.URI) bool { return u == "wamp" || strings.HasPrefix(string(u), "wamp.") }

// reservedTopic is the message of the ERROR wamp.error.invalid_uri that
// refuses a client's PUBLISH or testament in the reserved namespace.
const reservedTopic = "topics under wamp. are the router's"

// reservedPattern reports whether the pattern p, under match, can match a
// URI in the reserved namespace: a prefix that is a prefix of "wamp." ("",
// "w", "wamp") or starts in it, a wildcard pattern whose first component is
// empty ("..forged") or "wamp". A client may not register, and the
// router's procedures may not be reached through, such a pattern.
func reservedPattern(p wamp.URI, match wamp.MatchPolicy) bool {
	switch match {
	case wamp.PrefixMatch:
		return reservedURI(p) || strings.HasPrefix("wamp.", string(p))
	case wamp.WildcardMatch:
		first, _, _ := strings.Cut(string(p), ".")
		return first == "" || first == "wamp"
	}
	return reservedURI(p)
}

// metaEvent publishes a meta event caused by s. rl.mu must be held.
func (rl *realm) metaEvent(s *session, topic wamp.URI, args ...any) {
	if len(rl.subByID) == 0 {
		return // nobody could be subscribed
	}
	o := metaOptions
	rl.publishLocked(s, topic, wamp.Payload{Args: args}, &o)
}

// metaDetails is the session's description in wamp.session.on_join and
// wamp.session.get.
func (s *session) metaDetails() wamp.Dict {
	return wamp.Dict{
		"session":      uint64(s.id),
		"authid":       s.auth.authid,
		"authrole":     s.auth.authrole,
		"authmethod":   s.auth.authmethod,
		"authprovider": authProvider,
		"transport":    wamp.Dict{"peer": s.conn.RemoteAddr()},
	}
}

// joined adds s to the realm's sessions, once its WELCOME is queued, and
// fires wamp.session.on_join.
func (rl *realm) joined(s *session) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rl.members[s.id] = s
	rl.metaEvent(s, "wamp.session.on_join", s.metaDetails())
}

// left removes s from the realm's sessions, after detach, and fires
// wamp.session.on_leave.
func (rl *realm) left(s *session) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.members[s.id] != s {
		return
	}
	delete(rl.members, s.id)
	rl.metaEvent(s, "wamp.session.on_leave", uint64(s.id), s.auth.authid, s.auth.authrole)
}

func registrationDetails(reg *registration) wamp.Dict {
	return wamp.Dict{"id": uint64(reg.id), "created": reg.created.UTC().Format(time.RFC3339Nano),
		"uri": string(reg.procedure), "match": string(reg.match), "invoke": reg.invoke}
}

func subscriptionDetails(sub *subscription) wamp.Dict {
	return wamp.Dict{"id": uint64(sub.id), "created": sub.created.UTC().Format(time.RFC3339Nano),
		"uri": string(sub.topic), "match": string(sub.match)}
}

// metaArg returns the call's first argument, or nil.
func metaArg(m *wamp.Call) any {
	if len(m.Args) == 0 {
		return nil
	}
	return m.Args[0]
}

// result answers a meta call with one positional result.
func result(m *wamp.Call, v any) wamp.Message {
	return &wamp.Result{Request: m.Request, Details: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{v}}}
}

func badMetaArgument(m *wamp.Call, msg string) wamp.Message {
	return errorFor(wamp.CALL, m.Request, wamp.ErrInvalidArgument.URI, msg)
}

// roleFilter reads the optional filter_authroles argument.
func roleFilter(m *wamp.Call) (roles []string, ok bool) {
	if len(m.Args) == 0 || m.Args[0] == nil {
		return nil, true
	}
	list, isList := m.Args[0].(wamp.List)
	if !isList {
		return nil, false
	}
	for _, v := range list {
		r, isString := v.(string)
		if !isString {
			return nil, false
		}
		roles = append(roles, r)
	}
	return roles, true
}

// sessionsOf returns the realm's session IDs with an authrole in roles
// (all when roles is nil), sorted; sessions on their way out are left out.
func (rl *realm) sessionsOf(roles []string) []any {
	ids := make([]uint64, 0, len(rl.members))
	for id, s := range rl.members {
		if s.detached {
			continue // leaving (it said or was sent GOODBYE)
		}
		if roles == nil || slices.Contains(roles, s.auth.authrole) {
			ids = append(ids, uint64(id))
		}
	}
	slices.Sort(ids)
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func sessionCount(rl *realm, s *session, m *wamp.Call) wamp.Message {
	roles, ok := roleFilter(m)
	if !ok {
		return badMetaArgument(m, "filter_authroles must be a list of strings")
	}
	return result(m, len(rl.sessionsOf(roles)))
}

func sessionList(rl *realm, s *session, m *wamp.Call) wamp.Message {
	roles, ok := roleFilter(m)
	if !ok {
		return badMetaArgument(m, "filter_authroles must be a list of strings")
	}
	return result(m, wamp.List(rl.sessionsOf(roles)))
}

func sessionGet(rl *realm, s *session, m *wamp.Call) wamp.Message {
	id, ok := wamp.ToID(metaArg(m))
	if !ok {
		return badMetaArgument(m, "session ID expected")
	}
	other := rl.members[id]
	if other == nil || other.detached {
		return errorFor(wamp.CALL, m.Request, wamp.ErrNoSuchSession.URI, "")
	}
	return result(m, other.metaDetails())
}

// idLists groups IDs by match policy, each list sorted.
func idLists[T any](byID map[wamp.ID]T, match func(T) wamp.MatchPolicy) wamp.Dict {
	lists := map[wamp.MatchPolicy][]uint64{wamp.ExactMatch: {}, wamp.PrefixMatch: {}, wamp.WildcardMatch: {}}
	for id, v := range byID {
		lists[match(v)] = append(lists[match(v)], uint64(id))
	}
	d := wamp.Dict{}
	for k, ids := range lists {
		slices.Sort(ids)
		l := make(wamp.List, len(ids))
		for i, id := range ids {
			l[i] = id
		}
		d[string(k)] = l
	}
	return d
}

// lookupArgs reads (uri, options{match}) of the lookup procedures.
func lookupArgs(m *wamp.Call) (uri wamp.URI, match wamp.MatchPolicy, ok bool) {
	u, isString := metaArg(m).(string)
	if !isString {
		return "", "", false
	}
	match = wamp.ExactMatch
	if len(m.Args) > 1 && m.Args[1] != nil {
		opts, isDict := m.Args[1].(wamp.Dict)
		if !isDict {
			return "", "", false
		}
		s, ok := optString(opts, "match", string(wamp.ExactMatch))
		if !ok {
			return "", "", false
		}
		match = wamp.MatchPolicy(s)
	}
	return wamp.URI(u), match, true
}

func registrationList(rl *realm, s *session, m *wamp.Call) wamp.Message {
	return result(m, idLists(rl.regByID, func(r *registration) wamp.MatchPolicy { return r.match }))
}

func registrationLookup(rl *realm, s *session, m *wamp.Call) wamp.Message {
	uri, match, ok := lookupArgs(m)
	if !ok {
		return badMetaArgument(m, "procedure URI and options expected")
	}
	if reg, found := rl.regs.get(uri, match); found {
		return result(m, uint64(reg.id))
	}
	return result(m, nil)
}

func registrationMatch(rl *realm, s *session, m *wamp.Call) wamp.Message {
	uri, isString := metaArg(m).(string)
	if !isString {
		return badMetaArgument(m, "procedure URI expected")
	}
	if reg, _, found := rl.regs.best(wamp.URI(uri)); found {
		return result(m, uint64(reg.id))
	}
	return result(m, nil)
}

// byIDArg returns the value of byID named by the call's first argument, or
// the ERROR to answer: invalid_argument for no ID, notFound for an unknown
// one.
func byIDArg[T any](byID map[wamp.ID]*T, m *wamp.Call, what string, notFound wamp.URI) (*T, wamp.Message) {
	id, ok := wamp.ToID(metaArg(m))
	if !ok {
		return nil, badMetaArgument(m, what+" ID expected")
	}
	v := byID[id]
	if v == nil {
		return nil, errorFor(wamp.CALL, m.Request, notFound, "")
	}
	return v, nil
}

func registrationOf(rl *realm, m *wamp.Call) (*registration, wamp.Message) {
	return byIDArg(rl.regByID, m, "registration", wamp.ErrNoSuchRegistration.URI)
}

func registrationGet(rl *realm, s *session, m *wamp.Call) wamp.Message {
	reg, e := registrationOf(rl, m)
	if e != nil {
		return e
	}
	return result(m, registrationDetails(reg))
}

func sessionIDs(ss []*session) wamp.List {
	l := make(wamp.List, len(ss))
	for i, s := range ss {
		l[i] = uint64(s.id)
	}
	return l
}

func registrationCallees(rl *realm, s *session, m *wamp.Call) wamp.Message {
	reg, e := registrationOf(rl, m)
	if e != nil {
		return e
	}
	return result(m, sessionIDs(reg.callees))
}

func registrationCountCallees(rl *realm, s *session, m *wamp.Call) wamp.Message {
	reg, e := registrationOf(rl, m)
	if e != nil {
		return e
	}
	return result(m, len(reg.callees))
}

func subscriptionList(rl *realm, s *session, m *wamp.Call) wamp.Message {
	return result(m, idLists(rl.subByID, func(sub *subscription) wamp.MatchPolicy { return sub.match }))
}

func subscriptionLookup(rl *realm, s *session, m *wamp.Call) wamp.Message {
	uri, match, ok := lookupArgs(m)
	if !ok {
		return badMetaArgument(m, "topic URI and options expected")
	}
	if sub, found := rl.subs.get(uri, match); found {
		return result(m, uint64(sub.id))
	}
	return result(m, nil)
}

func subscriptionMatch(rl *realm, s *session, m *wamp.Call) wamp.Message {
	uri, isString := metaArg(m).(string)
	if !isString {
		return badMetaArgument(m, "topic URI expected")
	}
	var ids []uint64
	rl.subs.each(wamp.URI(uri), func(sub *subscription, _ wamp.MatchPolicy) bool {
		ids = append(ids, uint64(sub.id))
		return true
	})
	if len(ids) == 0 {
		return result(m, nil)
	}
	slices.Sort(ids)
	l := make(wamp.List, len(ids))
	for i, id := range ids {
		l[i] = id
	}
	return result(m, l)
}

func subscriptionOf(rl *realm, m *wamp.Call) (*subscription, wamp.Message) {
	return byIDArg(rl.subByID, m, "subscription", wamp.ErrNoSuchSubscription.URI)
}

func subscriptionGet(rl *realm, s *session, m *wamp.Call) wamp.Message {
	sub, e := subscriptionOf(rl, m)
	if e != nil {
		return e
	}
	return result(m, subscriptionDetails(sub))
}

func subscriptionSubscribers(rl *realm, s *session, m *wamp.Call) wamp.Message {
	sub, e := subscriptionOf(rl, m)
	if e != nil {
		return e
	}
	return result(m, sessionIDs(sub.subscribers))
}

func subscriptionCountSubscribers(rl *realm, s *session, m *wamp.Call) wamp.Message {
	sub, e := subscriptionOf(rl, m)
	if e != nil {
		return e
	}
	return result(m, len(sub.subscribers))
}
