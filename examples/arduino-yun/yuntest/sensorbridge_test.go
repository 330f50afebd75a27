package yuntest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// lockedBuffer collects a process's output for inspection while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// yunConfig returns the Yun's config file (openwrt/sensorbridge.json) made
// to run here: the serial listener on pty instead of /dev/ttyATH0, the
// other listeners on loopback with ports chosen by the system, and a Unix
// socket listener added for the test's client. Every other key is kept, so
// sensorbridge's strict decoding checks them.
func yunConfig(t *testing.T, path, pty, sock string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	listeners, _ := cfg["listeners"].([]any)
	if len(listeners) == 0 {
		t.Fatalf("%s: no listeners", path)
	}
	for _, l := range listeners {
		m, _ := l.(map[string]any)
		u, _ := m["url"].(string)
		switch {
		case u == "serial:///dev/ttyATH0?baud=250000":
			m["url"] = "serial://" + pty + "?baud=250000"
		case strings.Contains(u, "://0.0.0.0:"):
			host := u[strings.Index(u, "0.0.0.0:"):]
			rest := host[strings.IndexAny(host+"/", "/"):]
			m["url"] = u[:strings.Index(u, "0.0.0.0:")] + "127.0.0.1:0" + rest
		default:
			t.Fatalf("%s: unexpected listener %q", path, u)
		}
	}
	cfg["listeners"] = append(listeners, map[string]any{"url": "unix://" + sock})
	out, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSensorbridgeBinary runs the walkthrough's gateway as the Yun runs it:
// the sensorbridge binary with the Yun's config file (openwrt/sensorbridge.json,
// its serial listener on the firmware's pty at 250000 baud), and a backend
// client on a Unix socket. It skips while sensorbridge has no serial://
// listener.
func TestSensorbridgeBinary(t *testing.T) {
	requireTools(t)
	elf, harness := build(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	dir := t.TempDir()
	bin := filepath.Join(dir, "sensorbridge")
	gb := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/sensorbridge")
	gb.Dir = root
	if out, err := gb.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/sensorbridge: %v\n%s", err, out)
	}

	const mv = 800 // 29.8 °C once quantized
	s := startSim(t, harness, elf, mv)
	sock := filepath.Join(dir, "gw.sock")
	conf := filepath.Join(dir, "sensorbridge.json")
	if err := os.WriteFile(conf, yunConfig(t, filepath.Join(root, "examples", "arduino-yun", "openwrt", "sensorbridge.json"), s.pty, sock), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	sb := exec.Command(bin, "-config", conf)
	sb.Stdout, sb.Stderr = &logs, &logs
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- sb.Wait() }()
	defer func() {
		sb.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			sb.Process.Kill()
			<-exited
		}
	}()

	// the backend: a device client on the Unix socket, retried until the
	// gateway listens and the firmware has registered light.get
	var c *device.Client
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for c == nil {
		select {
		case err := <-exited:
			if strings.Contains(logs.String(), "unsupported scheme") {
				exited <- err // for the deferred stop
				t.Skipf("sensorbridge has no serial:// listener yet: %s", strings.TrimSpace(logs.String()))
			}
			t.Fatalf("sensorbridge exited: %v\n%s", err, logs.String())
		case <-ctx.Done():
			t.Fatalf("no joined firmware through sensorbridge within the time limit; log:\n%s", logs.String())
		case <-tick.C:
		}
		dc, err := device.Dial(ctx, "unix://"+sock, device.Config{Realm: "realm1"})
		if err != nil {
			continue
		}
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		_, err = dc.Call(cctx, "light.get", wamp.Payload{}, nil)
		ccancel()
		if err != nil {
			dc.Close()
			continue
		}
		c = dc
	}
	defer c.Close()

	events := subscribeReadings(t, ctx, c, "temperature", 16)
	if !callBool(t, ctx, c, "light.set", true) {
		t.Fatal("light.set(true) through sensorbridge returned false")
	}
	s.waitPin(1, 5*time.Second)
	if !callBool(t, ctx, c, "light.get") {
		t.Fatal("light.get through sensorbridge = false")
	}
	waitTemperature(t, events, celsius(mv), 10*time.Second)
	t.Logf("sensorbridge log:\n%s", logs.String())
}
