package deploy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/agent"
)

// service is what a unit or init script starts: the binary and its configuration file.
type service struct{ bin, config string }

// systemdExec returns the binary and -config file of every ExecStart and ExecStartPre line of a unit.
func systemdExec(t *testing.T, unit string) []service {
	t.Helper()
	var out []service
	sc := bufio.NewScanner(strings.NewReader(unit))
	for sc.Scan() {
		key, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || (key != "ExecStart" && key != "ExecStartPre") {
			continue
		}
		f := strings.Fields(val)
		s := service{bin: f[0]}
		for i := 1; i+1 < len(f); i++ {
			if f[i] == "-config" {
				s.config = f[i+1]
			}
		}
		out = append(out, s)
	}
	return out
}

// procdExec returns the PROG and CONFIG of a procd init script, checking that the instance's command
// runs "$PROG" -config "$CONFIG".
func procdExec(t *testing.T, script string) []service {
	t.Helper()
	var s service
	for line := range strings.Lines(script) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "PROG="); ok {
			s.bin = v
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "CONFIG="); ok {
			s.config = v
		}
	}
	if !strings.Contains(script, `procd_set_param command "$PROG" -config "$CONFIG"`) {
		t.Errorf("the init script does not run \"$PROG\" -config \"$CONFIG\"")
	}
	if !strings.HasPrefix(script, "#!/bin/sh /etc/rc.common\n") || !strings.Contains(script, "USE_PROCD=1") {
		t.Errorf("not a procd init script (#!/bin/sh /etc/rc.common, USE_PROCD=1)")
	}
	return []service{s}
}

