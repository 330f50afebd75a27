package minirouter

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/edgewamp/edgewamp/wamp"
)

// Authorization actions of a [Permission].
const (
	ActionCall      = "call"
	ActionRegister  = "register"
	ActionPublish   = "publish"
	ActionSubscribe = "subscribe"
)

// AuthIDPlaceholder in a [Permission]'s URI stands for the session's own
// authid, so that one rule gives each device its own prefix.
const AuthIDPlaceholder = "{authid}"

// Permission is one authorization rule of a realm: for sessions of Role,
// the Actions on URIs matching URI (with Match) are allowed, or denied when
// Deny is set. It is plain data (with the JSON names of sensorbridge's
// configuration).
type Permission struct {
	// Role is the authrole the rule is for; "*" for every role.
	Role string `json:"role"`
	// URI is the pattern; "{authid}" in it stands for the session's authid
	// (a rule whose authid is not a valid URI component matches nothing).
	URI string `json:"uri"`
	// Match is how URI is compared, as in SUBSCRIBE and REGISTER:
	// [wamp.ExactMatch] (the default, also ""), [wamp.PrefixMatch] or
	// [wamp.WildcardMatch]; in JSON, "exact", "prefix" or "wildcard".
	Match wamp.MatchPolicy `json:"match,omitempty"`
	// Actions are among "call", "register", "publish" and "subscribe".
	Actions []string `json:"actions"`
	// Deny makes the rule deny its actions instead of allowing them.
	Deny bool `json:"deny,omitempty"`
}

// authorizer decides requests from a realm's permissions: the first rule
// for the session's role and the action that decides the request wins. An
// allow rule decides a request it covers entirely (a prefix subscription is
// allowed only by a rule that allows every topic it could match); a deny
// rule decides any request it overlaps. With no rule deciding, the request
// is denied. A realm without permissions allows everything (nil
// authorizer). Read-only after newAuthorizer: safe for concurrent use.
type authorizer struct {
	rules []Permission
}

// newAuthorizer checks perms and returns their authorizer, or nil when
// there are none.
func newAuthorizer(perms []Permission) (*authorizer, error) {
	if len(perms) == 0 {
		return nil, nil
	}
	a := &authorizer{rules: make([]Permission, len(perms))}
	for i, p := range perms {
		if p.Match == "" {
			p.Match = wamp.ExactMatch
		}
		if p.Role == "" {
			return nil, fmt.Errorf("permission %d: no role (use \"*\" for every role)", i+1)
		}
		if !p.Match.Valid() {
			return nil, fmt.Errorf("permission %d: unknown match %q (want exact, prefix or wildcard)", i+1, p.Match)
		}
		probe := wamp.URI(strings.ReplaceAll(p.URI, AuthIDPlaceholder, "x"))
		if !validPattern(probe, p.Match) && !(p.Match == wamp.PrefixMatch && p.URI == "") {
			return nil, fmt.Errorf("permission %d: invalid %s URI pattern %q", i+1, p.Match, p.URI)
		}
		if len(p.Actions) == 0 {
			return nil, fmt.Errorf("permission %d: no actions", i+1)
		}
		for _, act := range p.Actions {
			if !slices.Contains([]string{ActionCall, ActionRegister, ActionPublish, ActionSubscribe}, act) {
				return nil, fmt.Errorf("permission %d: unknown action %q (want call, register, publish or subscribe)", i+1, act)
			}
		}
		a.rules[i] = p
	}
	return a, nil
}

// allows reports whether a session with authid and authrole may do action
// on (uri, match).
func (a *authorizer) allows(authid, authrole, action string, uri wamp.URI, match wamp.MatchPolicy) bool {
	if a == nil {
		return true
	}
	for i := range a.rules {
		p := &a.rules[i]
		if (p.Role != "*" && p.Role != authrole) || !slices.Contains(p.Actions, action) {
			continue
		}
		pattern, ok := expandAuthID(p.URI, authid)
		if !ok {
			continue
		}
		if p.Deny {
			if overlaps(pattern, p.Match, uri, match) {
				return false
			}
		} else if covers(pattern, p.Match, uri, match) {
			return true
		}
	}
	return false
}

