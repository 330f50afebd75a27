package minirouter

import (
	"github.com/edgewamp/edgewamp/wamp"
)

// The revocation meta procedures take one session off a registration or a
// subscription:
//
//	wamp.registration.remove_callee(registration_id, callee_session_id, reason?)
//	wamp.subscription.remove_subscriber(subscription_id, subscriber_session_id, reason?)
//
// reason is an optional URI (positional, or kwargs.reason). The router
// publishes the same meta events as for an UNREGISTER or UNSUBSCRIBE
// (wamp.registration.on_unregister, and on_delete when the registration is
// left without callees; wamp.subscription.on_unsubscribe and on_delete), and
// tells the removed session with [UNREGISTERED, 0, {registration, reason}] or
// [UNSUBSCRIBED, 0, {subscription, reason}] when it announced
// callee.features.registration_revocation or
// subscriber.features.subscription_revocation (the spec forbids the message
// to a subscriber that did not). Invocations of the registration already
// sent to the callee stay pending, as after an UNREGISTER. Like the kill
// procedures they are refused (wamp.error.not_authorized) in a realm
// without permissions: a realm must grant them to a role.

// revokeArgs reads the arguments common to both procedures: the
// registration or subscription ID, the session ID and the optional reason.
func revokeArgs(m *wamp.Call) (id, session wamp.ID, reason wamp.URI, bad wamp.Message) {
	if len(m.Args) < 2 {
		return 0, 0, "", badMetaArgument(m, "two IDs expected: the registration or subscription and the session")
	}
	id, ok1 := wamp.ToID(m.Args[0])
	session, ok2 := wamp.ToID(m.Args[1])
	if !ok1 || !ok2 {
		return 0, 0, "", badMetaArgument(m, "two IDs expected: the registration or subscription and the session")
	}
	v, given := m.Kwargs["reason"]
	if len(m.Args) > 2 {
		v, given = m.Args[2], m.Args[2] != nil
	}
	if given {
		r, isString := v.(string)
		if !isString || !wamp.ValidURI(wamp.URI(r), false, false) {
			return 0, 0, "", errorFor(wamp.CALL, m.Request, wamp.ErrInvalidURI.URI, "reason must be a URI")
		}
		reason = wamp.URI(r)
	}
	return id, session, reason, nil
}

// revocationDetails is the Details of the UNREGISTERED or UNSUBSCRIBED
// that tells a session of a revocation.
func revocationDetails(key string, id wamp.ID, reason wamp.URI) wamp.Dict {
	d := wamp.Dict{key: uint64(id)}
	if reason != "" {
		d["reason"] = string(reason)
	}
	return d
}

// revoke runs a revocation procedure: remove takes the session off the
// registration or subscription id and tells it, and reports false when the
// session is not on it (ERROR noSuch). rl.mu must be held.
func (rl *realm) revoke(m *wamp.Call, noSuch wamp.URI, remove func(target *session, id wamp.ID, reason wamp.URI) bool) wamp.Message {
	id, sid, reason, bad := revokeArgs(m)
	if bad != nil {
		return bad
	}
	if e := killAllowed(rl, m); e != nil {
		return e
	}
	target := rl.members[sid]
	if target == nil || target.detached {
		return errorFor(wamp.CALL, m.Request, wamp.ErrNoSuchSession.URI, "")
	}
	if !remove(target, id, reason) {
		return errorFor(wamp.CALL, m.Request, noSuch, "the session is not on it")
	}
	return &wamp.Result{Request: m.Request, Details: wamp.Dict{}}
}

func registrationRemoveCallee(rl *realm, _ *session, m *wamp.Call) wamp.Message {
	return rl.revoke(m, wamp.ErrNoSuchRegistration.URI, func(callee *session, id wamp.ID, reason wamp.URI) bool {
		reg := callee.tables().regs[id]
		if reg == nil {
			return false
		}
		delete(callee.tabs.regs, id)
		rl.dropCallee(reg, callee)
		if callee.calleeRevoke {
			callee.reply(&wamp.Unregistered{Request: 0, Details: revocationDetails("registration", id, reason)})
		}
		return true
	})
}

func subscriptionRemoveSubscriber(rl *realm, _ *session, m *wamp.Call) wamp.Message {
	return rl.revoke(m, wamp.ErrNoSuchSubscription.URI, func(subscriber *session, id wamp.ID, reason wamp.URI) bool {
		sub := subscriber.tables().subs[id]
		if sub == nil {
			return false
		}
		delete(subscriber.tabs.subs, id)
		rl.dropSubscriber(sub, subscriber)
		if subscriber.subRevoke {
			subscriber.reply(&wamp.Unsubscribed{Request: 0, Details: revocationDetails("subscription", id, reason)})
		}
		return true
	})
}
