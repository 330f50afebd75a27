//go:build !linux

package rawsocket

import (
	"syscall"
	"unsafe"
)

// sysRead is read(2) on a non-blocking descriptor. Outside Linux the calls
// go through the scheduler's system-call hooks (see syscalls_linux.go).
func sysRead(fd int, p []byte) (int, error) { return syscall.Read(fd, p) }

// sysWrite is write(2) on a non-blocking descriptor.
func sysWrite(fd int, p []byte) (int, error) { return syscall.Write(fd, p) }

// sysWritev is writev(2) on a non-blocking descriptor; iov is not empty.
func sysWritev(fd int, iov []syscall.Iovec) (int, error) {
	n, _, errno := syscall.Syscall(syscall.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	if errno != 0 {
		return -1, errno
	}
	return int(n), nil
}
