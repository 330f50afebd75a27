package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/internal/agentbuild"
	"github.com/edgewamp/edgewamp/internal/testcert"
	"github.com/edgewamp/edgewamp/wamp"
)

// The qemu-user tests cross-build edge-agent for a board (linux/arm, GOARM=7,
// CGO_ENABLED=0, stripped, as scripts/build.sh does), run it under qemu-arm
// against an in-process router on 127.0.0.1, and check what a board user
// would: a call, a publish, the agent mode's status procedure and a clean
// stop on SIGTERM. scripts/install-peers.sh installs qemu-user (Debian).

// qemuRequired reports whether a missing qemu must fail the test rather than
// skip it: in CI, and when the interop suite is asked for.
func qemuRequired() bool {
	return os.Getenv("CI") == "true" || os.Getenv("EDGEWAMP_INTEROP") == "1"
}

// lookQemu returns the path of the qemu-user emulator name, skipping the
// test when it is missing (failing it when qemuRequired).
func lookQemu(t *testing.T, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("qemu-user run skipped in -short mode")
	}
	p, err := exec.LookPath(name)
	if err != nil {
		if qemuRequired() {
			t.Fatalf("%s not found (install Debian qemu-user: scripts/install-peers.sh): %v", name, err)
		}
		t.Skipf("%s not found; scripts/install-peers.sh installs qemu-user", name)
	}
	return p
}

// crossBuild builds edge-agent for target (as scripts/build.sh names it,
// with env its GOARCH settings), full or minimal, with the script's tags,
// gcflags and segment alignment, into a temporary directory, and returns the
// binary's path.
func crossBuild(t *testing.T, target string, env []string, minimal bool) string {
	t.Helper()
	agents, err := agentbuild.Read(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tags := agents.FullTags
	if minimal {
		tags = agents.MinimalTags
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Fatalf("no go command to cross-build with: %v", err)
		}
	}
	out := filepath.Join(t.TempDir(), "edge-agent")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ldflags := strings.TrimSpace("-s -w -X main.version=qemu-test " + agents.LdflagsAlignment(target))
	args := []string{"build", "-trimpath", "-ldflags", ldflags, "-o", out, "-tags", tags}
	args = append(args, agents.Gcflags...)
	cmd := exec.CommandContext(ctx, goBin, append(args, ".")...)
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux"), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cross-build (%v, tags %q): %v\n%s", env, tags, err, b)
	}
	return out
}

// startTCPRouter serves an empty router on 127.0.0.1 and returns its rs:// URL.
func startTCPRouter(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveBareRouter(t, l)
	return "rs://" + l.Addr().String()
}

// emulated returns the command running bin with args under emu (the
// emulator and its options).
func emulated(ctx context.Context, emu []string, bin string, args ...string) *exec.Cmd {
	argv := append(append(append([]string{}, emu[1:]...), bin), args...)
	return exec.CommandContext(ctx, emu[0], argv...)
}

// runEmulated runs the binary under the emulator with args, bounded by
// timeout, and returns its stdout, stderr and error.
func runEmulated(t *testing.T, emu []string, bin string, timeout time.Duration, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := emulated(ctx, emu, bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	return o.String(), e.String(), err
}

// goClient dials url with the device client; it is closed when the test ends.
func goClient(t *testing.T, url string) *device.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := device.Dial(ctx, url, device.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestQemuARMv7(t *testing.T) {
	qemu := lookQemu(t, "qemu-arm")
	bin := crossBuild(t, "linux-armv7", []string{"GOARCH=arm", "GOARM=7"}, false)
	testEmulatedAgent(t, []string{qemu}, bin, "edge-agent qemu-test")

	// rss://: a TLS handshake with certificate verification, through the
	// full build's crypto (compiled without inlining, as it ships); the CA
	// reaches the agent as a board's would, through the system roots
	// (SSL_CERT_FILE).
	t.Run("rss call", func(t *testing.T) {
		ca, err := testcert.NewCA("qemu-test CA")
		if err != nil {
			t.Fatal(err)
		}
		srv, err := ca.Server()
		if err != nil {
			t.Fatal(err)
		}
		caFile, err := ca.WriteCA(t.TempDir(), "ca.pem")
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		serveBareRouter(t, tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{srv}}))
		url := "rss://" + l.Addr().String()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := emulated(ctx, []string{qemu}, bin, "call", url, "wamp.session.count")
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+caFile, "SSL_CERT_DIR=/nonexistent")
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "[1]" {
			t.Fatalf("call over rss://: %v, output %q (want [1])", err, out)
		}
		// and without the CA, the same call must fail verification
		cmd = emulated(ctx, []string{qemu}, bin, "call", url, "wamp.session.count")
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE=/nonexistent", "SSL_CERT_DIR=/nonexistent")
		if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "certificate") {
			t.Fatalf("call over rss:// without the CA: %v, output %q (want a certificate error)", err, out)
		}
	})
}

