package serialtransport

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestNoNetHTTP keeps net/http out of the package's dependencies, for the
// host and the cross-build targets (the agent built without WebSocket stays
// small), and keeps the edgewamp_termios build (the minimal edge-agent's
// serial port) free of go.bug.st/serial, regexp and crypto.
// internal/depcheck checks the same for the whole module.
func TestNoNetHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	arm7 := []string{"GOOS=linux", "GOARCH=arm", "GOARM=7"}
	mips := []string{"GOOS=linux", "GOARCH=mips", "GOMIPS=softfloat"}
	for _, c := range []struct {
		target []string
		tags   string
		banned []string
	}{
		{nil, "", []string{"net/http"}},
		{arm7, "", []string{"net/http"}},
		{mips, "", []string{"net/http"}},
		{arm7, "edgewamp_termios", []string{"net/http", "go.bug.st/serial", "regexp", "crypto/rand"}},
		{mips, "edgewamp_termios", []string{"net/http", "go.bug.st/serial", "regexp", "crypto/rand"}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, goTool, "list", "-deps", "-tags", c.tags, ".")
		cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
		cmd.Env = append(cmd.Env, c.target...)
		out, err := cmd.Output()
		cancel()
		if err != nil {
			t.Fatalf("go list %v: %v", c.target, err)
		}
		for dep := range strings.Lines(string(out)) {
			if slices.Contains(c.banned, strings.TrimSpace(dep)) {
				t.Errorf("%v tags %q: serialtransport depends on %s", c.target, c.tags, strings.TrimSpace(dep))
			}
		}
	}
}
