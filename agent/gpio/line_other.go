//go:build !linux

package gpio

import (
	"errors"
	"time"
)

// ErrUnsupported is returned by Request on systems without the Linux GPIO
// character device.
var ErrUnsupported = errors.New("gpio: the GPIO character device needs Linux")

// Line is one requested GPIO line; on this system none can be requested.
type Line struct{}

// Request fails with ErrUnsupported: the GPIO character device is Linux only.
func Request(chip string, cfg LineConfig) (*Line, error) { return nil, ErrUnsupported }

// Value fails with ErrUnsupported.
func (l *Line) Value() (int, error) { return 0, ErrUnsupported }

// SetValue fails with ErrUnsupported.
func (l *Line) SetValue(v int) error { return ErrUnsupported }

// ReadEvent fails with ErrUnsupported.
func (l *Line) ReadEvent() (Event, error) { return Event{Time: time.Time{}}, ErrUnsupported }

// Close does nothing.
func (l *Line) Close() error { return nil }
