// Package depcheck holds the footprint tests: the packages an agent built without WebSocket links must not
// pull in net/http, regexp or text/template (tailscale-style "regexp: bloats binary"), and
// serialtransport, agent and cmd/edge-agent must not pull in net/http (go.bug.st/serial links regexp itself);
// the agents stay under their size ceilings; and our packages import each other only downwards
// (layers_test.go).
package depcheck

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/internal/agentbuild"
)

const module = "github.com/edgewamp/edgewamp"

// rule is one footprint constraint: pkg and everything it imports must not include forbidden.
type rule struct {
	pkg       string   // directory relative to the module root
	forbidden []string // import paths
	optional  bool     // the package may not exist yet: skip the rule then
}

var small = []string{"net/http", "regexp", "text/template"}

var rules = []rule{
	{pkg: "wamp", forbidden: small},
	{pkg: "peer", forbidden: small},
	{pkg: "rawsocket", forbidden: small},
	{pkg: "device", forbidden: small},
	{pkg: "auth", forbidden: small},
	{pkg: "serialtransport", forbidden: []string{"net/http"}},
	// The device agent is built without WebSocket, which links net/http: a binary that wants it plugs
	// wstransport in through device.Config.Dialers. cmd/edge-agent does so in a default build and not
	// with the board builds' tags (edgewamp_board), which TestAgentFootprint checks.
	{pkg: "agent", forbidden: []string{"net/http", "text/template"}},
	{pkg: "cmd/edge-agent", forbidden: []string{"text/template"}},
}

// platforms on which the import graph is checked: the host and the cross-build targets (build tags
// can make the graph differ per GOOS/GOARCH).
var platforms = []struct{ goos, goarch string }{
	{"", ""},
	{"linux", "arm"},
	{"linux", "arm64"},
	{"linux", "mips"},
}

// moduleRoot returns the directory of go.mod, two levels above this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	return root
}

// graph is an import graph: package -> its direct imports.
type graph map[string][]string

// listDeps runs `go list -deps` (with the build tags, comma separated) for pkgs and returns the import graph of everything they depend on.
func listDeps(t *testing.T, root, goos, goarch, tags string, pkgs []string) graph {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	args = append(args, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if goos != "" {
		cmd.Env = append(cmd.Env, "GOOS="+goos, "GOARCH="+goarch, "GOARM=7", "GOMIPS=softfloat")
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	g := graph{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) > 0 {
			g[f[0]] = f[1:]
		}
	}
	return g
}

// path returns an import chain from -> to in g (breadth first, so the shortest), or nil.
func (g graph) path(from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var chain []string
			for ; p != ""; p = prev[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return chain
		}
		for _, q := range g[p] {
			if _, seen := prev[q]; !seen {
				prev[q] = p
				queue = append(queue, q)
			}
		}
	}
	return nil
}

func TestFootprint(t *testing.T) {
	root := moduleRoot(t)
	var active []rule
	for _, r := range rules {
		if _, err := os.Stat(filepath.Join(root, r.pkg)); err != nil {
			if r.optional {
				t.Logf("%s: not there yet, rule skipped", r.pkg)
				continue
			}
			t.Errorf("%s: package directory missing: %v", r.pkg, err)
			continue
		}
		active = append(active, r)
	}
	if len(active) == 0 {
		t.Fatal("no package to check")
	}
	var pkgs []string
	for _, r := range active {
		pkgs = append(pkgs, module+"/"+r.pkg)
	}
	for _, pl := range platforms {
		name := "host"
		if pl.goos != "" {
			name = pl.goos + "_" + pl.goarch
		}
		t.Run(name, func(t *testing.T) {
			g := listDeps(t, root, pl.goos, pl.goarch, "", pkgs)
			for _, r := range active {
				from := module + "/" + r.pkg
				if _, ok := g[from]; !ok {
					t.Errorf("%s: not in go list output", from)
					continue
				}
				for _, bad := range r.forbidden {
					if chain := g.path(from, bad); chain != nil {
						t.Errorf("%s must not import %s, but does: %s", r.pkg, bad, strings.Join(chain, " -> "))
					}
				}
			}
		})
	}
}

