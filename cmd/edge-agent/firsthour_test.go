package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/agent"
)

// The first hour of issue 14: what a new user types, run as they run it.

var (
	binOnce sync.Map // tags -> *builtBinary
)

type builtBinary struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// edgeAgentBinary builds cmd/edge-agent with tags once per test binary.
func edgeAgentBinary(t *testing.T, tags string) string {
	t.Helper()
	v, _ := binOnce.LoadOrStore(tags, &builtBinary{})
	b := v.(*builtBinary)
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "edge-agent-bin")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "edge-agent")
		b.out, b.err = exec.Command("go", "build", "-tags", tags, "-o", b.path, ".").CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("go build -tags %q: %v\n%s", tags, b.err, b.out)
	}
	return b.path
}

// runBinary runs the binary with args and returns its exit status and outputs.
func runBinary(t *testing.T, bin string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, o.String(), e.String()
}

func TestFirstHourExitsAndHelp(t *testing.T) {
	bin := edgeAgentBinary(t, "")
	dir := t.TempDir()
	wsConf := filepath.Join(dir, "ws.json")
	os.WriteFile(wsConf, []byte(`{"router": "ws://127.0.0.1:1/ws", "sensors": [{"name": "t", "kind": "simulated", "interval": "1s"}]}`), 0o600)
	ftpConf := filepath.Join(dir, "ftp.json")
	os.WriteFile(ftpConf, []byte(`{"router": "ftp://x", "sensors": [{"name": "t", "kind": "simulated", "interval": "1s"}]}`), 0o600)
	for _, tt := range []struct {
		name     string
		args     []string
		code     int
		out, err string // substrings
		notOut   string
	}{
		{"keygen without FILE", []string{"keygen"}, 2, "", "usage: edge-agent keygen FILE", ""},
		{"call -h", []string{"call", "-h"}, 0, "usage: edge-agent call [flags] URL PROCEDURE", "", "publish"},
		{"call -h lists the schemes", []string{"call", "-h"}, 0, "ws://host:port/path", "", ""},
		{"help lists the schemes", []string{"-h"}, 0, "serial:///dev/ttyUSB0", "", ""},
		{"help lists ws", []string{"-h"}, 0, "wss://host:port/path", "", ""},
		{"timeout without unit", []string{"call", "-timeout", "2", "rs://127.0.0.1:1", "x"}, 2, "", `"2" needs a unit: 2s`, ""},
		{"unknown scheme flag", []string{"-demo", "-router", "ftp://x"}, 2, "", `unsupported scheme "ftp"`, ""},
		{"unknown scheme -check", []string{"-check", "-config", ftpConf}, 2, "", `unsupported scheme "ftp"`, ""},
		{"ws config passes -check in a default build", []string{"-check", "-config", wsConf}, 0, "configuration ok", "", ""},
		{"bad serializer", []string{"call", "-serializer", "cbor9", "rs://127.0.0.1:1", "x"}, 2, "", `unknown serializer "cbor9"`, ""},
		{"missing port", []string{"publish", "rs://127.0.0.1", "t"}, 2, "", "want rs://host:port", ""},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`, ""},
		{"-demo-name without -demo", []string{"-config", wsConf, "-demo-name", "x"}, 2, "", "-demo-name goes with -demo", ""},
		{"bad -demo-name", []string{"-demo", "-demo-name", "a b", "-check"}, 2, "", `device name "a b"`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runBinary(t, bin, "", tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errOut, tt.err) ||
				(tt.notOut != "" && strings.Contains(out, tt.notOut)) {
				t.Errorf("edge-agent %q: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q (without %q), stderr with %q",
					tt.args, code, out, errOut, tt.code, tt.out, tt.notOut, tt.err)
			}
			if tt.code == 2 && strings.Count(strings.TrimSpace(errOut), "\n") > 0 && tt.err != "" {
				t.Errorf("edge-agent %q: want one line, got %q", tt.args, errOut)
			}
		})
	}
}

func TestFirstHourBoardBuildSaysHowToGetWebSocket(t *testing.T) {
	bin := edgeAgentBinary(t, "edgewamp_board")
	code, _, errOut := runBinary(t, bin, "", "call", "ws://127.0.0.1:1/ws", "x")
	if code != 2 || !strings.Contains(errOut, "without WebSocket") || !strings.Contains(errOut, "go build ./cmd/edge-agent") {
		t.Errorf("board build, ws:// URL: exit %d, %q", code, errOut)
	}
	code, _, errOut = runBinary(t, bin, "", "-demo", "-router", "wss://h/ws", "-check")
	if code != 2 || !strings.Contains(errOut, "without WebSocket") {
		t.Errorf("board build, -check with a wss:// router: exit %d, %q", code, errOut)
	}
}

func TestFirstHourDefaultRouterMeetsSensorbridge(t *testing.T) {
	src, err := os.ReadFile("../sensorbridge/main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), `"`+agent.DefaultRouter+`"`) {
		t.Errorf("agent.DefaultRouter %s is not a default listener of sensorbridge", agent.DefaultRouter)
	}
}

func TestFirstHourSIGTERMExitsZero(t *testing.T) {
	bin := edgeAgentBinary(t, "")
	cmd := exec.Command(bin, "-demo", "-router", "rs://127.0.0.1:1")
	var e syncBuffer
	cmd.Stderr = &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; !strings.Contains(e.String(), "edge-agent started"); i++ {
		if i == 500 {
			t.Fatalf("never started: %s", e.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(e.String(), "demo device: publishes agent.temperature every 1s; registers agent.light.set, agent.light.get and agent.status") {
		t.Errorf("-demo does not say what it serves: %s", e.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if err != nil {
		t.Errorf("SIGTERM: %v, want exit 0\n%s", err, e.String())
	}
}

// startEcho runs `edge-agent register URL PROC [extra...]` in the background
// and waits until it is registered.
func startEcho(t *testing.T, url, proc string, extra ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"register", url, proc}, extra...), &out, &errb) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("register %s: exit %d: %s", proc, code, errb.String())
		}
	})
	for i := 0; !strings.Contains(errb.String(), "registered "+proc); i++ {
		if i == 500 {
			t.Fatalf("register %s: %s", proc, errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFirstHourCLI(t *testing.T) {
	url := startBareRouter(t)
	startEcho(t, url, "echo")
	if _, err := os.Stat("/bin/echo"); err == nil {
		startEcho(t, url, "shell.echo", "--", "/bin/echo", "got")
	}
	call := func(stdinText string, piped bool, args ...string) (int, string, string) {
		t.Helper()
		stdin = strings.NewReader(stdinText)
		stdinPiped = func() bool { return piped }
		defer func() { stdin = os.Stdin; stdinPiped = func() bool { return false } }()
		var o, e bytes.Buffer
		code := run(context.Background(), args, &o, &e)
		return code, strings.TrimSpace(o.String()), e.String()
	}
	for _, tt := range []struct {
		name    string
		stdin   string
		piped   bool
		env     map[string]string
		args    []string
		code    int
		out     string
		errPart string
	}{
		{name: "ARG - reads stdin", stdin: `{"v":42}` + "\n", args: []string{"call", url, "echo", "-"}, out: `[{"v":42}]`},
		{name: "piped stdin without ARG", stdin: `{"v":42}`, piped: true, args: []string{"call", url, "echo"}, out: `[{"v":42}]`},
		{name: "text on stdin is a string", stdin: "hello world\n", args: []string{"call", url, "echo", "1", "-"}, out: `[1,"hello world"]`},
		{name: "keyword arguments", args: []string{"call", url, "echo", "1", "-k", "a=2", "-k", "b=x"}, out: `{"args":[1],"kwargs":{"a":2,"b":"x"}}`},
		{name: "URL from EDGEWAMP_URL", env: map[string]string{"EDGEWAMP_URL": url}, args: []string{"call", "echo", "7"}, out: `[7]`},
		{name: "no_such_procedure names it", args: []string{"call", url, "nope.nothing"}, code: 1, errPart: "no procedure nope.nothing is registered in realm realm1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, out, errOut := call(tt.stdin, tt.piped, tt.args...)
			if code != tt.code || (tt.out != "" && out != tt.out) || !strings.Contains(errOut, tt.errPart) {
				t.Errorf("%q: exit %d, out %q, err %q; want %d, %q, %q", tt.args, code, out, errOut, tt.code, tt.out, tt.errPart)
			}
		})
	}
	t.Run("register -- COMMAND", func(t *testing.T) {
		if _, err := os.Stat("/bin/echo"); err != nil {
			t.Skip("no /bin/echo")
		}
		code, out, errOut := call("", false, "call", url, "shell.echo", "42", `"x"`)
		if code != 0 || out != `["got 42 \"x\""]` {
			t.Errorf("call shell.echo: exit %d, out %q, err %q", code, out, errOut)
		}
	})
	t.Run("subscribe -v to two topics", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var out, errb syncBuffer
		done := make(chan int, 1)
		go func() { done <- run(ctx, []string{"subscribe", "-v", url, "a.one", "a.two", "-n", "2"}, &out, &errb) }()
		for i := 0; strings.Count(errb.String(), "subscribed to") < 2; i++ {
			if i == 500 {
				t.Fatalf("subscribe: %s", errb.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		if code, _, e := call("", false, "publish", url, "a.one", "1"); code != 0 {
			t.Fatal(e)
		}
		if code, _, e := call("", false, "publish", url, "a.two", "2"); code != 0 {
			t.Fatal(e)
		}
		if code := <-done; code != 0 || out.String() != "a.one [1]\na.two [2]\n" {
			t.Errorf("subscribe -v: exit %d, out %q, err %q", code, out.String(), errb.String())
		}
	})
}

func TestFirstHourSecretsFromEnvironment(t *testing.T) {
	for k, v := range map[string]string{"EDGEWAMP_TICKET": "t0p", "EDGEWAMP_AUTHID": "dev1", "EDGEWAMP_AUTHROLE": "sensor",
		"EDGEWAMP_SECRET": "s", "EDGEWAMP_KEY": "k.key", "EDGEWAMP_REALM": "home", "EDGEWAMP_URL": "rs://127.0.0.1:1"} {
		t.Setenv(k, v)
	}
	inv, err := parseInvocation("call", []string{"x.y", "-authid", "flag-wins"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	a := inv.auth
	if a.Ticket != "t0p" || a.AuthID != "flag-wins" || a.AuthRole != "sensor" || a.Secret != "s" || a.CryptosignKeyFile != "k.key" ||
		inv.realm != "home" || inv.url != "rs://127.0.0.1:1" || inv.uri != "x.y" {
		t.Errorf("from the environment: %+v", inv)
	}
}
