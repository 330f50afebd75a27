package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// This file runs the sensorbridge binary, as users run it, for the tests that need a configured gateway
// (authentication, realm isolation): it builds the command, writes a config file into the test's temporary
// directory, starts it with listeners on port 0 and reads the listening addresses from its JSON log.

// bridge is a running sensorbridge process.
type bridge struct {
	cmd   *exec.Cmd
	addrs map[string]string // listener URL as configured → address it listens on
	mu    sync.Mutex        // protects log
	log   bytes.Buffer      // its stderr
	done  chan struct{}     // closed when the process has exited
}

// needAuthPeers skips (or fails, see interopRequired) unless AutobahnPython and AutobahnJS are installed.
func needAuthPeers(t *testing.T) {
	t.Helper()
	var missing []string
	if out, err := exec.Command("/usr/bin/python3", "-c", "import autobahn, msgpack, txaio, nacl").CombinedOutput(); err != nil {
		missing = append(missing, fmt.Sprintf("AutobahnPython with PyNaCl for /usr/bin/python3 (%v: %s)", err, bytes.TrimSpace(out)))
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(filepath.Join("node", "node_modules", "autobahn", "package.json")); err != nil {
		missing = append(missing, "AutobahnJS in interop/node/node_modules")
	}
	if len(missing) == 0 {
		return
	}
	if interopRequired() {
		t.Fatalf("missing: %s (run scripts/install-peers.sh)", strings.Join(missing, "; "))
	}
	t.Skipf("missing: %s (run scripts/install-peers.sh; CI=true or EDGEWAMP_INTEROP=1 makes this a failure)", strings.Join(missing, "; "))
}

// buildBridge builds the sensorbridge command into the test's temporary directory and returns its path.
func buildBridge(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sensorbridge")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/edgewamp/edgewamp/cmd/sensorbridge").CombinedOutput(); err != nil {
		t.Fatalf("building sensorbridge: %v\n%s", err, out)
	}
	return bin
}

// startBridge writes cfg (the config file's JSON object, with its "log" key set here) and runs the
// sensorbridge binary bin with it until the test ends; it waits until every listener of cfg is listening.
func startBridge(t *testing.T, bin string, cfg map[string]any) *bridge {
	t.Helper()
	dir := t.TempDir()
	cfg["log"] = map[string]string{"format": "json", "level": "info"}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "sensorbridge.json")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	br := &bridge{cmd: exec.Command(bin, "-config", cfgPath), addrs: map[string]string{}, done: make(chan struct{})}
	stderr, err := br.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := br.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	want := len(cfg["listeners"].([]map[string]any))
	listening := make(chan struct{})
	go func() {
		defer close(br.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		n := 0
		for sc.Scan() {
			line := sc.Bytes()
			br.mu.Lock()
			br.log.Write(line)
			br.log.WriteByte('\n')
			br.mu.Unlock()
			var rec struct{ Msg, URL, Addr string }
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" {
				br.mu.Lock()
				br.addrs[rec.URL] = rec.Addr
				br.mu.Unlock()
				if n++; n == want {
					close(listening)
				}
			}
		}
		br.cmd.Wait()
	}()
	t.Cleanup(func() {
		br.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-br.done:
		case <-time.After(10 * time.Second):
			br.cmd.Process.Kill()
			<-br.done
			t.Errorf("sensorbridge did not stop within 10 s of SIGTERM\n%s", br.logs())
		}
	})
	select {
	case <-listening:
	case <-br.done:
		t.Fatalf("sensorbridge exited before listening:\n%s", br.logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("sensorbridge not listening after 30 s:\n%s", br.logs())
	}
	return br
}

// addr returns where the listener configured as url listens.
func (b *bridge) addr(url string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addrs[url]
}

// logs returns what the process has logged so far.
func (b *bridge) logs() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log.String()
}

// alive reports whether the process is still running.
func (b *bridge) alive() bool {
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}
