package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// Commands (command sensors and actuators) are started with os.StartProcess,
// never through a shell and without os/exec: argv as given, a fixed
// environment, standard input from /dev/null, standard output and error
// through pipes read up to maxRead bytes each. On Linux each command leads
// its own process group, and a timeout kills the whole group, so the
// children of a shell script die with it.

// commandPath is the PATH commands run with, and where a program named
// without a slash is looked up.
const commandPath = "/usr/sbin:/usr/bin:/sbin:/bin"

// commandEnv is the whole environment of a command.
var commandEnv = []string{"PATH=" + commandPath, "LC_ALL=C"}

// pipeGrace bounds how long the output pipes are still read once the program
// has exited (or been killed): a child process that inherited them and lives
// on cannot hold the agent longer than this.
const pipeGrace = time.Second

// CommandError is the error of a command that could not run or exited
// with a non-zero status.
type CommandError struct {
	_        [0]func() // not comparable: no equality function to link
	Program  string
	ExitCode int    // -1 when it did not exit normally
	Stderr   string // the start of its standard error
	Err      error
}

func (e *CommandError) Error() string {
	msg := fmt.Sprintf("agent: command %s: %v", e.Program, e.Err)
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

func (e *CommandError) Unwrap() error { return e.Err }

// errOutputHeld is the error of a command that exited but left its output
// open (a background child kept it) beyond pipeGrace.
var errOutputHeld = fmt.Errorf("its output was still open %v after it exited (a child process kept it)", pipeGrace)

// RunCommand runs argv as a command actuator does (see runCommand), for
// edge-agent's `register PROC -- COMMAND`; a failure is a *CommandError.
func RunCommand(ctx context.Context, argv []string, timeout time.Duration) ([]byte, error) {
	return runCommand(ctx, argv, timeout)
}

// runCommand runs argv with a timeout and returns its standard output (at
// most maxRead bytes; what it printed beyond is read and dropped). It
// returns once the program has exited and been reaped, its pipes have been
// read to their end or for pipeGrace after the exit, and every descriptor
// it opened is closed.
func runCommand(ctx context.Context, argv []string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fail := func(err error) error { return &CommandError{Program: argv[0], ExitCode: -1, Err: err} }
	if err := ctx.Err(); err != nil {
		return nil, fail(fmt.Errorf("not started: %w", err)) // the agent is shutting down
	}
	path, err := findProgram(argv[0])
	if err != nil {
		return nil, fail(err)
	}
	stdin, err := os.Open(os.DevNull)
	if err != nil {
		return nil, fail(err)
	}
	defer stdin.Close()
	var stdout, stderr output
	if err := stdout.open(); err != nil {
		return nil, fail(err)
	}
	defer stdout.r.Close()
	if err := stderr.open(); err != nil {
		stdout.w.Close()
		return nil, fail(err)
	}
	defer stderr.r.Close()
	p, err := os.StartProcess(path, argv, &os.ProcAttr{
		Env:   commandEnv,
		Files: []*os.File{stdin, stdout.w, stderr.w},
		Sys:   procAttr(),
	})
	// The child has its own copies of the write ends (or failed to start):
	// ours must go, or the pipes would never reach their end.
	stdout.w.Close()
	stderr.w.Close()
	if err != nil {
		return nil, fail(err)
	}

	var readers sync.WaitGroup
	readers.Go(stdout.read)
	readers.Go(stderr.read)
	exited := make(chan exitResult, 1)
	go func() { exited <- waitExit(p) }()
	var res exitResult
	killed := false
	select {
	case res = <-exited:
	case <-ctx.Done():
		killed = true
		killAll(p)
		res = <-exited
	}
	if res.state == nil && res.err == nil {
		res.state, res.err = p.Wait() // reap (see waitExit)
	}
	// From now on a pipe still open is held by a child: bound the reads.
	// (os.Pipe's ends are pollable on Linux and the BSDs, where setting a
	// deadline cannot fail.)
	deadline := time.Now().Add(pipeGrace)
	_ = stdout.r.SetReadDeadline(deadline)
	_ = stderr.r.SetReadDeadline(deadline)
	readers.Wait()

	var cause error
	exitCode := -1
	switch {
	case killed && errors.Is(ctx.Err(), context.DeadlineExceeded):
		cause = fmt.Errorf("timed out after %v: %w", timeout, ctx.Err())
	case killed:
		cause = fmt.Errorf("stopped: %w", ctx.Err()) // the agent is shutting down
	case res.err != nil:
		cause = res.err
	case !res.state.Success():
		cause = errors.New(res.state.String()) // "exit status 3", "signal: killed"
		exitCode = res.state.ExitCode()
	case stdout.held || stderr.held:
		cause = errOutputHeld
		exitCode = 0
	default:
		return stdout.kept, nil
	}
	se := bytes.TrimSpace(stderr.kept)
	if len(se) > 200 {
		se = se[:200]
	}
	return stdout.kept, &CommandError{Program: argv[0], ExitCode: exitCode, Stderr: string(se), Err: cause}
}

// exitResult is what waitExit learnt: nothing when it left the process to
// be reaped by p.Wait, else what p.Wait returned.
type exitResult struct {
	_     [0]func() // not comparable: no equality function to link
	state *os.ProcessState
	err   error
}

// output is one of a command's output pipes and what was read from it.
type output struct {
	r, w *os.File
	kept []byte // the first maxRead bytes
	held bool   // the read deadline ended the read: a child held the pipe
}

func (o *output) open() (err error) {
	o.r, o.w, err = os.Pipe()
	return err
}

// read reads the pipe to its end or its read deadline, keeping the first
// maxRead bytes and dropping the rest.
func (o *output) read() {
	var drop []byte
	for {
		var n int
		var err error
		if len(o.kept) < maxRead {
			if len(o.kept) == cap(o.kept) {
				o.kept = slices.Grow(o.kept, min(max(512, cap(o.kept)), maxRead-len(o.kept)))
			}
			n, err = o.r.Read(o.kept[len(o.kept):min(cap(o.kept), maxRead)])
			o.kept = o.kept[:len(o.kept)+n]
		} else {
			if drop == nil {
				drop = make([]byte, 4096)
			}
			_, err = o.r.Read(drop)
		}
		if err != nil {
			o.held = errors.Is(err, os.ErrDeadlineExceeded)
			return
		}
	}
}

// findProgram returns the path to start for name: name itself when it has a
// slash, else the first executable regular file called name in commandPath.
func findProgram(name string) (string, error) {
	if name == "" {
		return "", errors.New("empty program name")
	}
	if strings.Contains(name, "/") {
		return name, nil // StartProcess reports a missing or unusable file
	}
	for dir := range strings.SplitSeq(commandPath, ":") {
		p := dir + "/" + name
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%q not found in %s: %w", name, commandPath, fs.ErrNotExist)
}
