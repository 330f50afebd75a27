package agentbuild

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	const good = "# comment\n\nfull_tags=a_one,a_two\nminimal_extra_tags=m_one\r\n" +
		"gcflags=all=-l runtime=\nalign.linux-armv6=4096\nalign.linux-armv7=4096\nalign.linux-mips=16384\n"
	s, err := Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	if s.FullTags != "a_one,a_two" || s.MinimalTags != "m_one,a_one,a_two" {
		t.Errorf("tags %q, %q", s.FullTags, s.MinimalTags)
	}
	if want := []string{"-gcflags", "all=-l", "-gcflags", "runtime="}; !slices.Equal(s.Gcflags, want) {
		t.Errorf("gcflags %q, want %q", s.Gcflags, want)
	}
	for target, want := range map[string]string{"linux-armv6": "-R 4096", "linux-armv7": "-R 4096", "linux-mips": "-R 16384", "linux-arm64": ""} {
		if got := s.LdflagsAlignment(target); got != want {
			t.Errorf("alignment of %s: %q, want %q", target, got, want)
		}
	}
	if s, err := Parse("full_tags=a\nminimal_extra_tags=m\n"); err != nil || s.Gcflags != nil {
		t.Errorf("without gcflags: %q, %v", s.Gcflags, err)
	}

	const tags = "full_tags=a\nminimal_extra_tags=m\n"
	for _, tc := range []struct{ name, text, err string }{
		{"empty", "", "missing"},
		{"no minimal", "full_tags=a\n", "missing"},
		{"no full", "minimal_extra_tags=m\n", "missing"},
		{"quoted", `full_tags="a"` + "\nminimal_extra_tags=m\n", "line 1"},
		{"spaced key", "full_tags =a\nminimal_extra_tags=m\n", "line 1"},
		{"no equals", tags + "gcflags\n", "line 3"},
		{"twice", tags + "full_tags=b\n", "line 3: full_tags set twice"},
		{"unknown", tags + "gcflag=-l\n", "line 3: unknown key gcflag"},
		{"empty target", tags + "align.=4096\n", "unknown key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Parse(%q) = %v, want an error with %q", tc.text, err, tc.err)
			}
		})
	}
}

// TestReadTheFile reads the real settings: the tags every agent ships with,
// the minimal agent's on top of the full one's, and the ARMv7 alignment the
// size ceilings are measured with.
func TestReadTheFile(t *testing.T) {
	s, err := Read(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"edgewamp_termios", "edgewamp_nomarshal", "edgewamp_noslog"} {
		if !strings.Contains(s.FullTags, tag) || !strings.Contains(s.MinimalTags, tag) {
			t.Errorf("%s missing from %q or %q", tag, s.FullTags, s.MinimalTags)
		}
	}
	if !strings.HasSuffix(s.MinimalTags, ","+s.FullTags) || !strings.Contains(s.MinimalTags, "edgewamp_notls") {
		t.Errorf("minimal tags %q are not the full ones %q plus edgewamp_notls", s.MinimalTags, s.FullTags)
	}
	if len(s.Gcflags) == 0 || s.LdflagsAlignment("linux-armv7") == "" {
		t.Errorf("gcflags %q, ARMv7 alignment %q", s.Gcflags, s.LdflagsAlignment("linux-armv7"))
	}
}