// TestQemuMIPS runs the build for OpenWrt routers and the Arduino Yun
// (big-endian MIPS, softfloat) under qemu-mips with the Yun's CPU (24Kc, no
// FPU), so that byte order and the softfloat build are exercised too.
func TestQemuMIPS(t *testing.T) {
	qemu := lookQemu(t, "qemu-mips")
	bin := crossBuild(t, "linux-mips", []string{"GOARCH=mips", "GOMIPS=softfloat"}, false)
	testEmulatedAgent(t, []string{qemu, "-cpu", "24Kc"}, bin, "edge-agent qemu-test")
}

// TestQemuARMv7Minimal runs the minimal build (no TLS, no auth) like the full
// one, and checks that it refuses what it lacks with a message saying so.
func TestQemuARMv7Minimal(t *testing.T) {
	qemu := lookQemu(t, "qemu-arm")
	bin := crossBuild(t, "linux-armv7", []string{"GOARCH=arm", "GOARM=7"}, true)
	testEmulatedAgent(t, []string{qemu}, bin, "edge-agent qemu-test (minimal build, without: tls, auth)")

	// serial through the termios port (not go.bug.st/serial), ioctls and
	// all, as the ARM binary does it
	t.Run("serial call", func(t *testing.T) {
		url := startSerialGateway(t)
		for _, ser := range []string{"msgpack", "json"} {
			callOverSerial(t, url, ser, func(args ...string) (int, string, string) {
				out, errOut, err := runEmulated(t, []string{qemu}, bin, 60*time.Second, args...)
				var ee *exec.ExitError
				switch {
				case err == nil:
					return 0, out, errOut
				case errors.As(err, &ee):
					return ee.ExitCode(), out, errOut
				}
				t.Fatalf("%v: %v", args, err)
				return 0, "", ""
			})
		}
	})

	dir := t.TempDir()
	for _, c := range []struct {
		name, config string
		argv         []string
		wantErr      string
	}{
		{name: "rss router", config: `{"router":"rss://127.0.0.1:1","sensors":[{"name":"t","kind":"simulated","interval":"1s"}]}`,
			wantErr: "config: router: rss:// needs TLS, which this build lacks (built with the edgewamp_notls tag"},
		{name: "auth", config: `{"auth":{"authid":"dev","ticket":"x"},"sensors":[{"name":"t","kind":"simulated","interval":"1s"}]}`,
			wantErr: "config: auth: authentication is not in this build (built with the edgewamp_noauth tag"},
		{name: "rss call", argv: []string{"call", "rss://127.0.0.1:1", "x"},
			wantErr: "rss:// needs TLS, which this build lacks"},
	} {
		t.Run(c.name, func(t *testing.T) {
			argv := c.argv
			if c.config != "" {
				f := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".json")
				if err := os.WriteFile(f, []byte(c.config), 0o644); err != nil {
					t.Fatal(err)
				}
				argv = []string{"-check", "-config", f}
			}
			out, errOut, err := runEmulated(t, []string{qemu}, bin, 60*time.Second, argv...)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 || !strings.Contains(errOut, c.wantErr) {
				t.Errorf("%v: %v, stdout %q, stderr %q (want %q)", argv, err, out, errOut, c.wantErr)
			}
		})
	}
}

