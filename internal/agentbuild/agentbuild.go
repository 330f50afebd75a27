// Package agentbuild reads scripts/agent-build.conf, the edge-agents' build
// settings that scripts/build.sh uses, so that the tests that check the
// shipped binaries (the size ceilings, the import guards, the qemu runs)
// build them with the same flags instead of a copy that could drift.
package agentbuild

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Path is the settings file's path under the module root.
const Path = "scripts/agent-build.conf"

// alignPrefix starts the keys of the per-target segment alignments.
const alignPrefix = "align."

// Settings are the edge-agents' build settings.
type Settings struct {
	FullTags    string // full_tags: the full agent's -tags
	MinimalTags string // minimal_extra_tags, then full_tags: the minimal agent's -tags
	// Gcflags are gcflags as go build arguments: "-gcflags" and a word, for
	// each word.
	Gcflags []string
	// Alignment is the -ldflags -R value of each target named by an
	// align.TARGET key ("linux-armv7": "4096"); other targets keep Go's
	// default.
	Alignment map[string]string
}

// Read reads the settings file under the module root.
func Read(root string) (Settings, error) {
	b, err := os.ReadFile(filepath.Join(root, Path))
	if err != nil {
		return Settings{}, fmt.Errorf("agentbuild: %w", err)
	}
	s, err := Parse(string(b))
	if err != nil {
		return Settings{}, fmt.Errorf("agentbuild: %s: %w", Path, err)
	}
	return s, nil
}

// Parse reads settings from the file's text: key=value lines (no quotes,
// no spaces around '='), '#' comment lines and blank lines. Unknown,
// repeated and missing keys are errors, so that a typo cannot pass for a
// setting that scripts/build.sh would silently skip.
func Parse(text string) (Settings, error) {
	s := Settings{Alignment: map[string]string{}}
	seen := map[string]bool{}
	var extra, gcflags string
	n := 0
	for line := range strings.Lines(text) {
		n++
		line = strings.TrimRight(line, "\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok || key == "" || strings.ContainsAny(key, " \t") || strings.ContainsAny(val, `"'`) {
			return Settings{}, fmt.Errorf("line %d: %q is not key=value", n, line)
		}
		if seen[key] {
			return Settings{}, fmt.Errorf("line %d: %s set twice", n, key)
		}
		seen[key] = true
		switch key {
		case "full_tags":
			s.FullTags = val
		case "minimal_extra_tags":
			extra = val
		case "gcflags":
			gcflags = val
		default:
			target, ok := strings.CutPrefix(key, alignPrefix)
			if !ok || target == "" {
				return Settings{}, fmt.Errorf("line %d: unknown key %s", n, key)
			}
			s.Alignment[target] = val
		}
	}
	if s.FullTags == "" || extra == "" {
		return Settings{}, fmt.Errorf("full_tags or minimal_extra_tags missing")
	}
	s.MinimalTags = extra + "," + s.FullTags
	for w := range strings.FieldsSeq(gcflags) {
		s.Gcflags = append(s.Gcflags, "-gcflags", w)
	}
	return s, nil
}

// LdflagsAlignment returns the "-R N" to add to -ldflags for target (as
// scripts/build.sh names it, "linux-armv7"), or "" for Go's default.
func (s Settings) LdflagsAlignment(target string) string {
	if r := s.Alignment[target]; r != "" {
		return "-R " + r
	}
	return ""
}
