package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// assertNoChildren fails if this process has a child, running or a zombie
// (tests in this package start none but through runCommand).
func assertNoChildren(t *testing.T) {
	t.Helper()
	var ws syscall.WaitStatus
	pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
	switch {
	case errors.Is(err, syscall.ECHILD):
	case err != nil:
		t.Errorf("wait4: %v", err)
	case pid == 0:
		t.Error("a child process still runs")
	default:
		t.Errorf("child %d was left a zombie", pid)
	}
}

func TestRunCommandTimeoutKillsTheGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	// A child in the background holds stdout open; the script then waits.
	parent := script(t, dir, "parent", "sleep 30 &\necho $! > "+pidFile+"\necho started\nwait\n")
	out, err := runCommand(context.Background(), []string{parent}, 300*time.Millisecond)
	var ce *CommandError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "timed out after 300ms") || ce.ExitCode != -1 {
		t.Fatalf("error %v, want a timeout", err)
	}
	if string(out) != "started\n" {
		t.Errorf("output %q", out)
	}
	waitGone(t, pidFromFile(t, pidFile)) // the grandchild died with the group
	assertNoChildren(t)
}

func TestRunCommandOutputHeldByAChild(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	// The script exits at once, successfully, but a child it left in the
	// background keeps stdout and stderr open for 30 s: the reads end
	// pipeGrace after the exit, and the child lives on (only a timeout kills
	// the group).
	leaver := script(t, dir, "leaver", "sleep 30 &\necho $! > "+pidFile+"\necho done\n")
	start := time.Now()
	out, err := runCommand(context.Background(), []string{leaver}, 10*time.Second)
	took := time.Since(start)
	pid := pidFromFile(t, pidFile)
	defer func() {
		syscall.Kill(pid, syscall.SIGKILL)
		waitGone(t, pid)
	}()
	var ce *CommandError
	if !errors.As(err, &ce) || !errors.Is(err, errOutputHeld) || ce.ExitCode != 0 {
		t.Fatalf("error %v, want errOutputHeld with exit code 0", err)
	}
	if string(out) != "done\n" {
		t.Errorf("output %q", out)
	}
	if took < pipeGrace {
		t.Errorf("returned after %v, before the grace of %v", took, pipeGrace)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Errorf("the background child was killed (%v); only a timeout kills the group", err)
	}
	assertNoChildren(t)
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

func TestRunCommandLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	fail := script(t, dir, "fail", "echo no >&2\nexit 2\n")
	slow := script(t, dir, "slow", "exec sleep 30\n")
	run := func() {
		runCommand(context.Background(), []string{"/bin/echo", "x"}, 10*time.Second)
		runCommand(context.Background(), []string{fail}, 10*time.Second)
		runCommand(context.Background(), []string{slow}, 50*time.Millisecond)
		runCommand(context.Background(), []string{filepath.Join(dir, "none")}, 10*time.Second)
		runCommand(context.Background(), []string{"no-such-program-edgewamp"}, 10*time.Second)
	}
	run() // lazily opened descriptors (/dev/null's poller, ...) open now
	fds, goroutines := openFDs(t), runtime.NumGoroutine()
	for range 3 {
		run()
	}
	// Other tests' connections may still be closing: wait (bounded) for the
	// counts to come back to where they were; a leak keeps them above.
	n, g := openFDs(t), runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); (n > fds || g > goroutines) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		n, g = openFDs(t), runtime.NumGoroutine()
	}
	if n > fds {
		t.Errorf("%d open descriptors after 15 commands, %d before", n, fds)
	}
	if g > goroutines {
		t.Errorf("%d goroutines after 15 commands, %d before", g, goroutines)
	}
	assertNoChildren(t)
}
