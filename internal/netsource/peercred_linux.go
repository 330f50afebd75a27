package netsource

import (
	"strconv"
	"syscall"
)

// UnixPeer names the process at the other end of a Unix socket, raw's, by
// its credentials (SO_PEERCRED: as they were when it connected); "local"
// when they cannot be read.
func UnixPeer(raw syscall.RawConn) string {
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil || cerr != nil {
		return "local"
	}
	return "unix uid " + strconv.FormatUint(uint64(cred.Uid), 10) + " pid " + strconv.FormatInt(int64(cred.Pid), 10)
}
