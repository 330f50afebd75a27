//go:build !linux && !windows

package sockio

import (
	"syscall"
	"unsafe"
)

// SysRead is read(2) on a non-blocking descriptor. Outside Linux the calls
// go through the scheduler's system-call hooks (see syscalls_linux.go).
func SysRead(fd int, p []byte) (int, error) { return syscall.Read(fd, p) }

// SysWrite is write(2) on a non-blocking descriptor.
func SysWrite(fd int, p []byte) (int, error) { return syscall.Write(fd, p) }

// SysWritev is writev(2) on a non-blocking descriptor; iov is not empty.
func SysWritev(fd int, iov []syscall.Iovec) (int, error) {
	n, _, errno := syscall.Syscall(syscall.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	if errno != 0 {
		return -1, errno
	}
	return int(n), nil
}
