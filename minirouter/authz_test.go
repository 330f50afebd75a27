package minirouter

import (
	"strings"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

func TestCoversAndOverlaps(t *testing.T) {
	tests := []struct {
		pattern          string
		rmatch           wamp.MatchPolicy
		uri              string
		match            wamp.MatchPolicy
		covers, overlaps bool
	}{
		{"a.b", "exact", "a.b", "exact", true, true},
		{"a.b", "exact", "a.c", "exact", false, false},
		{"a.", "prefix", "a.b", "exact", true, true},
		{"a.", "prefix", "a.b.", "prefix", true, true},
		{"a.b.", "prefix", "a.", "prefix", false, true}, // the request is wider
		{"a.x.", "prefix", "a.y.", "prefix", false, false},
		{"a.b", "exact", "a.", "prefix", false, true},
		{"a.b", "exact", "c.", "prefix", false, false},
		{"a..c", "wildcard", "a.b.c", "exact", true, true},
		{"a..c", "wildcard", "a.b.d", "exact", false, false},
		{"a..c", "wildcard", "a..c", "wildcard", true, true},
		{"a..", "wildcard", "a..c", "wildcard", true, true},
		{"a..c", "wildcard", "a..", "wildcard", false, true},
		{"a..c", "wildcard", "a..d", "wildcard", false, false},
		{"a..c", "wildcard", "a...c", "wildcard", false, false},
		{"a.b.", "prefix", "a.b..d", "wildcard", true, true},
		{"a.b.", "prefix", "a..d", "wildcard", false, true},
		{"a.b.", "prefix", ".b.c", "wildcard", false, true},
		{"x.", "prefix", "a..d", "wildcard", false, false},
		{"a.b.c", "exact", "a..c", "wildcard", false, true},
		{"a.b.c", "exact", "a.b.c", "wildcard", true, true}, // a wildcard pattern without empties
		{"a..c", "wildcard", "a.", "prefix", false, true},
		{"", "prefix", "anything", "exact", true, true},
	}
	for _, tt := range tests {
		if got := covers(wamp.URI(tt.pattern), tt.rmatch, wamp.URI(tt.uri), tt.match); got != tt.covers {
			t.Errorf("covers(%s %q, %s %q) = %v", tt.rmatch, tt.pattern, tt.match, tt.uri, got)
		}
		if got := overlaps(wamp.URI(tt.pattern), tt.rmatch, wamp.URI(tt.uri), tt.match); got != tt.overlaps {
			t.Errorf("overlaps(%s %q, %s %q) = %v", tt.rmatch, tt.pattern, tt.match, tt.uri, got)
		}
	}
}

func TestAuthorizerRules(t *testing.T) {
	a, err := newAuthorizer([]Permission{
		{Role: "device", URI: "devices.{authid}.secret", Actions: []string{ActionPublish}, Deny: true},
		{Role: "device", URI: "devices.{authid}.", Match: "prefix", Actions: []string{ActionPublish, ActionRegister}},
		{Role: "device", URI: "cmd.{authid}", Actions: []string{ActionSubscribe}},
		{Role: "browser", URI: "devices.", Match: "prefix", Actions: []string{ActionSubscribe, ActionCall}},
		{Role: "*", URI: "public.", Match: "prefix", Actions: []string{ActionSubscribe}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		authid, role, action, uri string
		match                     wamp.MatchPolicy
		want                      bool
	}{
		{"dev1", "device", ActionPublish, "devices.dev1.temp", "exact", true},
		{"dev1", "device", ActionPublish, "devices.dev2.temp", "exact", false}, // not its prefix
		{"dev1", "device", ActionPublish, "devices.dev1.secret", "exact", false},
		{"dev1", "device", ActionRegister, "devices.dev1.light.", "prefix", true},
		{"dev1", "device", ActionRegister, "devices.", "prefix", false}, // wider than its own
		{"dev1", "device", ActionCall, "devices.dev1.light.set", "exact", false},
		{"dev1", "device", ActionSubscribe, "cmd.dev1", "exact", true},
		{"dev1", "device", ActionSubscribe, "cmd.", "prefix", false},
		{"dev1", "device", ActionSubscribe, "public.news", "exact", true},        // "*"
		{"dev.1", "device", ActionPublish, "devices.dev.1.temp", "exact", false}, // authid with a dot matches no rule
		{"", "device", ActionPublish, "devices..temp", "exact", false},
		{"b", "browser", ActionCall, "devices.dev1.light.set", "exact", true},
		{"b", "browser", ActionSubscribe, "devices..temp", "wildcard", true},
		{"b", "browser", ActionPublish, "devices.dev1.temp", "exact", false},
		{"x", "other", ActionSubscribe, "devices.dev1.temp", "exact", false},
	}
	for _, tt := range tests {
		if got := a.allows(tt.authid, tt.role, tt.action, wamp.URI(tt.uri), tt.match); got != tt.want {
			t.Errorf("%s/%s %s %s %q = %v, want %v", tt.authid, tt.role, tt.action, tt.match, tt.uri, got, tt.want)
		}
	}
	var none *authorizer
	if !none.allows("x", "y", ActionCall, "a", "exact") {
		t.Error("a realm without permissions denied")
	}
}

func TestAuthorizerConfigErrors(t *testing.T) {
	for _, p := range []Permission{
		{URI: "a", Actions: []string{ActionCall}},
		{Role: "r", URI: "a b", Actions: []string{ActionCall}},
		{Role: "r", URI: "a", Match: "regex", Actions: []string{ActionCall}},
		{Role: "r", URI: "a"},
		{Role: "r", URI: "a", Actions: []string{"delete"}},
	} {
		if _, err := newAuthorizer([]Permission{p}); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	p := Permission{Role: "r", URI: "a", Match: "regex", Actions: []string{ActionCall}}
	if _, err := newAuthorizer([]Permission{p}); err == nil || !strings.Contains(err.Error(), `unknown match "regex"`) {
		t.Errorf("match regex: %v, want an unknown match error", err)
	}
}