// agentBuild returns how scripts/build.sh builds the agents (scripts/agent-build.conf): the full
// agent's tags, the minimal agent's, the gcflags and the segment alignments.
func agentBuild(t *testing.T) agentbuild.Settings {
	t.Helper()
	a, err := agentbuild.Read(moduleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// agentForbidden are what neither edge-agent may link: HTTP and templates, go.bug.st/serial with the
// regexp package it links, and what the tags replace with smaller code of ours (log/slog, whose init
// links its handlers and encoding/json; encoding/json; the msgpack library's reflection; os/exec).
var agentForbidden = []string{
	"net/http", "text/template", "go.bug.st/serial", "regexp",
	"log/slog", "encoding/json", "github.com/vmihailenco/msgpack/v5", "os/exec",
}

// minimalForbidden adds TLS and what comes with it, package auth's cryptography, and crypto/rand
// (its FIPS DRBG, and a large virtual memory reservation).
var minimalForbidden = append([]string{
	"crypto/tls", "crypto/x509", module + "/auth", "crypto/ed25519", "crypto/pbkdf2", "crypto/rand",
}, agentForbidden...)

// TestAgentFootprint checks the import graphs of the full and the minimal edge-agent on every
// platform, and that the default build does link what the tags keep out (so the tags, not an
// accident, are what keeps them out).
func TestAgentFootprint(t *testing.T) {
	root := moduleRoot(t)
	agents := agentBuild(t)
	edge := module + "/cmd/edge-agent"
	for _, b := range []struct {
		name, tags string
		forbidden  []string
	}{
		{"full", agents.FullTags, agentForbidden},
		{"minimal", agents.MinimalTags, minimalForbidden},
	} {
		for _, pl := range platforms {
			name := "host"
			if pl.goos != "" {
				name = pl.goos + "_" + pl.goarch
			}
			t.Run(b.name+"/"+name, func(t *testing.T) {
				g := listDeps(t, root, pl.goos, pl.goarch, b.tags, []string{edge})
				if _, ok := g[edge]; !ok {
					t.Fatalf("%s: not in go list output", edge)
				}
				for _, bad := range b.forbidden {
					if chain := g.path(edge, bad); chain != nil {
						t.Errorf("%s edge-agent (-tags %s) must not import %s, but does: %s",
							b.name, b.tags, bad, strings.Join(chain, " -> "))
					}
				}
			})
		}
	}
	t.Run("default links them", func(t *testing.T) {
		g := listDeps(t, root, "", "", "", []string{edge})
		for _, want := range []string{"crypto/tls", module + "/auth", "log/slog", "github.com/vmihailenco/msgpack/v5", "net/http"} {
			if g.path(edge, want) == nil {
				t.Errorf("the default edge-agent no longer imports %s: update the forbidden lists and the README", want)
			}
		}
	})
}

// TestGraphPath checks the chain finder the footprint test reports with.
func TestGraphPath(t *testing.T) {
	g := graph{
		"a": {"b", "c"},
		"b": {"d"},
		"c": {"d", "e"},
		"d": {"e"},
		"e": nil,
	}
	tests := []struct {
		from, to string
		want     []string
	}{
		{"a", "e", []string{"a", "c", "e"}},
		{"a", "d", []string{"a", "b", "d"}},
		{"b", "c", nil},
		{"e", "e", []string{"e"}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s-%s", tc.from, tc.to), func(t *testing.T) {
			if got := g.path(tc.from, tc.to); !slices.Equal(got, tc.want) {
				t.Errorf("path(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
			}
		})
	}
}

// TestFootprintDetects checks, on a standard package known to import net/textproto, that the go list
// graph and the chain finder see a real import, so that TestFootprint cannot pass vacuously.
func TestFootprintDetects(t *testing.T) {
	g := listDeps(t, moduleRoot(t), "", "", "", []string{"net/http"})
	if chain := g.path("net/http", "net/textproto"); len(chain) < 2 {
		t.Fatalf("net/http -> net/textproto not found in go list -deps output (%d packages)", len(g))
	}
}
