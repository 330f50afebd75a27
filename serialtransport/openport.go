package serialtransport

import (
	"io"
	"time"
)

// Port is a serial port opened by [OpenPort]. Read blocks until data
// arrives, the read deadline passes (an error wrapping
// os.ErrDeadlineExceeded) or the port is closed (an error wrapping
// os.ErrClosed); it never returns (0, nil). Read and Write may be called
// concurrently with each other, SetReadDeadline and Close from any
// goroutine; Close unblocks a pending Read.
type Port interface {
	io.ReadWriteCloser
	// SetReadDeadline sets the deadline for Read; zero means none.
	SetReadDeadline(t time.Time) error
}
