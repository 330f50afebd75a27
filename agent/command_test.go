package agent

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// script writes an executable shell script into dir (a test may run a
// script as argv; the product never runs a shell itself).
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunCommand(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "plain")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		argv     []string
		timeout  time.Duration
		want     string // the output
		err      string // part of the error; "" for none
		exitCode int    // CommandError.ExitCode, with err
		stderr   string // CommandError.Stderr, with err
		notExist bool   // the error is fs.ErrNotExist
	}{
		{name: "prints", argv: []string{"/bin/echo", "a", "b c"}, want: "a b c\n"},
		{name: "bare name through PATH", argv: []string{"echo", "hi"}, want: "hi\n"},
		{name: "environment", argv: []string{script(t, dir, "env", "echo \"$PATH|$LC_ALL|$HOME\"\n")},
			want: commandPath + "|C|\n"},
		{name: "stdin is empty", argv: []string{"/bin/cat"}, want: ""},
		{name: "exit status and stderr", argv: []string{script(t, dir, "failing", "echo out; echo broken >&2\nexit 3\n")},
			want: "out\n", err: "exit status 3: broken", exitCode: 3, stderr: "broken"},
		{name: "killed by a signal", argv: []string{script(t, dir, "selfkill", "kill -9 $$\n")},
			err: "signal: killed", exitCode: -1},
		{name: "timeout", argv: []string{script(t, dir, "slow", "echo started\nexec sleep 30\n")}, timeout: 100 * time.Millisecond,
			want: "started\n", err: "timed out after 100ms: context deadline exceeded", exitCode: -1},
		{name: "not found in PATH", argv: []string{"no-such-program-edgewamp"},
			err: `"no-such-program-edgewamp" not found in ` + commandPath, exitCode: -1, notExist: true},
		{name: "missing file", argv: []string{filepath.Join(dir, "none")}, err: "no such file", exitCode: -1, notExist: true},
		{name: "not executable", argv: []string{notExec}, err: "permission denied", exitCode: -1},
		{name: "directory", argv: []string{dir}, err: "permission denied", exitCode: -1},
		{name: "empty name", argv: []string{""}, err: "empty program name", exitCode: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			out, err := runCommand(context.Background(), tt.argv, timeout)
			if string(out) != tt.want {
				t.Errorf("output %q, want %q", out, tt.want)
			}
			if tt.err == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			var ce *CommandError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T), want a *CommandError", err, err)
			}
			if !strings.Contains(err.Error(), tt.err) || ce.ExitCode != tt.exitCode || ce.Stderr != tt.stderr || ce.Program != tt.argv[0] {
				t.Errorf("error %q, exit code %d, stderr %q; want %q, %d, %q", err, ce.ExitCode, ce.Stderr, tt.err, tt.exitCode, tt.stderr)
			}
			if errors.Is(err, fs.ErrNotExist) != tt.notExist {
				t.Errorf("errors.Is(%v, fs.ErrNotExist) = %v", err, !tt.notExist)
			}
		})
	}
}

func TestRunCommandBoundsOutput(t *testing.T) {
	dir := t.TempDir()
	// 1 MB on each pipe: the program must be able to write it all (the pipes
	// are drained) while only maxRead bytes of stdout and 200 of stderr are kept.
	big := script(t, dir, "big", "head -c 1000000 /dev/zero | tr '\\0' x\nhead -c 1000000 /dev/zero | tr '\\0' y >&2\nexit 1\n")
	out, err := runCommand(context.Background(), []string{big}, 30*time.Second)
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 1 {
		t.Fatalf("error %v, want exit status 1", err)
	}
	if len(out) != maxRead || strings.Trim(string(out), "x") != "" {
		t.Errorf("kept %d bytes of output, want %d x", len(out), maxRead)
	}
	if len(ce.Stderr) != 200 || strings.Trim(ce.Stderr, "y") != "" {
		t.Errorf("kept %d bytes of stderr, want 200 y", len(ce.Stderr))
	}
}

func TestRunCommandCancelled(t *testing.T) {
	dir := t.TempDir()
	started := filepath.Join(dir, "started")
	slow := script(t, dir, "slow", "touch "+started+"\nexec sleep 30\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel once the program runs, as the agent's shutdown would.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(5 * time.Millisecond) {
			if _, err := os.Stat(started); err == nil {
				break
			}
		}
		cancel()
	}()
	_, err := runCommand(ctx, []string{slow}, time.Minute)
	var ce *CommandError
	if !errors.As(err, &ce) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped: context canceled") || ce.ExitCode != -1 {
		t.Fatalf("error %v, want a CommandError stopped by the cancelled context", err)
	}

	// Cancelled before: nothing starts.
	_, err = runCommand(ctx, []string{"/bin/touch", filepath.Join(dir, "ran")}, time.Minute)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "not started") {
		t.Errorf("error %v, want not started", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
		t.Error("the program ran with a cancelled context")
	}
}

// pidFromFile reads the PID a script wrote into file.
func pidFromFile(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	return pid
}

// waitGone waits until the process pid has ended (its /proc entry is gone
// or a zombie), for at most 10 s.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		if _, rest, ok := strings.Cut(string(b), ") "); ok && strings.HasPrefix(rest, "Z") {
			return
		}
	}
	t.Errorf("process %d still runs", pid)
}

// BenchmarkRunCommand runs /bin/true: what a command sensor costs the agent
// per reading, start to reap.
func BenchmarkRunCommand(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := runCommand(context.Background(), []string{"/bin/true"}, 10*time.Second); err != nil {
			b.Fatal(err)
		}
	}
}
