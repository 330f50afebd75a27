package agent

import (
	"os"
	"syscall"
	"unsafe"
)

// procAttr puts a command in a process group of its own, which killAll
// kills as a whole.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// waitExit blocks until p has exited without reaping it (waitid with
// WNOWAIT): while it is a zombie its PID, which is also its process group's
// ID, cannot be reused, so killAll can never hit another group. The caller
// reaps it with p.Wait. Should waitid fail, it reaps p itself.
func waitExit(p *os.Process) exitResult {
	const pPID = 1      // P_PID: wait for the process whose ID is given
	var info [16]uint64 // a siginfo_t (128 bytes), unread
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(p.Pid),
			uintptr(unsafe.Pointer(&info)), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		switch errno {
		case 0:
			return exitResult{}
		case syscall.EINTR:
			continue
		}
		state, err := p.Wait()
		return exitResult{state: state, err: err}
	}
}

// killAll kills p's process group: the program and the children it started
// (unless they left the group). p must not have been reaped yet.
func killAll(p *os.Process) {
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err != nil {
		_ = p.Kill()
	}
}
