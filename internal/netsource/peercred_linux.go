package netsource

import (
	"net"
	"strconv"
	"syscall"
)

// unixPeer names the process at the other end of a Unix socket by its
// credentials (SO_PEERCRED: as they were when it connected).
func unixPeer(c *net.UnixConn) string {
	raw, err := c.SyscallConn()
	if err != nil {
		return "local"
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil || cerr != nil {
		return "local"
	}
	return "unix uid " + strconv.FormatUint(uint64(cred.Uid), 10) + " pid " + strconv.FormatInt(int64(cred.Pid), 10)
}
