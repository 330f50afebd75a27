package main

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildSensorbridge builds the command into a temporary directory.
func buildSensorbridge(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sensorbridge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// exitStatus runs bin with args and returns its exit status, stdout and
// stderr.
func exitStatus(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("sensorbridge %q still running after 20s (stderr %s)", args, stderr.String())
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// TestExitStatus runs the binary: 0 ok, 1 a failure at run time, 2 a usage
// or configuration error, each error one line on stderr.
func TestExitStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildSensorbridge(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`{"listeners": [{"url": "rs://127.0.0.1:1"}], "uplink": {"url": "ws://127.0.0.1:2/ws"}}`), 0o600)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\n  \"limits\": {\"max_sessions\": \"ten\"}\n}"), 0o600)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	tests := []struct {
		name   string
		args   []string
		status int
		stdout string // contained in stdout
		stderr string // the start of stderr's one line; "" for an empty stderr
	}{
		{"check ok", []string{"-check", "-config", good}, 0, "configuration ok\n", ""},
		{"check leaves ports alone", []string{"-check", "-listen", "rs://" + busy.Addr().String()}, 0, "configuration ok", ""},
		{"check bad config", []string{"-check", "-config", bad}, 2, "", "sensorbridge: config " + bad + ": line 2, column 14: limits.max_sessions: want an integer, got \"ten\""},
		{"check uplink ftp", []string{"-check", "-uplink", "ftp://x"}, 2, "", `sensorbridge: uplink url "ftp://x": unsupported scheme "ftp"`},
		{"uplink ftp", []string{"-uplink", "ftp://x"}, 2, "", `sensorbridge: uplink url "ftp://x": unsupported scheme "ftp"`},
		{"uplink without port", []string{"-uplink", "rs://127.0.0.1"}, 2, "", `sensorbridge: uplink url "rs://127.0.0.1": want rs://host:port`},
		{"listen ftp", []string{"-listen", "ftp://127.0.0.1:1"}, 2, "", `sensorbridge: listen URL "ftp://127.0.0.1:1": unsupported scheme "ftp"`},
		{"duration without unit", []string{"-demo-interval", "2"}, 2, "", `sensorbridge: invalid value "2" for flag -demo-interval: want a duration with a unit, e.g. "500ms", "10s", "1m"`},
		{"unknown flag", []string{"-bogus"}, 2, "", "sensorbridge: flag provided but not defined: -bogus (sensorbridge -h lists the flags)"},
		{"argument", []string{"extra"}, 2, "", `sensorbridge: unexpected argument "extra"`},
		{"address in use", []string{"-listen", "rs://" + busy.Addr().String()}, 1, "", "sensorbridge: rs://" + busy.Addr().String() + ": listen tcp " + busy.Addr().String() + ": bind: address already in use (another program"},
		{"version", []string{"-version"}, 0, "sensorbridge dev\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, stdout, stderr := exitStatus(t, bin, tt.args...)
			if status != tt.status || !strings.Contains(stdout, tt.stdout) {
				t.Errorf("status %d, stdout %q; want %d, %q (stderr %q)", status, stdout, tt.status, tt.stdout, stderr)
			}
			if tt.stderr == "" && stderr != "" || !strings.HasPrefix(stderr, tt.stderr) || strings.Count(stderr, "\n") > 1 {
				t.Errorf("stderr %q, want one line starting %q", stderr, tt.stderr)
			}
		})
	}

	t.Run("help", func(t *testing.T) {
		status, _, stderr := exitStatus(t, bin, "-h")
		if status != 0 {
			t.Errorf("status %d", status)
		}
		for _, scheme := range []string{"rs://", "tcp://", "rss://", "unix://", "ws://", "wss://", "uni://", "serial://", "-check", "-demo-name", "Exit status"} {
			if !strings.Contains(stderr, scheme) {
				t.Errorf("help lacks %s:\n%s", scheme, stderr)
			}
		}
	})
}

// TestSignalExitsZero stops a running sensorbridge with SIGTERM and SIGINT:
// a clean shutdown exits 0, and logs no in-process connection's EOF.
func TestSignalExitsZero(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildSensorbridge(t)
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		sock := filepath.Join(t.TempDir(), "sb.sock")
		cmd := exec.Command(bin, "-demo", "-listen", "unix://"+sock, "-log-level", "debug")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 100)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		var log []string
		for joined := 0; joined < 2; { // the stats session and the demo device
			select {
			case l := <-lines:
				log = append(log, l)
				if strings.Contains(l, `msg="device: joined"`) {
					joined++
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("no joins in:\n%s", strings.Join(log, "\n"))
			}
		}
		cmd.Process.Signal(sig)
		for l := range lines {
			log = append(log, l)
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if err != nil && errors.As(err, &ee) {
			t.Errorf("%v: exit status %d, want 0", sig, ee.ExitCode())
		} else if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(log, "\n")
		if strings.Contains(all, "EOF") || strings.Contains(all, "transport error") {
			t.Errorf("%v: the shutdown logs a connection error:\n%s", sig, all)
		}
		if !strings.Contains(all, `msg="demo device" realm=realm1 procedures="light.set light.get" topics="temperature light.state"`) {
			t.Errorf("the start does not say what the demo serves:\n%s", all)
		}
	}
}
