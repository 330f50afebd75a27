package gpio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Line is one requested GPIO line. Value, SetValue and Close are safe for
// concurrent use; ReadEvent must be called from one goroutine at a time.
type Line struct {
	_      [0]func() // not comparable: no equality function to link
	f      *os.File  // the line request's file descriptor (non-blocking, in the poller)
	offset uint32
	mu     sync.Mutex // serializes ioctls with Close
	evbuf  [sizeofLineEvent]byte
}

// Request opens the chip device (e.g. /dev/gpiochip0), requests the line
// described by cfg and closes the chip again; the line stays requested
// until Close.
func Request(chip string, cfg LineConfig) (*Line, error) {
	var req [sizeofLineRequest]byte
	if err := encodeRequest(req[:], &cfg, binary.NativeEndian); err != nil {
		return nil, err
	}
	cf, err := os.OpenFile(chip, os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("gpio: %w", err)
	}
	defer cf.Close()
	var info [sizeofChipInfo]byte
	if err := ioctl(cf, ioctlGetChipInfo, unsafe.Pointer(&info[0])); err != nil {
		return nil, fmt.Errorf("gpio: %s is not a GPIO chip: %w", chip, err)
	}
	if lines := binary.NativeEndian.Uint32(info[64:]); cfg.Offset >= lines {
		return nil, fmt.Errorf("%w: line %d: %s has %d lines", ErrBadConfig, cfg.Offset, chip, lines)
	}
	if err := ioctl(cf, ioctlGetLine, unsafe.Pointer(&req[0])); err != nil {
		return nil, fmt.Errorf("gpio: request line %d of %s: %w", cfg.Offset, chip, err)
	}
	fd := int(int32(binary.NativeEndian.Uint32(req[offRequestFD:])))
	if fd < 0 {
		return nil, fmt.Errorf("gpio: request line %d of %s: kernel returned fd %d", cfg.Offset, chip, fd)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("gpio: line %d: %w", cfg.Offset, err)
	}
	return &Line{f: os.NewFile(uintptr(fd), fmt.Sprintf("%s:%d", chip, cfg.Offset)), offset: cfg.Offset}, nil
}

// ioctl runs one ioctl on f's descriptor with arg pointing at a buffer.
func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno unix.Errno
	err = rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg))
	})
	if err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// Value reads the line's logical value (0 or 1).
func (l *Line) Value() (int, error) {
	var b [sizeofLineValues]byte
	encodeValues(b[:], 0, binary.NativeEndian) // mask: line 0
	l.mu.Lock()
	err := ioctl(l.f, ioctlLineGetValues, unsafe.Pointer(&b[0]))
	l.mu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("gpio: read line %d: %w", l.offset, err)
	}
	return int(binary.NativeEndian.Uint64(b[0:]) & 1), nil
}

// SetValue sets an output line's logical value (0 or 1).
func (l *Line) SetValue(v int) error {
	if v != 0 && v != 1 {
		return fmt.Errorf("%w: value %d (want 0 or 1)", ErrBadConfig, v)
	}
	var b [sizeofLineValues]byte
	encodeValues(b[:], v, binary.NativeEndian)
	l.mu.Lock()
	err := ioctl(l.f, ioctlLineSetValues, unsafe.Pointer(&b[0]))
	l.mu.Unlock()
	if err != nil {
		return fmt.Errorf("gpio: set line %d: %w", l.offset, err)
	}
	return nil
}

// ReadEvent waits for the next edge event of an input line requested with
// an Edge. It returns an error wrapping os.ErrClosed after Close.
func (l *Line) ReadEvent() (Event, error) {
	n, err := l.f.Read(l.evbuf[:])
	if err != nil {
		if errors.Is(err, os.ErrClosed) {
			return Event{}, fmt.Errorf("gpio: line %d: %w", l.offset, os.ErrClosed)
		}
		return Event{}, fmt.Errorf("gpio: read event of line %d: %w", l.offset, err)
	}
	return decodeEvent(l.evbuf[:n], binary.NativeEndian)
}

// Close releases the line; a ReadEvent blocked on it returns.
func (l *Line) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}
