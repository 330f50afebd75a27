package serialtransport

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestNoNetHTTP keeps net/http out of the package's dependencies, for the
// host and the cross-build targets (the agent built without WebSocket stays
// small). internal/depcheck checks the same for the whole module.
func TestNoNetHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	for _, target := range [][]string{nil, {"GOOS=linux", "GOARCH=arm", "GOARM=7"}, {"GOOS=linux", "GOARCH=mips", "GOMIPS=softfloat"}} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, goTool, "list", "-deps", ".")
		cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
		cmd.Env = append(cmd.Env, target...)
		out, err := cmd.Output()
		cancel()
		if err != nil {
			t.Fatalf("go list %v: %v", target, err)
		}
		for dep := range strings.Lines(string(out)) {
			if strings.TrimSpace(dep) == "net/http" {
				t.Errorf("%v: serialtransport depends on net/http", target)
			}
		}
	}
}
