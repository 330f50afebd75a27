//go:build !edgewamp_termios || !linux || ppc64 || ppc64le

package serialtransport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"go.bug.st/serial"
)

// OpenPort opens the serial device at path (8N1, no flow control) at baud
// (DefaultBaud when 0) with go.bug.st/serial, and smooths over its quirks:
// Read never returns (0, nil) (the library's timeout result); it blocks
// until data arrives, the read deadline passes (an error wrapping
// os.ErrDeadlineExceeded) or the port is closed (an error wrapping
// os.ErrClosed, where the library's PortError does not unwrap). Close
// unblocks a pending Read. Modem lines are left alone, so a pty works.
//
// A build with the edgewamp_termios tag opens Linux ports with termios
// ioctls instead (port_termios.go: the same behaviour, without
// go.bug.st/serial and the regexp package it links); that build has no
// [PortError] (its errors are *os.PathError and syscall.Errno).
func OpenPort(path string, baud int) (Port, error) {
	if baud <= 0 {
		baud = DefaultBaud
	}
	p, err := serial.Open(path, &serial.Mode{BaudRate: baud})
	if err != nil {
		return nil, fmt.Errorf("serialtransport: open %s at %d baud: %w", path, baud, portErr(err))
	}
	return &ttyPort{p: p, path: path}, nil
}

// ttyPort wraps a go.bug.st/serial Port.
type ttyPort struct {
	p    serial.Port
	path string

	mu       sync.Mutex // protects deadline
	deadline time.Time
}

// SetReadDeadline sets the deadline for Read; zero means none. It applies
// to the next Read call, not to a pending one.
func (t *ttyPort) SetReadDeadline(d time.Time) error {
	t.mu.Lock()
	t.deadline = d
	t.mu.Unlock()
	return nil
}

// Read reads at least one byte, looping over the library's (0, nil)
// timeouts.
func (t *ttyPort) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		t.mu.Lock()
		dl := t.deadline
		t.mu.Unlock()
		timeout := serial.NoTimeout
		if !dl.IsZero() {
			timeout = time.Until(dl)
			if timeout <= 0 {
				return 0, fmt.Errorf("serialtransport: read %s: %w", t.path, os.ErrDeadlineExceeded)
			}
			// the library takes whole milliseconds; round up, never 0
			timeout = (timeout + time.Millisecond - 1).Truncate(time.Millisecond)
		}
		if err := t.p.SetReadTimeout(timeout); err != nil {
			return 0, fmt.Errorf("serialtransport: read %s: %w", t.path, portErr(err))
		}
		n, err := t.p.Read(b)
		if err != nil {
			return n, fmt.Errorf("serialtransport: read %s: %w", t.path, portErr(err))
		}
		if n > 0 {
			return n, nil
		}
		// (0, nil): the library's timeout; the loop checks the deadline.
	}
}

// Write writes all of b (looping over short writes).
func (t *ttyPort) Write(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := t.p.Write(b[n:])
		n += m
		if err != nil {
			return n, fmt.Errorf("serialtransport: write %s: %w", t.path, portErr(err))
		}
		if m == 0 {
			return n, fmt.Errorf("serialtransport: write %s: %w", t.path, io.ErrShortWrite)
		}
	}
	return n, nil
}

// Close closes the port, unblocking a pending Read.
func (t *ttyPort) Close() error {
	if err := t.p.Close(); err != nil {
		return fmt.Errorf("serialtransport: close %s: %w", t.path, portErr(err))
	}
	return nil
}

// PortError is a go.bug.st/serial error that unwraps: to os.ErrClosed for
// a closed port, os.ErrNotExist for a missing one, os.ErrPermission for a
// busy or forbidden one, else to the library's error. Safe for concurrent use.
type PortError struct {
	Err *serial.PortError
}

// Error returns the library's message.
func (e *PortError) Error() string { return e.Err.Error() }

// Unwrap returns the matching os error, or the library's error.
func (e *PortError) Unwrap() []error {
	errs := []error{e.Err}
	switch e.Err.Code() {
	case serial.PortClosed:
		errs = append(errs, os.ErrClosed)
	case serial.PortNotFound:
		errs = append(errs, os.ErrNotExist)
	case serial.PortBusy, serial.PermissionDenied:
		errs = append(errs, os.ErrPermission)
	}
	return errs
}

// portErr wraps a library *PortError so that it unwraps.
func portErr(err error) error {
	var pe *serial.PortError
	if errors.As(err, &pe) {
		return &PortError{Err: pe}
	}
	return err
}
