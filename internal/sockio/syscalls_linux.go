package sockio

import (
	"syscall"
	"unsafe"
)

// The socket reads and writes of a connection's messages are raw system
// calls on Linux: the sockets are non-blocking (the net package sets
// O_NONBLOCK), so read, write and writev return at once, with EAGAIN when
// they would block, and the goroutine then waits in the runtime's poller
// (syscall.RawConn). A raw call does not tell the Go scheduler that it is in
// a system call. That is the point: the scheduler's entry hook wakes the
// sysmon thread whenever a process that was idle makes its first system
// call, which costs two thread switches per message on a router or device
// that sleeps between messages. On a one-core board (or a router pinned to
// one core) those switches are on every message's path.
// A short non-blocking call has nothing to gain from the hook (it is there
// so that another thread can take over the processor while a call blocks).

// SysRead is read(2) on a non-blocking descriptor.
func SysRead(fd int, p []byte) (int, error) { return rawIO(syscall.SYS_READ, fd, p) }

// SysWrite is write(2) on a non-blocking descriptor.
func SysWrite(fd int, p []byte) (int, error) { return rawIO(syscall.SYS_WRITE, fd, p) }

// rawIO makes the read or write system call trap on fd with p. The pointer
// is converted in the call's argument list, so that p stays put and alive
// for the call (unsafe.Pointer's rule for syscall.RawSyscall).
func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	n, _, errno := syscall.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if errno != 0 {
		return -1, errno
	}
	return int(n), nil
}

// SysWritev is writev(2) on a non-blocking descriptor; iov is not empty.
func SysWritev(fd int, iov []syscall.Iovec) (int, error) {
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	if errno != 0 {
		return -1, errno
	}
	return int(n), nil
}
