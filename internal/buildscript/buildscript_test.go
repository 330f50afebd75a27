package buildscript

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	script := `#!/usr/bin/env bash
# AGENT_TAGS="commented"
AGENT_TAGS="a_one,a_two"
MINIMAL_TAGS="m_one,$AGENT_TAGS"
AGENT_GCFLAGS="${AGENT_GCFLAGS-all=-l runtime=}"
target_rquantum() {
  case "$1" in
    linux-armv6 | linux-armv7) echo 4096 ;;
    linux-mips) echo 16384 ;;
    *) echo "" ;;
  esac
}
`
	a, err := Parse(script)
	if err != nil {
		t.Fatal(err)
	}
	if a.FullTags != "a_one,a_two" || a.MinimalTags != "m_one,a_one,a_two" {
		t.Errorf("tags %q, %q", a.FullTags, a.MinimalTags)
	}
	if want := []string{"-gcflags", "all=-l", "-gcflags", "runtime="}; !slices.Equal(a.Gcflags, want) {
		t.Errorf("gcflags %q, want %q", a.Gcflags, want)
	}
	for target, want := range map[string]string{"linux-armv6": "-R 4096", "linux-armv7": "-R 4096", "linux-mips": "-R 16384", "linux-arm64": "", "*": ""} {
		if got := a.LdflagsAlignment(target); got != want {
			t.Errorf("alignment of %s: %q, want %q", target, got, want)
		}
	}

	for _, bad := range []string{
		"",
		"AGENT_TAGS=\"x\"\n",
		"AGENT_TAGS=x\nMINIMAL_TAGS=\"y\"\n",
	} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// TestReadTheScript reads the real script: the tags every agent ships with,
// and the minimal agent's on top of the full one's.
func TestReadTheScript(t *testing.T) {
	a, err := Read(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"edgewamp_termios", "edgewamp_nomarshal", "edgewamp_noslog"} {
		if !strings.Contains(a.FullTags, tag) || !strings.Contains(a.MinimalTags, tag) {
			t.Errorf("%s missing from %q or %q", tag, a.FullTags, a.MinimalTags)
		}
	}
	if !strings.HasSuffix(a.MinimalTags, a.FullTags) || !strings.Contains(a.MinimalTags, "edgewamp_notls") {
		t.Errorf("minimal tags %q are not the full ones %q plus edgewamp_notls", a.MinimalTags, a.FullTags)
	}
	if len(a.Gcflags) == 0 || a.LdflagsAlignment("linux-armv7") == "" {
		t.Errorf("gcflags %q, ARMv7 alignment %q", a.Gcflags, a.LdflagsAlignment("linux-armv7"))
	}
}
