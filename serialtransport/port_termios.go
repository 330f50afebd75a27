//go:build linux && !ppc64 && !ppc64le

package serialtransport

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The serial port without go.bug.st/serial: the tty opened as an *os.File
// under Go's poller (so read deadlines work and Close unblocks a pending
// Read) and set up with termios ioctls. It is what [OpenPort] uses in an
// edgewamp_termios build on Linux; it is compiled in every Linux build so
// that its tests run next to the library's (it is linked only when used).
// It links golang.org/x/sys/unix, which go.bug.st/serial links too, and
// not regexp (go.bug.st/serial's port-name filter).

// stdBauds are the rates a termios Cflag can name (the B* codes). Any
// other rate is set through termios2 (TCSETS2 with BOTHER), as
// go.bug.st/serial does, e.g. the Arduino Yun bridge's 250000.
var stdBauds = [...]struct {
	rate int
	code uint32
}{
	{50, unix.B50}, {75, unix.B75}, {110, unix.B110}, {134, unix.B134}, {150, unix.B150},
	{200, unix.B200}, {300, unix.B300}, {600, unix.B600}, {1200, unix.B1200}, {1800, unix.B1800},
	{2400, unix.B2400}, {4800, unix.B4800}, {9600, unix.B9600}, {19200, unix.B19200},
	{38400, unix.B38400}, {57600, unix.B57600}, {115200, unix.B115200}, {230400, unix.B230400},
	{460800, unix.B460800}, {500000, unix.B500000}, {576000, unix.B576000}, {921600, unix.B921600},
	{1000000, unix.B1000000}, {1152000, unix.B1152000}, {1500000, unix.B1500000},
	{2000000, unix.B2000000}, {2500000, unix.B2500000}, {3000000, unix.B3000000},
	{3500000, unix.B3500000}, {4000000, unix.B4000000},
}

// baudCode returns the B* code of a standard rate, or 0.
func baudCode(rate int) uint32 {
	for _, b := range stdBauds {
		if b.rate == rate {
			return b.code
		}
	}
	return 0
}

// openTermios opens the tty at path as [OpenPort] documents: raw, 8N1, no
// flow control (neither RTS/CTS nor XON/XOFF), modem lines ignored
// (CLOCAL), exclusive (TIOCEXCL, released on Close), at baud (DefaultBaud
// when 0). Opening does not wait for carrier (O_NONBLOCK).
func openTermios(path string, baud int) (Port, error) {
	if baud <= 0 {
		baud = DefaultBaud
	}
	fail := func(err error) (Port, error) {
		return nil, fmt.Errorf("serialtransport: open %s at %d baud: %w", path, baud, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.EBUSY) { // another program has it (TIOCEXCL)
			err = fmt.Errorf("%w (%w)", err, os.ErrPermission)
		}
		return fail(err)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return fail(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = setupTTY(int(fd), baud) }); err != nil {
		serr = err
	}
	if serr != nil {
		f.Close()
		return fail(serr)
	}
	return &termiosPort{f: f, rc: rc, path: path}, nil
}

// setupTTY puts the tty on fd in raw 8N1 mode without flow control at baud
// and takes it exclusively.
func setupTTY(fd, baud int) error {
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("not a serial port: %w", err)
	}
	// raw mode (cfmakeraw, as go.bug.st/serial sets it)
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.IGNPAR | unix.PARMRK | unix.INPCK | unix.ISTRIP |
		unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IUCLC | unix.IXON | unix.IXOFF | unix.IXANY
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ICANON | unix.ECHO | unix.ECHOE | unix.ECHOK | unix.ECHONL | unix.ECHOCTL |
		unix.ECHOPRT | unix.ECHOKE | unix.ISIG | unix.IEXTEN
	// 8N1, receiver on, modem lines ignored, no RTS/CTS
	tio.Cflag &^= unix.CSIZE | unix.PARENB | unix.PARODD | unix.CMSPAR | unix.CSTOPB | unix.CRTSCTS
	tio.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	code := baudCode(baud)
	if code != 0 {
		tio.Cflag &^= unix.CBAUD
		tio.Cflag |= code
		tio.Ispeed, tio.Ospeed = code, code
	}
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, tio); err != nil {
		return fmt.Errorf("set termios: %w", err)
	}
	if code == 0 { // a non-standard rate: termios2
		tio, err := unix.IoctlGetTermios(fd, unix.TCGETS2)
		if err != nil {
			return fmt.Errorf("rate %d is not standard and termios2 fails: %w", baud, err)
		}
		tio.Cflag &^= unix.CBAUD
		tio.Cflag |= unix.BOTHER
		tio.Ispeed, tio.Ospeed = uint32(baud), uint32(baud)
		if err := unix.IoctlSetTermios(fd, unix.TCSETS2, tio); err != nil {
			return fmt.Errorf("set rate %d (termios2): %w", baud, err)
		}
	}
	// Exclusive: later opens fail with EBUSY (except for root). Best
	// effort, as in go.bug.st/serial.
	unix.IoctlSetInt(fd, unix.TIOCEXCL, 0)
	return nil
}

// termiosPort is a tty opened by openTermios: an *os.File under the
// poller, with errors that name the port.
type termiosPort struct {
	_    [0]func() // not comparable: no equality function to link
	f    *os.File
	rc   syscall.RawConn
	path string
	once sync.Once
}

// SetReadDeadline sets the deadline for Read, including a pending one;
// zero means none.
func (t *termiosPort) SetReadDeadline(d time.Time) error {
	if err := t.f.SetReadDeadline(d); err != nil {
		return fmt.Errorf("serialtransport: %s: %w", t.path, err)
	}
	return nil
}

// Read reads at least one byte. Past the deadline it fails wrapping
// os.ErrDeadlineExceeded; after Close, os.ErrClosed; on a hangup (the
// device went away) io.EOF or the tty's error.
func (t *termiosPort) Read(b []byte) (int, error) {
	n, err := t.f.Read(b)
	if err != nil {
		return n, fmt.Errorf("serialtransport: read %s: %w", t.path, err)
	}
	return n, nil
}

// Write writes all of b (os.File loops over short writes).
func (t *termiosPort) Write(b []byte) (int, error) {
	n, err := t.f.Write(b)
	if err != nil {
		return n, fmt.Errorf("serialtransport: write %s: %w", t.path, err)
	}
	return n, nil
}

// Close releases exclusive access and closes the port, unblocking a
// pending Read. Calls after the first return nil.
func (t *termiosPort) Close() error {
	var err error
	t.once.Do(func() {
		t.rc.Control(func(fd uintptr) { unix.IoctlSetInt(int(fd), unix.TIOCNXCL, 0) })
		if cerr := t.f.Close(); cerr != nil {
			err = fmt.Errorf("serialtransport: close %s: %w", t.path, cerr)
		}
	})
	return err
}
