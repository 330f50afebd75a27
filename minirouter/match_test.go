package minirouter

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

type entry struct {
	uri   wamp.URI
	match wamp.MatchPolicy
}

func (e entry) String() string { return string(e.match) + ":" + string(e.uri) }

// matchesRef is the reference: does pattern e match the concrete uri?
func matchesRef(e entry, uri wamp.URI) bool {
	switch e.match {
	case wamp.ExactMatch:
		return e.uri == uri
	case wamp.PrefixMatch:
		return wamp.MatchPrefix(e.uri, uri)
	case wamp.WildcardMatch:
		return wamp.MatchWildcard(e.uri, uri)
	}
	return false
}

func collect(tb *table[entry], uri wamp.URI) []string {
	var got []string
	tb.each(uri, func(e entry, match wamp.MatchPolicy) bool {
		if e.match != match {
			got = append(got, "MISLABELED "+e.String())
		}
		got = append(got, e.String())
		return true
	})
	slices.Sort(got)
	return got
}

func TestTableEach(t *testing.T) {
	tb := newTable[entry]()
	entries := []entry{
		{"a.b.c", wamp.ExactMatch}, {"a.b", wamp.ExactMatch},
		{"a", wamp.PrefixMatch}, {"a.b", wamp.PrefixMatch}, {"a.b.", wamp.PrefixMatch}, {"a.bx", wamp.PrefixMatch},
		{"a..c", wamp.WildcardMatch}, {"..c", wamp.WildcardMatch}, {"a.b.", wamp.WildcardMatch}, {"a.b", wamp.WildcardMatch}, {"..", wamp.WildcardMatch},
	}
	for _, e := range entries {
		tb.put(e.uri, e.match, e)
	}
	tests := []struct {
		uri  wamp.URI
		want []string
	}{
		{"a.b.c", []string{"exact:a.b.c", "prefix:a", "prefix:a.b", "prefix:a.b.", "wildcard:..", "wildcard:..c", "wildcard:a..c", "wildcard:a.b."}},
		{"a.b", []string{"exact:a.b", "prefix:a", "prefix:a.b", "wildcard:a.b"}},
		{"a.bxy", []string{"prefix:a", "prefix:a.b", "prefix:a.bx"}},
		{"b", nil},
		{"x.y.c", []string{"wildcard:..", "wildcard:..c"}},
	}
	for _, tc := range tests {
		if got := collect(tb, tc.uri); !slices.Equal(got, tc.want) {
			t.Errorf("each(%s) = %v, want %v", tc.uri, got, tc.want)
		}
	}
	// Removing everything leaves an empty table.
	for _, e := range entries {
		if _, ok := tb.get(e.uri, e.match); !ok {
			t.Errorf("get(%s) missing", e)
		}
		tb.del(e.uri, e.match)
		if _, ok := tb.get(e.uri, e.match); ok {
			t.Errorf("get(%s) after del", e)
		}
	}
	if len(tb.exact) != 0 || len(tb.prefix) != 0 || len(tb.prefixLens) != 0 || len(tb.lenCount) != 0 || !tb.wild.empty() {
		t.Errorf("table not empty after deleting everything: %+v", tb)
	}
}

func TestTableBest(t *testing.T) {
	tb := newTable[entry]()
	for _, e := range []entry{
		{"a.b.c", wamp.ExactMatch},
		{"a", wamp.PrefixMatch}, {"a.b", wamp.PrefixMatch},
		{"a..c", wamp.WildcardMatch}, {"..c", wamp.WildcardMatch}, {"x..", wamp.WildcardMatch}, {"x.y.", wamp.WildcardMatch},
	} {
		tb.put(e.uri, e.match, e)
	}
	tests := []struct {
		uri  wamp.URI
		want string
	}{
		{"a.b.c", "exact:a.b.c"},
		{"a.b.d", "prefix:a.b"},
		{"a.c", "prefix:a"},
		{"q.b.c", "wildcard:..c"},
		{"x.y.z", "wildcard:x.y."}, // concrete components win, left to right
		{"x.q.z", "wildcard:x.."},
		{"q", ""},
	}
	for _, tc := range tests {
		e, match, ok := tb.best(tc.uri)
		got := ""
		if ok {
			got = e.String()
			if match != e.match {
				t.Errorf("best(%s) labeled %s", tc.uri, match)
			}
		}
		if got != tc.want {
			t.Errorf("best(%s) = %q, want %q", tc.uri, got, tc.want)
		}
	}
}

// TestTableRandom checks each against the wamp package's matchers for
// random patterns and URIs over a small alphabet, with deletions.
func TestTableRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	comps := []string{"a", "b", "ab", "c"}
	randURI := func(allowEmpty bool) wamp.URI {
		n := 1 + rng.IntN(4)
		parts := make([]string, n)
		for i := range parts {
			if allowEmpty && rng.IntN(3) == 0 {
				continue
			}
			parts[i] = comps[rng.IntN(len(comps))]
		}
		return wamp.URI(strings.Join(parts, "."))
	}
	tb := newTable[entry]()
	live := map[entry]bool{}
	for round := range 3000 {
		var e entry
		switch rng.IntN(3) {
		case 0:
			e = entry{randURI(false), wamp.ExactMatch}
		case 1:
			u := randURI(false)
			e = entry{u[:1+rng.IntN(len(u))], wamp.PrefixMatch}
		case 2:
			e = entry{randURI(true), wamp.WildcardMatch}
		}
		if live[e] && rng.IntN(2) == 0 {
			tb.del(e.uri, e.match)
			delete(live, e)
		} else {
			tb.put(e.uri, e.match, e)
			live[e] = true
		}
		uri := randURI(false)
		var want []string
		for l := range live {
			if matchesRef(l, uri) {
				want = append(want, l.String())
			}
		}
		slices.Sort(want)
		if got := collect(tb, uri); !slices.Equal(got, want) {
			t.Fatalf("round %d: each(%s) = %v, want %v", round, uri, got, want)
		}
	}
}

func BenchmarkTableEach(b *testing.B) {
	tb := newTable[entry]()
	for i := range 1000 {
		tb.put(wamp.URI(fmt.Sprintf("com.app.sensor%d.temp", i)), wamp.ExactMatch, entry{})
		tb.put(wamp.URI(fmt.Sprintf("com.app.sensor%d", i)), wamp.PrefixMatch, entry{})
		tb.put(wamp.URI(fmt.Sprintf("com.app%d..temp", i)), wamp.WildcardMatch, entry{})
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		tb.each("com.app.sensor500.temp", func(entry, wamp.MatchPolicy) bool { n++; return true })
	}
	_ = n
}