// testEmulatedAgent runs the checks every emulated build must pass;
// wantVersion is the line -version prints.
func testEmulatedAgent(t *testing.T, emu []string, bin, wantVersion string) {
	url := startTCPRouter(t)
	const timeout = 60 * time.Second

	t.Run("version", func(t *testing.T) {
		out, errOut, err := runEmulated(t, emu, bin, timeout, "-version")
		if err != nil || strings.TrimSpace(out) != wantVersion {
			t.Fatalf("-version: %v, stdout %q, stderr %q", err, out, errOut)
		}
	})

	t.Run("call", func(t *testing.T) {
		c := goClient(t, url)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := c.Register(ctx, "qemu.add", func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
			var sum int64
			for _, a := range inv.Args {
				n, ok := a.(int64)
				if !ok {
					if u, uok := a.(uint64); uok {
						n, ok = int64(u), true
					}
				}
				if !ok {
					return wamp.Payload{}, wamp.NewError(wamp.ErrInvalidArgument.URI, "want integers")
				}
				sum += n
			}
			return wamp.Payload{Args: wamp.List{sum}}, nil
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, ser := range []string{"msgpack", "json"} {
			out, errOut, err := runEmulated(t, emu, bin, timeout, "call", "-serializer", ser, url, "qemu.add", "2", "40")
			if err != nil || strings.TrimSpace(out) != "[42]" {
				t.Errorf("call (%s): %v, stdout %q, stderr %q", ser, err, out, errOut)
			}
		}
		out, errOut, err := runEmulated(t, emu, bin, timeout, "call", url, "qemu.add", `"x"`)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(errOut, string(wamp.ErrInvalidArgument.URI)) {
			t.Errorf("call with a bad argument: %v, stdout %q, stderr %q", err, out, errOut)
		}
	})

	t.Run("publish", func(t *testing.T) {
		c := goClient(t, url)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		got := make(chan *device.Event, 4)
		if _, err := c.Subscribe(ctx, "qemu.reading", func(ev *device.Event) {
			select {
			case got <- ev:
			default:
			}
		}, nil); err != nil {
			t.Fatal(err)
		}
		out, errOut, err := runEmulated(t, emu, bin, timeout, "publish", url, "qemu.reading", `{"celsius":21.5}`, "ok")
		if err != nil {
			t.Fatalf("publish: %v, stdout %q, stderr %q", err, out, errOut)
		}
		select {
		case ev := <-got:
			if len(ev.Args) != 2 || ev.Args[1] != "ok" {
				t.Fatalf("event args %#v", ev.Args)
			}
			d, ok := ev.Args[0].(wamp.Dict)
			if !ok || d["celsius"] != 21.5 {
				t.Fatalf("event args[0] %#v (%T)", ev.Args[0], ev.Args[0])
			}
		case <-ctx.Done():
			t.Fatal("the subscriber got no event")
		}
	})

	t.Run("agent", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*timeout)
		defer cancel()
		cmd := emulated(ctx, emu, bin, "-demo", "-router", url)
		var logs syncBuffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		defer func() {
			cmd.Process.Kill()
			<-waited
		}()

		c := goClient(t, url)
		var status wamp.Payload
		for {
			cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
			res, err := c.Call(cctx, "agent.status", wamp.Payload{}, nil)
			ccancel()
			if err == nil {
				status = res
				break
			}
			select {
			case err := <-waited:
				t.Fatalf("agent exited early: %v\n%s", err, logs.String())
			case <-ctx.Done():
				t.Fatalf("agent.status never answered: %v\n%s", err, logs.String())
			case <-time.After(100 * time.Millisecond):
			}
		}
		var s wamp.Dict
		if len(status.Args) > 0 {
			s, _ = status.Args[0].(wamp.Dict)
		}
		if s == nil {
			s = status.Kwargs
		}
		if s["version"] != "qemu-test" {
			t.Errorf("agent.status = %#v, want version qemu-test", status)
		}
		res, err := c.Call(ctx, "agent.light.set", wamp.Payload{Args: wamp.List{true}}, nil)
		if err != nil || len(res.Args) != 1 || res.Args[0] != true {
			t.Errorf("light.set true: %v, %#v", err, res)
		}

		// SIGTERM: the agent leaves the router and exits 0 within its bound.
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-waited:
			waited <- err
			if err != nil {
				t.Errorf("agent exit after SIGTERM: %v\n%s", err, logs.String())
			}
		case <-time.After(timeout):
			t.Errorf("agent did not stop within %v of SIGTERM\n%s", timeout, logs.String())
		}
		if !strings.Contains(logs.String(), "edge-agent stopped") {
			t.Errorf("logs: %s", logs.String())
		}
	})
}
