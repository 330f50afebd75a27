package depcheck

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/edgewamp/edgewamp/internal/agentbuild"
)

// leaves stands, in a layer's may list, for every internal package (internal/... and
// .../internal/...): helpers that themselves import nothing of ours.
const leaves = "(internal leaves)"

// layer says which of our packages the packages matching pkgs may import (non-test imports). A
// pattern is a path relative to the module, "dir/..." for dir and everything under it, or "..." for
// every package.
type layer struct {
	pkgs string
	may  []string
}

var (
	transports = []string{"rawsocket", "wstransport", "serialtransport"}
	// belowDevice is what the client and the transports under it are made of.
	belowDevice = append([]string{"device", "wamp", "peer", "auth", leaves}, transports...)
	// belowListen is the router, the transports its listeners accept on, and what they are made of.
	belowListen = append([]string{"minirouter", "wamp", "peer", "auth", leaves}, transports...)
)

// layers is the module's import graph, from the bottom up: the protocol, the session, the
// transports, the client, the router (which never imports the client), then what combines them.
// The first layer whose pkgs matches a package applies; a package no layer matches fails the test,
// so that a new package gets its place here.
var layers = []layer{
	{pkgs: "internal/confdecode", may: []string{"wamp"}}, // the binaries' config decoder, on wamp.ParseJSON
	{pkgs: "internal/...", may: nil},
	{pkgs: ".../internal/...", may: nil},
	{pkgs: "wamp", may: nil},
	{pkgs: "peer", may: []string{"wamp"}},
	{pkgs: "auth", may: []string{"wamp"}},
	{pkgs: "rawsocket", may: []string{"wamp", "peer", leaves}},
	{pkgs: "wstransport", may: []string{"wamp", "peer", leaves}},
	{pkgs: "serialtransport", may: []string{"wamp", "peer", leaves}},
	{pkgs: "device", may: belowDevice},
	{pkgs: "e2ee", may: []string{"wamp"}}, // end-to-end encryption beside the client, never linked by it
	{pkgs: "minirouter", may: []string{"wamp", "peer", "auth"}},
	{pkgs: "listen", may: belowListen},
	{pkgs: "uplink", may: append(slices.Clone(belowDevice), "minirouter")},
	{pkgs: "agent/...", may: append(slices.Clone(belowDevice), "agent/...")},
	{pkgs: "deploy", may: nil},
	{pkgs: "cmd/...", may: []string{"..."}},
	{pkgs: "examples/...", may: []string{"..."}},
	{pkgs: "interop/...", may: []string{"..."}},
}

// matchPattern reports whether pkg (relative to the module) matches pattern.
func matchPattern(pattern, pkg string) bool {
	switch {
	case pattern == "...":
		return true
	case pattern == leaves:
		return strings.HasPrefix(pkg, "internal/") || strings.Contains(pkg, "/internal/")
	case pattern == ".../internal/...":
		return strings.Contains(pkg, "/internal/")
	}
	if dir, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == dir || strings.HasPrefix(pkg, dir+"/")
	}
	return pkg == pattern
}

// layerOf returns the first layer for pkg.
func layerOf(pkg string) (layer, bool) {
	for _, l := range layers {
		if matchPattern(l.pkgs, pkg) {
			return l, true
		}
	}
	return layer{}, false
}

// layerViolations checks the imports among our packages (relative paths: package -> its imports of
// ours) against layers and returns each break as "importer -> imported", with its message.
func layerViolations(ours map[string][]string) (map[string]string, []string) {
	broken := map[string]string{}
	var unplaced []string
	for pkg, imports := range ours {
		l, ok := layerOf(pkg)
		if !ok {
			unplaced = append(unplaced, pkg)
			continue
		}
		for _, imp := range imports {
			if !slices.ContainsFunc(l.may, func(p string) bool { return matchPattern(p, imp) }) {
				broken[pkg+" -> "+imp] = fmt.Sprintf("%s imports %s, which breaks the rule for %s: it may import only %s",
					pkg, imp, l.pkgs, mayString(l.may))
			}
		}
	}
	slices.Sort(unplaced)
	return broken, unplaced
}

