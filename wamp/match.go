package wamp

import (
	"iter"
	"strings"
)

// MatchPolicy is the "match" option of SUBSCRIBE and REGISTER: how a
// subscription's topic or a registration's procedure is compared with URIs.
type MatchPolicy string

// The match policies of the spec ("Pattern-based Subscriptions" and
// "Pattern-based Registrations").
const (
	ExactMatch    MatchPolicy = "exact"
	PrefixMatch   MatchPolicy = "prefix"
	WildcardMatch MatchPolicy = "wildcard"
)

// MatchPolicyOf reads the "match" option of opts: ExactMatch when it is
// absent, and ok false when it is not one of the three policies. It is safe
// for concurrent use.
func MatchPolicyOf(opts Dict) (p MatchPolicy, ok bool) {
	v, present := opts["match"]
	if !present {
		return ExactMatch, true
	}
	s, _ := v.(string)
	if p := MatchPolicy(s); p.Valid() {
		return p, true
	}
	return "", false
}

// Valid reports whether p is one of the three policies of the spec ("" is
// not: an absent option reads as ExactMatch, see [MatchPolicyOf]). It is
// safe for concurrent use.
func (p MatchPolicy) Valid() bool {
	return p == ExactMatch || p == PrefixMatch || p == WildcardMatch
}

// Match reports whether uri matches pattern under policy p; an unknown
// policy matches nothing. It is safe for concurrent use.
func (p MatchPolicy) Match(pattern, uri URI) bool {
	switch p {
	case ExactMatch, "":
		return pattern == uri
	case PrefixMatch:
		return MatchPrefix(pattern, uri)
	case WildcardMatch:
		return MatchWildcard(pattern, uri)
	}
	return false
}

// MatchPrefix reports whether uri starts with prefix. As in the spec's
// examples, this is a plain string prefix, not a component prefix:
// "com.myapp.topic.emergency" matches "com.myapp.topic.emergency-low" as well
// as "com.myapp.topic.emergency.11". It is safe for concurrent use.
func MatchPrefix(prefix, uri URI) bool {
	return strings.HasPrefix(string(uri), string(prefix))
}

// MatchWildcard reports whether uri matches the wildcard pattern: both have
// the same number of components, and each non-empty component of the pattern
// equals the uri's component at the same place (an empty one matches any
// single component). "com..update" matches "com.myapp.update" but not
// "com.update" or "com.a.b.update". It is safe for concurrent use and does
// not allocate.
func MatchWildcard(pattern, uri URI) bool {
	p, u := string(pattern), string(uri)
	for {
		pc, prest, pmore := strings.Cut(p, ".")
		uc, urest, umore := strings.Cut(u, ".")
		if pc != "" && pc != uc || pmore != umore {
			return false
		}
		if !pmore {
			return true
		}
		p, u = prest, urest
	}
}

// URIComponents yields the components of u, in order, without allocating:
// "a.b.c" yields "a", "b", "c"; "a..c" yields "a", "", "c"; "" yields one
// empty component. The router's pattern tries walk URIs with it. It is safe
// for concurrent use.
func URIComponents(u URI) iter.Seq[string] {
	return func(yield func(string) bool) {
		s := string(u)
		for {
			c, rest, more := strings.Cut(s, ".")
			if !yield(c) || !more {
				return
			}
			s = rest
		}
	}
}

// CountComponents returns the number of components of u (the number of '.'
// plus one). It is safe for concurrent use.
func CountComponents(u URI) int { return strings.Count(string(u), ".") + 1 }
