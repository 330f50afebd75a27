package yuntest

import (
	"encoding/json"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestAutobahnPeer has an independent WAMP implementation, AutobahnPython
// over RawSocket (MessagePack, Unix socket), use each example on each board
// through the minirouter serving its line: the light example's temperature
// event, light.set(True) reaching pin 13 and light.get; the thermostat's
// setpoints (an integer, then a float) published retained, and the
// firmware's heater.set calls to Autobahn's callee, with thermostat.get in
// between. Skipped when Debian's python3-autobahn is missing (fails with
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
	for _, b := range boards {
		t.Run(b.name+"/YunWamp", func(t *testing.T) {
			const mv = 650 // 14.9 °C once quantized
			s, out := runAutobahn(t, python, b, "YunWamp", mv, "light.get", "autobahn_yun.py")
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
		})
		t.Run(b.name+"/Thermostat", func(t *testing.T) {
			const mv = 750 // 24.7 °C once quantized
			s, out := runAutobahn(t, python, b, "Thermostat", mv, "thermostat.get", "autobahn_thermostat.py")
			var got struct {
				On, Off []bool
				State   wamp.List
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("autobahn_thermostat.py printed %q: %v", out, err)
			}
			// heater.set(False) may come first: before the setpoint, the
			// firmware asks for the heater off
			if len(got.On) == 0 || !got.On[len(got.On)-1] || slices.Contains(got.On[:len(got.On)-1], true) ||
				len(got.Off) <= len(got.On) || got.Off[len(got.Off)-1] {
				t.Fatalf("AutobahnPython's heater.set saw on %v then %v, want true after setpoint 30, false after 15.5",
					got.On, got.Off)
			}
			if len(got.State) != 3 || !near(got.State[0], celsius(mv)) || got.State[1] != 30.0 || got.State[2] != true {
				t.Fatalf("thermostat.get returned %v to AutobahnPython, want [%.2f, 30, true]", got.State, celsius(mv))
			}
			s.waitPin(0, 5*time.Second)
		})
	}
}

// runAutobahn runs example on b with A0 at mv, behind a minirouter that also
// listens on a Unix socket, waits until the firmware has registered proc,
// then runs the AutobahnPython script on that socket and returns what it
// printed.
func runAutobahn(t *testing.T, python string, b board, example string, mv int, proc wamp.URI, script string) (*sim, []byte) {
	t.Helper()
	r := startRig(t, b, example, mv, 90*time.Second)
	ctx, g := r.ctx, r.gw
	sock := filepath.Join(t.TempDir(), "gw.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go listen.Serve(g.router, ln, listen.Config{})
	t.Cleanup(func() { ln.Close() })
	waitJoined(t, ctx, g, r.c, r.c.ID(), 0, proc)

	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", script), sock)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1") // (it imports testdata/abpeer.py)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	t.Logf("AutobahnPython (%s on %s): %s", example, b.mcu, out)
	return r.sim, out
}

// near tells whether v is a number within tolerance of want.
func near(v any, want float64) bool {
	f, ok := v.(float64)
	return ok && math.Abs(f-want) <= tolerance
}
