// Package buildscript reads how scripts/build.sh builds the edge-agents, so
// that the tests that check the shipped binaries (the size ceilings, the
// import guards, the qemu runs) build them with the script's own flags
// instead of a copy that could drift from it.
package buildscript

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Path is the script's path under the module root.
const Path = "scripts/build.sh"

// Agents are the edge-agents' build settings.
type Agents struct {
	FullTags    string // AGENT_TAGS: the full agent's -tags
	MinimalTags string // MINIMAL_TAGS: the minimal agent's -tags
	// Gcflags are AGENT_GCFLAGS's default as go build arguments: "-gcflags"
	// and a word, for each word.
	Gcflags []string
	// Alignment is target_rquantum: the -ldflags -R value of each target
	// the script names ("linux-armv7": "4096"); targets it does not name
	// keep Go's default.
	Alignment map[string]string
}

// Read reads the script under the module root.
func Read(root string) (Agents, error) {
	b, err := os.ReadFile(filepath.Join(root, Path))
	if err != nil {
		return Agents{}, fmt.Errorf("buildscript: %w", err)
	}
	a, err := Parse(string(b))
	if err != nil {
		return Agents{}, fmt.Errorf("buildscript: %s: %w", Path, err)
	}
	return a, nil
}

// Parse reads the settings from the script's text: the assignments
// AGENT_TAGS="…", MINIMAL_TAGS="…" (which may use $AGENT_TAGS) and
// AGENT_GCFLAGS="${AGENT_GCFLAGS-…}", and the cases of target_rquantum.
func Parse(script string) (Agents, error) {
	vars := map[string]string{}
	a := Agents{Alignment: map[string]string{}}
	inQuantum := false
	for line := range strings.Lines(script) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "target_rquantum()"):
			inQuantum = true
		case inQuantum && line == "}":
			inQuantum = false
		case inQuantum:
			pats, rest, ok := strings.Cut(line, ")")
			val, isEcho := strings.CutPrefix(strings.TrimSpace(rest), "echo ")
			val, _ = strings.CutSuffix(strings.TrimSpace(val), ";;")
			val = strings.TrimSpace(val)
			if !ok || !isEcho || val == `""` || strings.Contains(pats, "*") {
				continue
			}
			for p := range strings.SplitSeq(pats, "|") {
				a.Alignment[strings.TrimSpace(p)] = val
			}
		default:
			name, val, ok := strings.Cut(line, "=")
			if !ok || (name != "AGENT_TAGS" && name != "MINIMAL_TAGS" && name != "AGENT_GCFLAGS") {
				continue
			}
			val, err := unquote(val)
			if err != nil {
				return Agents{}, fmt.Errorf("%s: %w", name, err)
			}
			if def, ok := strings.CutPrefix(val, "${"+name+"-"); ok {
				val = strings.TrimSuffix(def, "}")
			}
			vars[name] = strings.ReplaceAll(val, "$AGENT_TAGS", vars["AGENT_TAGS"])
		}
	}
	a.FullTags, a.MinimalTags = vars["AGENT_TAGS"], vars["MINIMAL_TAGS"]
	for w := range strings.FieldsSeq(vars["AGENT_GCFLAGS"]) {
		a.Gcflags = append(a.Gcflags, "-gcflags", w)
	}
	if a.FullTags == "" || a.MinimalTags == "" {
		return Agents{}, fmt.Errorf("AGENT_TAGS or MINIMAL_TAGS not found")
	}
	return a, nil
}

// unquote strips the double quotes around an assignment's value.
func unquote(v string) (string, error) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", fmt.Errorf("value %s is not in double quotes", v)
	}
	return v[1 : len(v)-1], nil
}

// LdflagsAlignment returns the "-R N" to add to -ldflags for target (as
// the script names it, "linux-armv7"), or "" for Go's default.
func (a Agents) LdflagsAlignment(target string) string {
	if r := a.Alignment[target]; r != "" {
		return "-R " + r
	}
	return ""
}
