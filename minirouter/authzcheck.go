package minirouter

import (
	"fmt"

	"github.com/edgewamp/edgewamp/wamp"
)

// Allowed reports whether a session of realm with authid and authrole may
// do action ([ActionCall], [ActionRegister], [ActionPublish] or
// [ActionSubscribe]) on uri (an exact URI), by the realm's permissions
// exactly as the router decides that session's requests: true in a realm
// without permissions. Unlike a refused request, a false answer is neither
// counted nor logged. It lets a page hide what its user may not do (the
// router still refuses a request made anyway). It returns an error for an
// unknown realm or action. Safe for concurrent use.
func (r *Router) Allowed(realm wamp.URI, authid, authrole, action string, uri wamp.URI) (bool, error) {
	rl := r.realms[realm]
	if rl == nil {
		return false, fmt.Errorf("minirouter: no realm %s", realm)
	}
	switch action {
	case ActionCall, ActionRegister, ActionPublish, ActionSubscribe:
	default:
		return false, fmt.Errorf("minirouter: unknown action %q (want call, register, publish or subscribe)", action)
	}
	return rl.authz.allows(authid, authrole, action, uri, wamp.ExactMatch), nil
}
