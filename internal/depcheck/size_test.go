package depcheck

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Size ceilings of the stripped linux/arm GOARM=7 edge-agent (scripts/build.sh's flags, including
// its -R 4096 segment alignment), in bytes. They sit 128 KiB above the sizes measured with go1.26.8
// (full 6,250,658, minimal 3,588,258; README, "Cross-compiling"), so that a change that links a heavy
// dependency by accident fails here. Raise them only with the README's table and a reason; the
// issue's targets are 5.0 and 3.0 MB.
const (
	ceilingFull    = 6_250_658 + 128<<10
	ceilingMinimal = 3_588_258 + 128<<10
)

// minimalGcflags are scripts/build.sh's MINIMAL_GCFLAGS: no inlining but in package runtime.
var minimalGcflags = []string{"-gcflags", "all=-l", "-gcflags", "runtime="}

// TestEdgeAgentSizeCeiling builds the ARMv7 edge-agent, full and minimal, and checks their sizes.
func TestEdgeAgentSizeCeiling(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	root := moduleRoot(t)
	for _, c := range []struct {
		name, tags string
		gcflags    []string
		ceiling    int64
	}{
		{"full", "", nil, ceilingFull},
		{"minimal", minimalTags, minimalGcflags, ceilingMinimal},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "edge-agent")
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			args := []string{"build", "-trimpath", "-ldflags", "-s -w -R 4096", "-o", out}
			if c.tags != "" {
				args = append(args, "-tags", c.tags)
			}
			args = append(args, c.gcflags...)
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