// bundle lays out what scripts/build.sh writes to dist/<target>/: the kit and stand-in binaries.
func bundle(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"install.sh", "edge-agent.json", "sensorbridge.json",
		"systemd/edge-agent.service", "systemd/sensorbridge.service",
		"openwrt/edge-agent.init", "openwrt/sensorbridge.init"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []string{"edge-agent", "edge-agent-minimal", "sensorbridge"} {
		if err := os.WriteFile(filepath.Join(dir, b), []byte("#!/bin/sh\necho "+b+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// install runs the bundle's install.sh for prog under destdir with the init system.
func install(t *testing.T, dir, destdir, init, prog string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", filepath.Join(dir, "install.sh"), prog)
	cmd.Env = append(os.Environ(), "DESTDIR="+destdir, "INIT="+init)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestInstallMatchesUnits(t *testing.T) {
	dir := bundle(t)
	for _, c := range []struct {
		init, prog, name, unit, unitSrc string
		unitMode, confMode              os.FileMode
	}{
		{"systemd", "edge-agent", "edge-agent", "/etc/systemd/system/edge-agent.service", "systemd/edge-agent.service", 0o644, 0o640},
		{"systemd", "edge-agent-minimal", "edge-agent", "/etc/systemd/system/edge-agent.service", "systemd/edge-agent.service", 0o644, 0o640},
		{"systemd", "sensorbridge", "sensorbridge", "/etc/systemd/system/sensorbridge.service", "systemd/sensorbridge.service", 0o644, 0o640},
		{"procd", "edge-agent", "edge-agent", "/etc/init.d/edge-agent", "openwrt/edge-agent.init", 0o755, 0o600},
		{"procd", "sensorbridge", "sensorbridge", "/etc/init.d/sensorbridge", "openwrt/sensorbridge.init", 0o755, 0o600},
	} {
		t.Run(c.init+"/"+c.prog, func(t *testing.T) {
			root := t.TempDir()
			out, err := install(t, dir, root, c.init, c.prog)
			if err != nil {
				t.Fatalf("install.sh: %v\n%s", err, out)
			}
			unit, err := os.ReadFile(filepath.Join(root, c.unit))
			if err != nil {
				t.Fatalf("unit not installed: %v\n%s", err, out)
			}
			if src, _ := os.ReadFile(c.unitSrc); !bytes.Equal(unit, src) {
				t.Errorf("%s differs from %s", c.unit, c.unitSrc)
			}
			if st, err := os.Stat(filepath.Join(root, c.unit)); err != nil || st.Mode().Perm() != c.unitMode {
				t.Errorf("%s: mode %v (want %v), %v", c.unit, st.Mode().Perm(), c.unitMode, err)
			}
			var svcs []service
			if c.init == "systemd" {
				if !strings.Contains(string(unit), "\nRestartPreventExitStatus=2\n") {
					t.Errorf("%s restarts after a configuration error (exit status 2)", c.unit)
				}
				svcs = systemdExec(t, string(unit))
			} else {
				svcs = procdExec(t, string(unit))
			}
			if len(svcs) == 0 {
				t.Fatal("no command found in the unit")
			}
			for _, s := range svcs {
				if filepath.Base(s.bin) != c.name || s.config != "/etc/edgewamp/"+c.name+".json" {
					t.Errorf("unit runs %q -config %q, want .../%s -config /etc/edgewamp/%s.json", s.bin, s.config, c.name, c.name)
				}
				st, err := os.Stat(filepath.Join(root, s.bin))
				if err != nil || st.Mode().Perm()&0o111 == 0 {
					t.Errorf("the unit's binary %s is not installed as an executable: %v", s.bin, err)
				}
				if b, _ := os.ReadFile(filepath.Join(root, s.bin)); !strings.Contains(string(b), c.prog) {
					t.Errorf("%s holds %q, want the bundle's %s", s.bin, b, c.prog)
				}
				st, err = os.Stat(filepath.Join(root, s.config))
				if err != nil {
					t.Errorf("the unit's configuration %s is not installed: %v", s.config, err)
				} else if st.Mode().Perm() != c.confMode {
					t.Errorf("%s: mode %v, want %v (it may hold secrets)", s.config, st.Mode().Perm(), c.confMode)
				}
			}
		})
	}
}

func TestInstallKeepsConfig(t *testing.T) {
	dir := bundle(t)
	root := t.TempDir()
	conf := filepath.Join(root, "etc/edgewamp/edge-agent.json")
	os.MkdirAll(filepath.Dir(conf), 0o755)
	if err := os.WriteFile(conf, []byte(`{"realm":"mine"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := install(t, dir, root, "systemd", "edge-agent")
	if err != nil {
		t.Fatalf("install.sh: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(conf); string(b) != `{"realm":"mine"}` || !strings.Contains(out, "exists, kept") {
		t.Errorf("the existing configuration was not kept: %q\n%s", b, out)
	}
}

func TestInstallRefuses(t *testing.T) {
	dir := bundle(t)
	for _, c := range []struct{ init, prog, want string }{
		{"systemd", "frobnicator", "unknown program"},
		{"upstart", "edge-agent", "want systemd or procd"},
	} {
		out, err := install(t, dir, t.TempDir(), c.init, c.prog)
		if err == nil || !strings.Contains(out, c.want) {
			t.Errorf("INIT=%s install.sh %s: %v, %q (want an error with %q)", c.init, c.prog, err, out, c.want)
		}
	}
}

// TestStartingConfigs checks that the configurations install.sh copies are valid.
func TestStartingConfigs(t *testing.T) {
	cfg, err := agent.Load("edge-agent.json")
	if err != nil {
		t.Fatalf("edge-agent.json: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("edge-agent.json: %v", err)
	}
	var sb struct {
		Listeners []struct {
			URL string `json:"url"`
		} `json:"listeners"`
	}
	b, err := os.ReadFile("sensorbridge.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sb); err != nil || len(sb.Listeners) == 0 {
		t.Errorf("sensorbridge.json: %v, %d listeners", err, len(sb.Listeners))
	}
	// The agent's starting router is the gateway's starting RawSocket listener, on the same board.
	if _, port, _ := strings.Cut(strings.TrimPrefix(cfg.Router, "rs://"), ":"); !strings.Contains(string(b), "rs://127.0.0.1:"+port) {
		t.Errorf("edge-agent.json's router %s is not one of sensorbridge.json's listeners", cfg.Router)
	}
}

// TestReadmeDeploySteps checks that the README's deployment section uses install.sh and names the
// paths it installs.
func TestReadmeDeploySteps(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## Deploying on a board\n")
	if !ok {
		t.Fatal(`README.md has no "## Deploying on a board" section`)
	}
	if i := strings.Index(sec, "\n## "); i >= 0 {
		sec = sec[:i]
	}
	for _, want := range []string{"scripts/build.sh", "install.sh edge-agent", "install.sh sensorbridge",
		"/usr/local/bin/edge-agent", "/usr/bin/edge-agent", "/etc/edgewamp/edge-agent.json",
		"/etc/systemd/system/edge-agent.service", "/etc/init.d/edge-agent"} {
		if !strings.Contains(sec, want) {
			t.Errorf("README \"Deploying on a board\" does not mention %q", want)
		}
	}
}

// TestSystemdAnalyzeVerify runs systemd-analyze verify on each unit, with its binaries pointing at
// stand-ins (verify checks that they are executable). Skipped where systemd-analyze is missing.
func TestSystemdAnalyzeVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	dir := t.TempDir()
	for _, name := range []string{"edge-agent", "sensorbridge"} {
		t.Run(name, func(t *testing.T) {
			unit, err := os.ReadFile("systemd/" + name + ".service")
			if err != nil {
				t.Fatal(err)
			}
			stand := filepath.Join(dir, name)
			if err := os.WriteFile(stand, []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			u := strings.ReplaceAll(string(unit), "/usr/local/bin/"+name, stand)
			path := filepath.Join(dir, name+".service")
			if err := os.WriteFile(path, []byte(u), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, sa, "verify", path).CombinedOutput()
			// verify exits 0 on unknown keys and only warns: any output is a finding.
			if err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("systemd-analyze verify %s: %v\n%s", name, err, out)
			}
		})
	}
}

// TestProcdSkipsBadConfig runs each init script's start_service with procd's functions stubbed: a
// binary whose -check exits 2 (a configuration error) is not started, so procd does not respawn it
// forever; any other status starts it.
func TestProcdSkipsBadConfig(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"edge-agent", "sensorbridge"} {
		for _, c := range []struct {
			status  int
			started bool
		}{{0, true}, {1, true}, {2, false}} {
			prog := filepath.Join(dir, "prog")
			os.WriteFile(prog, []byte(fmt.Sprintf("#!/bin/sh\necho \"config: line 1: bad\" >&2\nexit %d\n", c.status)), 0o755)
			script := `logger() { :; }
procd_open_instance() { echo instance opened; }
procd_set_param() { :; }
procd_close_instance() { :; }
. "$1"
PROG="$2"
start_service`
			cmd := exec.Command("sh", "-c", script, "sh", filepath.Join("openwrt", name+".init"), prog)
			out, err := cmd.CombinedOutput()
			started := strings.Contains(string(out), "instance opened")
			if started != c.started || (err == nil) != c.started {
				t.Errorf("%s, -check exits %d: started %v (%v), want %v\n%s", name, c.status, started, err, c.started, out)
			}
			if !c.started && !strings.Contains(string(out), name+": not started: config: line 1: bad") {
				t.Errorf("%s: the refusal does not say why:\n%s", name, out)
			}
		}
	}
}

// TestSensorbridgeConfigChecks builds sensorbridge and runs -check on the starting configuration:
// it must pass, and listen on loopback only, as the README says.
func TestSensorbridgeConfigChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sensorbridge")
	}
	bin := filepath.Join(t.TempDir(), "sensorbridge")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/sensorbridge").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-check", "-config", "sensorbridge.json").CombinedOutput()
	if err != nil || string(out) != "configuration ok\n" {
		t.Errorf("sensorbridge -check -config sensorbridge.json: %v\n%s", err, out)
	}
	b, _ := os.ReadFile("sensorbridge.json")
	if strings.Contains(string(b), "0.0.0.0") || strings.Contains(string(b), "[::]") {
		t.Errorf("sensorbridge.json listens beyond loopback, which the README does not say:\n%s", b)
	}
}

// TestInstallHelp: --help explains the script (with DESTDIR and INIT) and exits 0; a usage error
// exits 2 with one line.
func TestInstallHelp(t *testing.T) {
	dir := bundle(t)
	out, err := exec.Command("sh", filepath.Join(dir, "install.sh"), "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "DESTDIR=DIR") || !strings.Contains(string(out), "INIT=systemd|procd") ||
		strings.Contains(string(out), "set -eu") {
		t.Errorf("install.sh --help: %v\n%s", err, out)
	}
	for _, args := range [][]string{nil, {"frobnicator"}, {"a", "b"}} {
		cmd := exec.Command("sh", append([]string{filepath.Join(dir, "install.sh")}, args...)...)
		cmd.Env = append(os.Environ(), "DESTDIR="+t.TempDir())
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || strings.Count(string(out), "\n") != 1 {
			t.Errorf("install.sh %q: %v, %q; want exit status 2 and one line", args, err, out)
		}
	}
}
