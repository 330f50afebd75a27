package wamp

import "testing"

func TestValidURI(t *testing.T) {
	tests := []struct {
		uri                   URI
		loose, strict         bool // empty components not allowed
		looseEmpty, strictEmp bool // empty components allowed
	}{
		{"com.myapp.topic1", true, true, true, true},
		{"com.my_app.x2", true, true, true, true},
		{"a", true, true, true, true},
		{"com.myApp.topic", true, false, true, false},
		{"com.my-app.topic", true, false, true, false},
		{"com.mÿapp", true, false, true, false},
		{"com..topic", false, false, true, true},
		{".com", false, false, true, true},
		{"com.", false, false, true, true},
		{".", false, false, true, true},
		{"", false, false, true, true},
		{"com.my app", false, false, false, false},
		{"com.my\tapp", false, false, false, false},
		{"com.my#app", false, false, false, false},
		{"com.myapp\n", false, false, false, false},
		{"wamp.error.no_such_procedure", true, true, true, true},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			strict, empty, want bool
		}{{false, false, tt.loose}, {true, false, tt.strict}, {false, true, tt.looseEmpty}, {true, true, tt.strictEmp}} {
			if got := ValidURI(tt.uri, c.strict, c.empty); got != c.want {
				t.Errorf("ValidURI(%q, strict=%v, empty=%v) = %v, want %v", tt.uri, c.strict, c.empty, got, c.want)
			}
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		policy       MatchPolicy
		pattern, uri URI
		want         bool
	}{
		{ExactMatch, "a.b", "a.b", true},
		{ExactMatch, "a.b", "a.b.c", false},
		{"", "a.b", "a.b", true},
		// The spec's prefix examples.
		{PrefixMatch, "com.myapp.topic.emergency", "com.myapp.topic.emergency.11", true},
		{PrefixMatch, "com.myapp.topic.emergency", "com.myapp.topic.emergency-low", true},
		{PrefixMatch, "com.myapp.topic.emergency", "com.myapp.topic.emergency.category.severe", true},
		{PrefixMatch, "com.myapp.topic.emergency", "com.myapp.topic.emergency", true},
		{PrefixMatch, "com.myapp.topic.emergency", "com.myapp.topic.emerg", false},
		// The spec's wildcard examples.
		{WildcardMatch, "com.myapp..userevent", "com.myapp.foo.userevent", true},
		{WildcardMatch, "com.myapp..userevent", "com.myapp.bar.userevent", true},
		{WildcardMatch, "com.myapp..userevent", "com.myapp.a12.userevent", true},
		{WildcardMatch, "com.myapp..userevent", "com.myapp.foo.userevent.bar", false},
		{WildcardMatch, "com.myapp..userevent", "com.myapp.foo.user", false},
		{WildcardMatch, "com.myapp..userevent", "com.myapp2.foo.userevent", false},
		{WildcardMatch, "com.myapp..userevent", "com.myapp.userevent", false},
		{WildcardMatch, "..", "a.b.c", true},
		{WildcardMatch, "..", "a.b", false},
		{WildcardMatch, "a.b", "a.b", true},
		{WildcardMatch, "", "x", true},
		{WildcardMatch, "", "x.y", false},
		{"fuzzy", "a", "a", false},
	}
	for _, tt := range tests {
		if got := tt.policy.Match(tt.pattern, tt.uri); got != tt.want {
			t.Errorf("%q.Match(%q, %q) = %v, want %v", tt.policy, tt.pattern, tt.uri, got, tt.want)
		}
	}
}

func TestMatchPolicyOf(t *testing.T) {
	tests := []struct {
		opts Dict
		want MatchPolicy
		ok   bool
	}{
		{nil, ExactMatch, true},
		{Dict{"match": "exact"}, ExactMatch, true},
		{Dict{"match": "prefix"}, PrefixMatch, true},
		{Dict{"match": "wildcard"}, WildcardMatch, true},
		{Dict{"match": "regex"}, "", false},
		{Dict{"match": int64(1)}, "", false},
		{Dict{"match": ""}, "", false},
	}
	for _, tt := range tests {
		got, ok := MatchPolicyOf(tt.opts)
		if got != tt.want || ok != tt.ok {
			t.Errorf("MatchPolicyOf(%v) = %q, %v; want %q, %v", tt.opts, got, ok, tt.want, tt.ok)
		}
		if s, isString := tt.opts["match"].(string); isString && MatchPolicy(s).Valid() != tt.ok {
			t.Errorf("MatchPolicy(%q).Valid() = %v", s, !tt.ok)
		}
	}
}

func TestURIComponents(t *testing.T) {
	tests := []struct {
		uri  URI
		want []string
	}{
		{"a.b.c", []string{"a", "b", "c"}},
		{"a..c", []string{"a", "", "c"}},
		{"", []string{""}},
		{"a.", []string{"a", ""}},
	}
	for _, tt := range tests {
		var got []string
		for c := range URIComponents(tt.uri) {
			got = append(got, c)
		}
		if len(got) != len(tt.want) || CountComponents(tt.uri) != len(tt.want) {
			t.Fatalf("%q: got %q (count %d), want %q", tt.uri, got, CountComponents(tt.uri), tt.want)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Fatalf("%q: got %q, want %q", tt.uri, got, tt.want)
			}
		}
		for range URIComponents(tt.uri) {
			break // stopping early must not panic
		}
	}
}

func FuzzValidURI(f *testing.F) {
	for _, s := range []string{"com.myapp.topic", "com..topic", "", ".", "a b", "a#b", "A.b", "com.myapp.", "é.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u := URI(s)
		strict := ValidURI(u, true, false)
		loose := ValidURI(u, false, false)
		strictEmpty := ValidURI(u, true, true)
		looseEmpty := ValidURI(u, false, true)
		// Each rule is weaker than the one before it.
		if strict && !loose || strict && !strictEmpty || loose && !looseEmpty || strictEmpty && !looseEmpty {
			t.Fatalf("%q: strict=%v loose=%v strictEmpty=%v looseEmpty=%v", s, strict, loose, strictEmpty, looseEmpty)
		}
		n := 0
		for c := range URIComponents(u) {
			n++
			if loose && (c == "" || !ValidURI(URI(c), false, false)) {
				t.Fatalf("%q valid but has component %q", s, c)
			}
		}
		if n != CountComponents(u) {
			t.Fatalf("%q: %d components, CountComponents %d", s, n, CountComponents(u))
		}
		if !MatchWildcard(u, u) || !MatchPrefix(u, u) {
			t.Fatalf("%q does not match itself", s)
		}
	})
}
