package depcheck

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Size ceilings of the stripped linux/arm GOARM=7 edge-agent, built as scripts/build.sh builds it
// (the tags, gcflags and segment alignment of scripts/agent-build.conf), in bytes: 5.0 MB for the
// full agent and 3.0 MB for the minimal one (README, "Cross-compiling", has today's sizes). A change
// that links something heavy fails here; find what grew with `go tool nm -size -sort size` on an
// unstripped build.
const (
	ceilingFull    = 5_000_000
	ceilingMinimal = 3_000_000
)

// TestEdgeAgentSizeCeiling builds the ARMv7 edge-agent, full and minimal, and checks their sizes.
func TestEdgeAgentSizeCeiling(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	root := moduleRoot(t)
	agents := agentBuild(t)
	for _, c := range []struct {
		name, tags string
		ceiling    int64
	}{
		{"full", agents.FullTags, ceilingFull},
		{"minimal", agents.MinimalTags, ceilingMinimal},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "edge-agent")
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			args := []string{"build", "-trimpath", "-ldflags", "-s -w " + agents.LdflagsAlignment("linux-armv7"),
				"-o", out, "-tags", c.tags}
			args = append(args, agents.Gcflags...)
			cmd := exec.CommandContext(ctx, "go", append(args, "./cmd/edge-agent")...)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm", "GOARM=7")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go %v: %v\n%s", args, err, b)
			}
			st, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("edge-agent %s, linux/arm GOARM=7, stripped: %d bytes (ceiling %d)", c.name, st.Size(), c.ceiling)
			if st.Size() > c.ceiling {
				t.Errorf("edge-agent %s is %d bytes, over its ceiling of %d: find what grew with "+
					"`go tool nm -size -sort size` on an unstripped build", c.name, st.Size(), c.ceiling)
			}
		})
	}
}
