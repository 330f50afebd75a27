//go:build linux

// Package ptytest opens pseudo-terminal pairs for serial tests without
// hardware, socat or cgo: the master from /dev/ptmx stays with the test,
// the slave path is what the code under test opens as a serial port. A
// [Line] joins two pairs through a [Relay] paced like a UART, for tests and
// for wampbench serial, which measure what a link carries at a baud rate.
package ptytest

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// PTY is one pseudo-terminal pair. Master is safe for concurrent use as an
// *os.File is; Close closes the master (the slave side then reads a hangup).
type PTY struct {
	Master    *os.File
	SlavePath string
}

// Open opens a new pty pair. The slave's line discipline is put in raw mode
// through the master before anyone opens the slave, so that early bytes are
// neither echoed nor translated. The master is non-blocking under Go's
// poller: deadlines work and Close unblocks a pending Read.
func Open() (*PTY, error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("ptytest: open /dev/ptmx: %w", err)
	}
	fail := func(what string, err error) (*PTY, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("ptytest: %s: %w", what, err)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		return fail("unlock slave", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		return fail("slave number", err)
	}
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fail("get termios", err)
	}
	// cfmakeraw
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tio.Cflag &^= unix.CSIZE | unix.PARENB
	tio.Cflag |= unix.CS8
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, tio); err != nil {
		return fail("set raw mode", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		return fail("set non-blocking", err)
	}
	return &PTY{Master: os.NewFile(uintptr(fd), "/dev/ptmx"), SlavePath: fmt.Sprintf("/dev/pts/%d", n)}, nil
}

// HoldSlave opens the slave and keeps it open until the returned file is
// closed, without reading it. On Linux a master reads EIO (a hangup) while
// no one has the slave open; holding it lets a test close and reopen the
// device side, as with a real UART whose far end resets.
func (p *PTY) HoldSlave() (*os.File, error) {
	f, err := os.OpenFile(p.SlavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("ptytest: hold slave: %w", err)
	}
	return f, nil
}

// Close closes the master.
func (p *PTY) Close() error { return p.Master.Close() }
