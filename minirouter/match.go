package minirouter

import (
	"slices"
	"strings"

	"github.com/edgewamp/edgewamp/wamp"
)

// optMatch reads the "match" option of SUBSCRIBE or REGISTER: ExactMatch
// when absent or null, and ok false when it is not one of the three
// policies.
func optMatch(d wamp.Dict) (p wamp.MatchPolicy, ok bool) {
	s, ok := optString(d, "match", string(wamp.ExactMatch))
	p = wamp.MatchPolicy(s)
	return p, ok && p.Valid()
}

// table indexes values (subscriptions or registrations) by URI pattern:
// exact URIs in a map, prefixes in a map keyed by the prefix plus the sorted
// set of prefix lengths in use (a lookup probes one map entry per length, not
// every pattern), and wildcard patterns in a trie by URI component. A table
// is not safe for concurrent use; the realm's mutex guards it.
type table[T any] struct {
	exact map[wamp.URI]T

	prefix     map[wamp.URI]T
	prefixLens []int       // distinct lengths of the keys of prefix, ascending
	lenCount   map[int]int // number of prefixes of each length

	wild wnode[T] // root of the wildcard trie (matches nothing itself)
}

// wnode is a node of the wildcard trie: the path from the root spells the
// components of a pattern; empty components ("a..c") follow any.
type wnode[T any] struct {
	children map[string]*wnode[T]
	any      *wnode[T]
	val      T
	has      bool
}

func newTable[T any]() *table[T] {
	return &table[T]{
		exact:    make(map[wamp.URI]T),
		prefix:   make(map[wamp.URI]T),
		lenCount: make(map[int]int),
	}
}

// get returns the value stored for exactly this (uri, match).
func (t *table[T]) get(uri wamp.URI, match wamp.MatchPolicy) (T, bool) {
	var zero T
	switch match {
	case wamp.ExactMatch:
		v, ok := t.exact[uri]
		return v, ok
	case wamp.PrefixMatch:
		v, ok := t.prefix[uri]
		return v, ok
	case wamp.WildcardMatch:
		n := &t.wild
		for comp := range wamp.URIComponents(uri) {
			if n = n.child(comp); n == nil {
				return zero, false
			}
		}
		return n.val, n.has
	}
	return zero, false
}

// put stores v for (uri, match), replacing any previous value.
func (t *table[T]) put(uri wamp.URI, match wamp.MatchPolicy, v T) {
	switch match {
	case wamp.ExactMatch:
		t.exact[uri] = v
	case wamp.PrefixMatch:
		if _, ok := t.prefix[uri]; !ok {
			l := len(uri)
			t.lenCount[l]++
			if t.lenCount[l] == 1 {
				i, _ := slices.BinarySearch(t.prefixLens, l)
				t.prefixLens = slices.Insert(t.prefixLens, i, l)
			}
		}
		t.prefix[uri] = v
	case wamp.WildcardMatch:
		n := &t.wild
		for comp := range wamp.URIComponents(uri) {
			n = n.makeChild(comp)
		}
		n.val, n.has = v, true
	}
}

// del removes the value stored for (uri, match), if any.
func (t *table[T]) del(uri wamp.URI, match wamp.MatchPolicy) {
	switch match {
	case wamp.ExactMatch:
		delete(t.exact, uri)
	case wamp.PrefixMatch:
		if _, ok := t.prefix[uri]; !ok {
			return
		}
		delete(t.prefix, uri)
		l := len(uri)
		if t.lenCount[l]--; t.lenCount[l] == 0 {
			delete(t.lenCount, l)
			if i, ok := slices.BinarySearch(t.prefixLens, l); ok {
				t.prefixLens = slices.Delete(t.prefixLens, i, i+1)
			}
		}
	case wamp.WildcardMatch:
		t.wild.remove(string(uri))
	}
}

// each calls fn for every value whose pattern matches uri (a concrete URI):
// the exact one, every prefix, every wildcard pattern. It stops when fn
// returns false. The cost is one map probe, one probe per distinct prefix
// length up to len(uri), and a trie walk bounded by the URI's components.
func (t *table[T]) each(uri wamp.URI, fn func(v T, match wamp.MatchPolicy) bool) {
	if v, ok := t.exact[uri]; ok && !fn(v, wamp.ExactMatch) {
		return
	}
	for _, l := range t.prefixLens {
		if l > len(uri) {
			break
		}
		if v, ok := t.prefix[uri[:l]]; ok && !fn(v, wamp.PrefixMatch) {
			return
		}
	}
	if t.wild.children != nil || t.wild.any != nil {
		t.wild.walk(string(uri), func(v T) bool { return fn(v, wamp.WildcardMatch) })
	}
}

// best returns the value whose pattern matches uri with the highest
// precedence (WAMP pattern-based registration): the exact match, else the
// longest matching prefix, else a wildcard match, preferring at each
// component, from left to right, a concrete component over an empty one.
func (t *table[T]) best(uri wamp.URI) (v T, match wamp.MatchPolicy, ok bool) {
	if v, ok := t.exact[uri]; ok {
		return v, wamp.ExactMatch, true
	}
	for i := len(t.prefixLens) - 1; i >= 0; i-- {
		l := t.prefixLens[i]
		if l > len(uri) {
			continue
		}
		if v, ok := t.prefix[uri[:l]]; ok {
			return v, wamp.PrefixMatch, true
		}
	}
	t.wild.walk(string(uri), func(w T) bool {
		v, match, ok = w, wamp.WildcardMatch, true
		return false
	})
	return v, match, ok
}

// child returns the child for a pattern component ("" = the any child).
func (n *wnode[T]) child(comp string) *wnode[T] {
	if comp == "" {
		return n.any
	}
	return n.children[comp]
}

// makeChild returns the child for a pattern component, creating it if needed.
func (n *wnode[T]) makeChild(comp string) *wnode[T] {
	if comp == "" {
		if n.any == nil {
			n.any = &wnode[T]{}
		}
		return n.any
	}
	c := n.children[comp]
	if c == nil {
		if n.children == nil {
			n.children = make(map[string]*wnode[T])
		}
		c = &wnode[T]{}
		n.children[comp] = c
	}
	return c
}

// empty reports whether n holds no value and has no children.
func (n *wnode[T]) empty() bool { return !n.has && n.any == nil && len(n.children) == 0 }

// remove clears the value at the pattern and prunes the nodes left empty.
func (n *wnode[T]) remove(pattern string) {
	comp, rest, more := strings.Cut(pattern, ".")
	c := n.child(comp)
	if c == nil {
		return
	}
	if more {
		c.remove(rest)
	} else {
		var zero T
		c.val, c.has = zero, false
	}
	if c.empty() {
		if comp == "" {
			n.any = nil
		} else {
			delete(n.children, comp)
		}
	}
}

// walk calls fn for every value whose pattern matches the concrete URI rest,
// concrete children before the any child at each level, and reports whether
// fn asked to continue.
func (n *wnode[T]) walk(rest string, fn func(T) bool) bool {
	comp, tail, more := strings.Cut(rest, ".")
	if c := n.children[comp]; c != nil && !c.visit(tail, more, fn) {
		return false
	}
	if c := n.any; c != nil && comp != "" && !c.visit(tail, more, fn) {
		return false
	}
	return true
}

// visit continues a walk at n after one component was consumed.
func (n *wnode[T]) visit(tail string, more bool, fn func(T) bool) bool {
	if more {
		return n.walk(tail, fn)
	}
	if n.has {
		return fn(n.val)
	}
	return true
}
