//go:build edgewamp_termios && linux && !ppc64 && !ppc64le

package serialtransport

// OpenPort opens the serial device at path (8N1, raw, no flow control,
// exclusive) at baud (DefaultBaud when 0). This edgewamp_termios build
// does it with termios ioctls through golang.org/x/sys/unix instead of
// go.bug.st/serial (which links regexp, about 200 KiB on ARMv7): standard
// rates through TCSETS, any other (e.g. 250000) through TCSETS2 with
// BOTHER. The port behaves as in the default build: Read blocks until data
// arrives, the read deadline passes (an error wrapping
// os.ErrDeadlineExceeded) or the port is closed (os.ErrClosed); Close
// unblocks a pending Read; a busy port unwraps to os.ErrPermission, a
// missing one to os.ErrNotExist. Modem lines are left alone, so a pty
// works.
func OpenPort(path string, baud int) (Port, error) {
	return openTermios(path, baud)
}
