package uplink

import (
	"fmt"
	"strings"

	"github.com/edgewamp/edgewamp/wamp"
)

// Rule maps local URIs to upstream URIs, for topics or procedures. It
// is plain data.
//
// With Match "prefix" (the default), Local and Upstream are prefixes and a
// URI is rewritten by swapping them: with Local "sensor." and Upstream
// "com.acme.site7.sensor.", the local "sensor.temp" is the upstream
// "com.acme.site7.sensor.temp" and back. With Match "exact", Local and
// Upstream are single URIs. An empty Upstream means the same as Local.
type Rule struct {
	Local    wamp.URI         `json:"local"`
	Upstream wamp.URI         `json:"upstream,omitempty"`
	Match    wamp.MatchPolicy `json:"match,omitempty"`
}

// check validates the rule and fills the defaults.
func (r *Rule) check() error {
	if r.Match == "" {
		r.Match = wamp.PrefixMatch
	}
	if r.Upstream == "" {
		r.Upstream = r.Local
	}
	switch r.Match {
	case wamp.PrefixMatch, wamp.ExactMatch:
	default:
		return fmt.Errorf("uplink rule %q: match %q (want prefix or exact)", r.Local, r.Match)
	}
	valid := func(u wamp.URI) bool { // a prefix may end in an empty component ("a.b.")
		if r.Match == wamp.ExactMatch {
			return wamp.ValidURI(u, false, false)
		}
		return u != "" && wamp.ValidURI(u, false, true)
	}
	if !valid(r.Local) || !valid(r.Upstream) {
		return fmt.Errorf("uplink rule %q → %q: invalid URI for match %s", r.Local, r.Upstream, r.Match)
	}
	return nil
}

// up rewrites a local URI (or pattern) to the upstream one; ok is false
// when the rule does not apply.
func (r *Rule) up(u wamp.URI) (wamp.URI, bool) { return rewrite(u, r.Local, r.Upstream, r.Match) }

// down rewrites an upstream URI (or pattern) to the local one.
func (r *Rule) down(u wamp.URI) (wamp.URI, bool) {
	return rewrite(u, r.Upstream, r.Local, r.Match)
}

func rewrite(u, from, to wamp.URI, match wamp.MatchPolicy) (wamp.URI, bool) {
	if match == wamp.ExactMatch {
		return to, u == from
	}
	rest, ok := strings.CutPrefix(string(u), string(from))
	switch {
	case !ok:
		return "", false
	case from == to: // the same URI: no copy
		return u, true
	}
	return to + wamp.URI(rest), true
}