func mayString(may []string) string {
	if len(may) == 0 {
		return "none of our packages"
	}
	return strings.Join(may, ", ")
}

// ourImports lists the module's packages and their non-test imports of the module's packages, as
// paths relative to it: the union of the default build and the minimal agent's tags, which between
// them take both sides of every build tag the module uses.
func ourImports(t *testing.T) map[string][]string {
	t.Helper()
	root := moduleRoot(t)
	settings, err := agentbuild.Read(root)
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string][]string{}
	for _, tags := range []string{"", settings.MinimalTags} {
		for pkg, imports := range listDeps(t, root, "", "", tags, []string{"./..."}) {
			rel, ok := strings.CutPrefix(pkg, module+"/")
			if !ok {
				continue
			}
			for _, imp := range imports {
				if r, ok := strings.CutPrefix(imp, module+"/"); ok && !slices.Contains(ours[rel], r) {
					ours[rel] = append(ours[rel], r)
				}
			}
			if _, ok := ours[rel]; !ok {
				ours[rel] = nil
			}
		}
	}
	return ours
}

// TestLayers checks the import graph among the module's packages against layers: transports know
// nothing of the client, the router nothing of the client or the transports, and so on.
func TestLayers(t *testing.T) {
	ours := ourImports(t)
	for _, must := range []string{"wamp", "device", "minirouter", "agent"} {
		if _, ok := ours[must]; !ok {
			t.Fatalf("package %s not in go list output (%d packages of ours)", must, len(ours))
		}
	}
	broken, unplaced := layerViolations(ours)
	for _, pkg := range unplaced {
		t.Errorf("package %s is in no layer: add it to layers in internal/depcheck/layers_test.go", pkg)
	}
	for _, k := range slices.Sorted(maps.Keys(broken)) {
		t.Error(broken[k])
	}
}

// TestLayerRules checks the rule matcher and the violation finder on a made-up graph.
func TestLayerRules(t *testing.T) {
	for _, tc := range []struct {
		pattern, pkg string
		want         bool
	}{
		{"wamp", "wamp", true},
		{"wamp", "wamp/x", false},
		{"agent/...", "agent", true},
		{"agent/...", "agent/demo", true},
		{"agent/...", "agentx", false},
		{"...", "anything/at/all", true},
		{leaves, "internal/logline", true},
		{leaves, "serialtransport/internal/routertest", true},
		{leaves, "internalx", false},
		{".../internal/...", "serialtransport/internal/routertest", true},
		{".../internal/...", "internal/logline", false},
	} {
		if got := matchPattern(tc.pattern, tc.pkg); got != tc.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", tc.pattern, tc.pkg, got, tc.want)
		}
	}

	broken, unplaced := layerViolations(map[string][]string{
		"wamp":               nil,
		"rawsocket":          {"wamp", "internal/netsource", "device"},
		"internal/leaf":      {"wamp"},
		"minirouter":         {"wamp", "auth"},
		"agent/demo":         {"device", "agent", "internal/logline"},
		"cmd/tool":           {"minirouter", "device"},
		"newpkg":             {"wamp"},
		"deploy":             nil,
		"internal/netsource": nil,
	})
	want := []string{"internal/leaf -> wamp", "rawsocket -> device"}
	if got := slices.Sorted(maps.Keys(broken)); !slices.Equal(got, want) {
		t.Errorf("violations %q, want %q", got, want)
	}
	if msg := broken["rawsocket -> device"]; !strings.Contains(msg, "rawsocket imports device") || !strings.Contains(msg, "only wamp, peer") {
		t.Errorf("message %q does not say which import breaks which rule", msg)
	}
	if !slices.Equal(unplaced, []string{"newpkg"}) {
		t.Errorf("unplaced %q, want [newpkg]", unplaced)
	}
}
