package minirouter

import (
	"github.com/edgewamp/edgewamp/wamp"
)

// The session meta API's kill procedures end other sessions of the realm
// with GOODBYE (reason and message from the call's kwargs; default
// wamp.close.normal). They are powerful, so a realm without permissions,
// where everything else is allowed, refuses them with
// wamp.error.not_authorized: a realm must grant them explicitly to a role.
// The caller's own session is never killed.

// killArgs reads kwargs reason (a URI, default wamp.close.normal) and
// message.
func killArgs(m *wamp.Call) (reason wamp.URI, message string, bad wamp.Message) {
	reason = wamp.CloseNormal.URI
	if v, ok := m.Kwargs["reason"]; ok {
		r, isString := v.(string)
		if !isString || r == "" || !wamp.ValidURI(wamp.URI(r), false, false) {
			return "", "", errorFor(wamp.CALL, m.Request, wamp.ErrInvalidURI.URI, "reason must be a URI")
		}
		reason = wamp.URI(r)
	}
	if v, ok := m.Kwargs["message"]; ok {
		msg, isString := v.(string)
		if !isString {
			return "", "", badMetaArgument(m, "message must be a string")
		}
		message = msg
	}
	return reason, message, nil
}

// killAllowed refuses the kill procedures in a realm without permissions.
func killAllowed(rl *realm, m *wamp.Call) wamp.Message {
	if rl.authz == nil {
		rl.r.stats.authorizationDenials.Add(1)
		return errorFor(wamp.CALL, m.Request, wamp.ErrNotAuthorized.URI,
			"the kill procedures need a realm with permissions that grant them")
	}
	return nil
}

// killWhere kills the realm's other sessions that match and returns how
// many.
func (rl *realm) killWhere(caller *session, m *wamp.Call, match func(*session) bool, testaments bool) (int, wamp.Message) {
	if e := killAllowed(rl, m); e != nil {
		return 0, e
	}
	reason, message, bad := killArgs(m)
	if bad != nil {
		return 0, bad
	}
	n := 0
	for _, s := range rl.members {
		if s != caller && !s.detached && match(s) {
			if !testaments && s.tabs != nil {
				s.tabs.testaments = [2][]testament{}
			}
			if s.kill(reason, message) {
				n++
			}
		}
	}
	return n, nil
}

func sessionKill(rl *realm, s *session, m *wamp.Call) wamp.Message {
	id, ok := wamp.ToID(metaArg(m))
	if !ok {
		return badMetaArgument(m, "session ID expected")
	}
	target := rl.members[id]
	if target == nil || target == s || target.detached {
		if e := killAllowed(rl, m); e != nil {
			return e
		}
		return errorFor(wamp.CALL, m.Request, wamp.ErrNoSuchSession.URI, "")
	}
	if _, e := rl.killWhere(s, m, func(o *session) bool { return o == target }, true); e != nil {
		return e
	}
	return &wamp.Result{Request: m.Request, Details: wamp.Dict{}}
}

func sessionKillByAuthID(rl *realm, s *session, m *wamp.Call) wamp.Message {
	authid, ok := metaArg(m).(string)
	if !ok {
		return badMetaArgument(m, "authid expected")
	}
	n, e := rl.killWhere(s, m, func(o *session) bool { return o.auth.authid == authid }, true)
	if e != nil {
		return e
	}
	return result(m, n)
}

func sessionKillByAuthRole(rl *realm, s *session, m *wamp.Call) wamp.Message {
	role, ok := metaArg(m).(string)
	if !ok {
		return badMetaArgument(m, "authrole expected")
	}
	n, e := rl.killWhere(s, m, func(o *session) bool { return o.auth.authrole == role }, true)
	if e != nil {
		return e
	}
	return result(m, n)
}

// sessionKillAll kills every other session; as the spec says, their
// testaments are not published (nobody would be left to receive them).
func sessionKillAll(rl *realm, s *session, m *wamp.Call) wamp.Message {
	n, e := rl.killWhere(s, m, func(*session) bool { return true }, false)
	if e != nil {
		return e
	}
	return result(m, n)
}