// expandAuthID replaces {authid} in pattern; ok is false when authid cannot
// stand in a URI (empty, or with a dot, a space or a '#').
func expandAuthID(pattern, authid string) (wamp.URI, bool) {
	if !strings.Contains(pattern, AuthIDPlaceholder) {
		return wamp.URI(pattern), true
	}
	if authid == "" || strings.ContainsAny(authid, ". \t\n#") {
		return "", false
	}
	return wamp.URI(strings.ReplaceAll(pattern, AuthIDPlaceholder, authid)), true
}

// wildcardHead returns the part of a wildcard pattern before its first
// empty component, with its dot: every URI it matches starts with it.
func wildcardHead(w wamp.URI) wamp.URI {
	s := string(w)
	if strings.HasPrefix(s, ".") {
		return ""
	}
	if i := strings.Index(s, ".."); i >= 0 {
		return wamp.URI(s[:i+1])
	}
	return w // empty at the end only ("a.b."), or none: the pattern is one URI
}

// covers reports whether every URI the request (uri, match) can name is
// matched by the rule (pattern, rmatch).
func covers(pattern wamp.URI, rmatch wamp.MatchPolicy, uri wamp.URI, match wamp.MatchPolicy) bool {
	switch match {
	case wamp.ExactMatch:
		return rmatch.Match(pattern, uri)
	case wamp.PrefixMatch:
		return rmatch == wamp.PrefixMatch && wamp.MatchPrefix(pattern, uri)
	case wamp.WildcardMatch:
		switch rmatch {
		case wamp.ExactMatch:
			return !strings.Contains("."+string(uri)+".", "..") && pattern == uri
		case wamp.PrefixMatch:
			return wamp.MatchPrefix(pattern, wildcardHead(uri))
		case wamp.WildcardMatch:
			return wildcardCovers(pattern, uri)
		}
	}
	return false
}

// wildcardCovers reports whether the wildcard rule r matches every URI the
// wildcard pattern w matches: as many components, and each of r's empty or
// equal to w's.
func wildcardCovers(r, w wamp.URI) bool {
	rc, wc := strings.Split(string(r), "."), strings.Split(string(w), ".")
	if len(rc) != len(wc) {
		return false
	}
	for i := range rc {
		if rc[i] != "" && rc[i] != wc[i] {
			return false
		}
	}
	return true
}

// overlaps reports, erring on the side of yes, whether some URI is named
// both by the request (uri, match) and by the rule (pattern, rmatch).
func overlaps(pattern wamp.URI, rmatch wamp.MatchPolicy, uri wamp.URI, match wamp.MatchPolicy) bool {
	if match == wamp.ExactMatch {
		return rmatch.Match(pattern, uri)
	}
	if rmatch == wamp.ExactMatch {
		return match.Match(uri, pattern)
	}
	related := func(a, b wamp.URI) bool { return wamp.MatchPrefix(a, b) || wamp.MatchPrefix(b, a) }
	a, b := uri, pattern
	if match == wamp.WildcardMatch {
		a = wildcardHead(uri)
	}
	if rmatch == wamp.WildcardMatch {
		b = wildcardHead(pattern)
	}
	if match == wamp.WildcardMatch && rmatch == wamp.WildcardMatch {
		rc, wc := strings.Split(string(pattern), "."), strings.Split(string(uri), ".")
		if len(rc) != len(wc) {
			return false
		}
		for i := range rc {
			if rc[i] != "" && wc[i] != "" && rc[i] != wc[i] {
				return false
			}
		}
		return true
	}
	return related(a, b)
}

// authorize checks that s may do action on (uri, match); when it may not,
// the denial is counted and logged (at a limited rate) and false returned.
// The caller answers wamp.error.not_authorized where the request has an
// answer.
func (rl *realm) authorize(s *session, action string, uri wamp.URI, match wamp.MatchPolicy) bool {
	if rl.authz.allows(s.auth.authid, s.auth.authrole, action, uri, match) {
		return true
	}
	n := rl.r.stats.authorizationDenials.Add(1)
	if line := "not authorized"; rl.allowLog(line) {
		rl.logLater(slog.LevelWarn, line, "realm", rl.name, "session", s.id, "authid", s.auth.authid,
			"authrole", s.auth.authrole, "action", action, "uri", uri, "match", match, "total_denied", n)
	}
	return false
}

// notAuthorized builds the ERROR answer for a denied request.
func notAuthorized(t wamp.MessageType, req wamp.ID, action string, uri wamp.URI) *wamp.ErrorMessage {
	return errorFor(t, req, wamp.ErrNotAuthorized.URI, fmt.Sprintf("not authorized to %s %s", action, uri))
}
