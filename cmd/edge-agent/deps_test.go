package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestNoNetHTTP keeps the default edge-agent build free of net/http (the
// WebSocket transport's cost) on the host and the boards' targets.
func TestNoNetHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, env := range [][]string{
		nil,
		{"GOOS=linux", "GOARCH=arm", "GOARM=7"},
		{"GOOS=linux", "GOARCH=mips", "GOMIPS=softfloat"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, "go", "list", "-deps", ".")
		cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0"), env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		cancel()
		if err != nil {
			t.Fatalf("go list -deps (%v): %v\n%s", env, err, stderr.String())
		}
		for line := range strings.Lines(string(out)) {
			if strings.TrimSpace(line) == "net/http" {
				t.Errorf("edge-agent links net/http (%v); keep WebSocket out of the default build", env)
			}
		}
	}
}
