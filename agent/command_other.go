//go:build !linux

package agent

import (
	"os"
	"syscall"
)

// procAttr: outside Linux a command stays in the agent's process group, and
// a timeout kills the program only (its output pipes are still read for
// pipeGrace at most).
func procAttr() *syscall.SysProcAttr { return nil }

// waitExit waits for p and reaps it.
func waitExit(p *os.Process) exitResult {
	state, err := p.Wait()
	return exitResult{state: state, err: err}
}

// killAll kills the program.
func killAll(p *os.Process) { _ = p.Kill() }
