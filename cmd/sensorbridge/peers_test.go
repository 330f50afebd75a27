package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Independent WAMP peers, installed by scripts/install-peers.sh: AutobahnJS
// (npm, into interop/node) and AutobahnPython (Debian python3-autobahn).
// Without them the interop tests skip, unless CI=true or EDGEWAMP_INTEROP=1
// says they must run.

// mustRunInterop reports whether missing peers are a failure.
func mustRunInterop() bool {
	return os.Getenv("CI") == "true" || os.Getenv("EDGEWAMP_INTEROP") == "1"
}

// needPeer skips (or fails, see mustRunInterop) when the peer is missing.
func needPeer(t *testing.T, name string) {
	t.Helper()
	var missing string
	switch name {
	case "js":
		if _, err := exec.LookPath("node"); err != nil {
			missing = "node"
		} else if _, err := os.Stat(filepath.Join("..", "..", "interop", "node", "node_modules", "autobahn")); err != nil {
			missing = "AutobahnJS (interop/node/node_modules/autobahn)"
		}
	case "wampy":
		if _, err := exec.LookPath("node"); err != nil {
			missing = "node"
		} else if _, err := os.Stat(filepath.Join("..", "..", "interop", "node", "node_modules", "wampy")); err != nil {
			missing = "wampy (interop/node/node_modules/wampy)"
		}
	case "py":
		if err := exec.Command("/usr/bin/python3", "-c", "import autobahn").Run(); err != nil {
			missing = "AutobahnPython (python3-autobahn)"
		}
	case "fox":
		dir := os.Getenv("EDGEWAMP_FOX_DIR")
		if dir == "" {
			dir = filepath.Join("..", "..", "interop", "node")
		}
		if _, err := exec.LookPath("node"); err != nil {
			missing = "node"
		} else if _, err := os.Stat(filepath.Join(dir, "node_modules", "fox-wamp")); err != nil {
			missing = "fox-wamp (" + dir + "/node_modules/fox-wamp; EDGEWAMP_FOX_DIR may name another npm prefix)"
		}
	}
	if missing == "" {
		return
	}
	if mustRunInterop() {
		t.Fatalf("%s is missing: run scripts/install-peers.sh", missing)
	}
	t.Skipf("%s is missing (run scripts/install-peers.sh; CI=true makes this a failure)", missing)
}

// peerProc is a running peer script.
type peerProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan string
	out   strings.Builder // everything printed, for failure messages
	done  chan struct{}
	err   error
}

// startPeer starts a peer script ("js" or "py", or "fox" for the fox-wamp
// router) with args, bounded by ctx.
func startPeer(t *testing.T, ctx context.Context, kind string, args ...string) *peerProc {
	t.Helper()
	var cmd *exec.Cmd
	if kind == "fox" {
		cmd = exec.CommandContext(ctx, "node", append([]string{filepath.Join("testdata", "fox_router.js")}, args...)...)
	} else {
		// The interop suite's peers: URL REALM SER ROLE N, and our URI through --uri.
		if len(args) != 6 {
			t.Fatalf("startPeer %s: want URL REALM SER ROLE N URI, got %q", kind, args)
		}
		peerArgs := append(args[:5:5], "--uri", args[5])
		dir := filepath.Join("..", "..", "interop", "peers")
		switch kind {
		case "js":
			cmd = exec.CommandContext(ctx, "node", append([]string{filepath.Join(dir, "js_peer.js")}, peerArgs...)...)
		case "wampy":
			cmd = exec.CommandContext(ctx, "node", append([]string{filepath.Join(dir, "wampy_peer.js")}, peerArgs...)...)
		default:
			cmd = exec.CommandContext(ctx, "/usr/bin/python3", append([]string{filepath.Join(dir, "py_peer.py")}, peerArgs...)...)
		}
	}
	cmd.WaitDelay = 2 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	p := &peerProc{t: t, cmd: cmd, lines: make(chan string, 64), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.out.WriteString(sc.Text() + "\n")
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if cmd.Process != nil {
			cmd.Process.Kill()
		}
		<-p.done
	})
	return p
}

// ready waits for the READY line.
func (p *peerProc) ready(ctx context.Context) {
	p.t.Helper()
	for {
		select {
		case l := <-p.lines:
			if l == "READY" {
				return
			}
		case <-p.done:
			p.t.Fatalf("peer ended before READY: %v\n%s", p.err, p.out.String())
		case <-ctx.Done():
			p.t.Fatal("peer not ready in time")
		}
	}
}

// wait waits for the peer to end and checks it reported OK.
func (p *peerProc) wait(ctx context.Context) {
	p.t.Helper()
	select {
	case <-p.done:
	case <-ctx.Done():
		p.t.Fatal("peer did not end in time")
	}
	if p.err != nil || !strings.Contains(p.out.String(), "OK ") {
		p.t.Fatalf("peer failed: %v\n%s", p.err, p.out.String())
	}
}
