package yuntest

import (
	"context"
	"encoding/json"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/listen"
)

// TestAutobahnPeer has an independent WAMP implementation, AutobahnPython
// over RawSocket (MessagePack, Unix socket), use the firmware through the
// minirouter: a temperature event, light.set(True) reaching pin 13, and
// light.get. Skipped when Debian's python3-autobahn is missing (fails with
// EDGEWAMP_INTEROP=1).
func TestAutobahnPeer(t *testing.T) {
	requireTools(t)
	const python = "/usr/bin/python3" // Debian's interpreter, where python3-autobahn lives
	if out, err := exec.Command(python, "-c", "import autobahn, msgpack, txaio").CombinedOutput(); err != nil {
		msg := "AutobahnPython (Debian python3-autobahn, python3-msgpack) is needed: " + string(out)
		if os.Getenv("EDGEWAMP_INTEROP") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	elf, harness := build(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const mv = 650 // 14.9 °C once quantized
	s := startSim(t, harness, elf, mv)
	g := startGateway(t, ctx, s.pty)
	sock := filepath.Join(t.TempDir(), "gw.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go listen.Serve(g.router, ln, listen.Config{})
	defer ln.Close()

	tr, err := g.router.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := joinLocal(t, ctx, tr)
	waitFirmware(t, ctx, g, c, c.ID(), 0)

	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "autobahn_yun.py"), sock)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("autobahn_yun.py: %v\n%s", err, out)
	}
	var got struct {
		Temperature float64 `json:"temperature"`
		Set, Get    bool
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("autobahn_yun.py printed %q: %v", out, err)
	}
	if !got.Set || !got.Get || math.Abs(got.Temperature-celsius(mv)) > tolerance {
		t.Fatalf("AutobahnPython saw %+v, want light true and %.2f °C", got, celsius(mv))
	}
	s.waitPin(1, 5*time.Second)
	t.Logf("AutobahnPython: %s", out)
}
