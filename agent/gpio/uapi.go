// Package gpio drives Linux GPIO lines through the GPIO character device
// (/dev/gpiochipN) with the kernel's v2 uAPI (linux/gpio.h, Linux 5.10 and
// later): one line per request, input with optional edge events, or output.
//
// The uAPI structs are encoded by hand into byte buffers in the kernel's
// layout (this file) rather than mirrored as Go structs: on 32-bit ARM and
// MIPS Go aligns uint64 fields to 4 bytes while the kernel's __aligned_u64
// is 8-aligned, so a Go struct would not match. The ioctl calls are in
// line_linux.go.
package gpio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Sizes and limits from linux/gpio.h.
const (
	maxNameSize       = 32 // GPIO_MAX_NAME_SIZE
	linesMax          = 64 // GPIO_V2_LINES_MAX
	lineNumAttrsMax   = 10 // GPIO_V2_LINE_NUM_ATTRS_MAX
	sizeofAttribute   = 16 // struct gpio_v2_line_attribute
	sizeofConfigAttr  = 24 // struct gpio_v2_line_config_attribute
	sizeofLineConfig  = 272
	sizeofLineRequest = 592
	sizeofLineValues  = 16
	sizeofLineEvent   = 48
	sizeofChipInfo    = 68

	// Offsets inside struct gpio_v2_line_request.
	offConsumer  = 4 * linesMax                 // 256
	offConfig    = offConsumer + maxNameSize    // 288
	offNumLines  = offConfig + sizeofLineConfig // 560
	offEventBuf  = offNumLines + 4              // 564
	offRequestFD = offEventBuf + 4 + 5*4        // 588
	offAttrs     = 8 + 4 + 5*4                  // attrs inside gpio_v2_line_config: 32
)

// Line flags (enum gpio_v2_line_flag).
const (
	flagUsed          uint64 = 1 << 0
	flagActiveLow     uint64 = 1 << 1
	flagInput         uint64 = 1 << 2
	flagOutput        uint64 = 1 << 3
	flagEdgeRising    uint64 = 1 << 4
	flagEdgeFalling   uint64 = 1 << 5
	flagOpenDrain     uint64 = 1 << 6
	flagOpenSource    uint64 = 1 << 7
	flagBiasPullUp    uint64 = 1 << 8
	flagBiasPullDown  uint64 = 1 << 9
	flagBiasDisabled  uint64 = 1 << 10
	flagClockRealtime uint64 = 1 << 11
)

// Attribute ids (enum gpio_v2_line_attr_id).
const (
	attrFlags        = 1
	attrOutputValues = 2
	attrDebounce     = 3
)

// Edge selects which edges of an input line produce events.
type Edge uint8

// Edges.
const (
	EdgeNone Edge = iota
	EdgeRising
	EdgeFalling
	EdgeBoth
)

// Bias selects the line's pull resistor.
type Bias uint8

// Biases. BiasAsIs leaves the line's bias as it is.
const (
	BiasAsIs Bias = iota
	BiasPullUp
	BiasPullDown
	BiasDisabled
)

// Drive selects an output line's drive.
type Drive uint8

// Drives.
const (
	DrivePushPull Drive = iota
	DriveOpenDrain
	DriveOpenSource
)

// LineConfig describes one line to request. The zero value requests line 0
// as a plain input.
type LineConfig struct {
	_ [0]func() // not comparable: no equality function to link
	// Offset is the line's number on its chip.
	Offset uint32
	// Consumer labels the request (shown by gpioinfo); at most 31 bytes,
	// longer is cut. Default "edge-agent".
	Consumer string
	// Output requests the line as an output, else as an input.
	Output bool
	// ActiveLow inverts the line's logical value.
	ActiveLow bool
	// Initial is an output's initial logical value (0 or 1).
	Initial int
	// Edge selects edge events (inputs only). Default none.
	Edge Edge
	// Bias selects the pull resistor. Default: as is.
	Bias Bias
	// Drive selects an output's drive. Default push-pull.
	Drive Drive
	// Debounce, when positive, asks the kernel to debounce an input
	// (microsecond resolution).
	Debounce time.Duration
}

// ErrBadConfig is wrapped by the errors of an invalid LineConfig.
var ErrBadConfig = errors.New("gpio: invalid line configuration")

// flags returns the request's line flags after checking cfg.
func (cfg *LineConfig) flags() (uint64, error) {
	var f uint64
	if cfg.Output {
		f |= flagOutput
		if cfg.Edge != EdgeNone {
			return 0, fmt.Errorf("%w: edge events need an input line", ErrBadConfig)
		}
		if cfg.Debounce > 0 {
			return 0, fmt.Errorf("%w: debounce needs an input line", ErrBadConfig)
		}
		switch cfg.Drive {
		case DrivePushPull:
		case DriveOpenDrain:
			f |= flagOpenDrain
		case DriveOpenSource:
			f |= flagOpenSource
		default:
			return 0, fmt.Errorf("%w: drive %d", ErrBadConfig, cfg.Drive)
		}
	} else {
		f |= flagInput
		if cfg.Drive != DrivePushPull {
			return 0, fmt.Errorf("%w: drive needs an output line", ErrBadConfig)
		}
		switch cfg.Edge {
		case EdgeNone:
		case EdgeRising:
			f |= flagEdgeRising
		case EdgeFalling:
			f |= flagEdgeFalling
		case EdgeBoth:
			f |= flagEdgeRising | flagEdgeFalling
		default:
			return 0, fmt.Errorf("%w: edge %d", ErrBadConfig, cfg.Edge)
		}
		if cfg.Edge != EdgeNone {
			f |= flagClockRealtime
		}
	}
	if cfg.ActiveLow {
		f |= flagActiveLow
	}
	switch cfg.Bias {
	case BiasAsIs:
	case BiasPullUp:
		f |= flagBiasPullUp
	case BiasPullDown:
		f |= flagBiasPullDown
	case BiasDisabled:
		f |= flagBiasDisabled
	default:
		return 0, fmt.Errorf("%w: bias %d", ErrBadConfig, cfg.Bias)
	}
	if cfg.Initial != 0 && cfg.Initial != 1 {
		return 0, fmt.Errorf("%w: initial value %d (want 0 or 1)", ErrBadConfig, cfg.Initial)
	}
	return f, nil
}

// encodeRequest fills b (sizeofLineRequest bytes, zeroed) with the struct
// gpio_v2_line_request for cfg, in byte order bo (the kernel's: native).
func encodeRequest(b []byte, cfg *LineConfig, bo binary.ByteOrder) error {
	if len(b) != sizeofLineRequest {
		return fmt.Errorf("gpio: request buffer is %d bytes, want %d", len(b), sizeofLineRequest)
	}
	f, err := cfg.flags()
	if err != nil {
		return err
	}
	bo.PutUint32(b[0:], cfg.Offset) // offsets[0]
	consumer := cfg.Consumer
	if consumer == "" {
		consumer = "edge-agent"
	}
	if len(consumer) > maxNameSize-1 {
		consumer = consumer[:maxNameSize-1]
	}
	copy(b[offConsumer:offConsumer+maxNameSize-1], consumer) // NUL-terminated: the last byte stays 0

	c := b[offConfig : offConfig+sizeofLineConfig]
	bo.PutUint64(c[0:], f) // config.flags
	n := 0
	attr := func(id uint32) []byte {
		a := c[offAttrs+n*sizeofConfigAttr : offAttrs+(n+1)*sizeofConfigAttr]
		n++
		bo.PutUint32(a[0:], id)
		bo.PutUint64(a[16:], 1) // mask: line index 0 of the request
		return a
	}
	if cfg.Output && cfg.Initial == 1 {
		a := attr(attrOutputValues)
		bo.PutUint64(a[8:], 1) // values: bit 0 set
	}
	if !cfg.Output && cfg.Debounce > 0 {
		us := cfg.Debounce.Microseconds()
		if us < 1 {
			us = 1
		}
		if us > 1<<32-1 {
			return fmt.Errorf("%w: debounce %v too long", ErrBadConfig, cfg.Debounce)
		}
		a := attr(attrDebounce)
		bo.PutUint32(a[8:], uint32(us))
	}
	bo.PutUint32(c[8:], uint32(n)) // config.num_attrs
	bo.PutUint32(b[offNumLines:], 1)
	bo.PutUint32(b[offEventBuf:], 0) // kernel default (16 per line)
	bo.PutUint32(b[offRequestFD:], 0)
	return nil
}

// encodeValues fills b (sizeofLineValues bytes) with a struct
// gpio_v2_line_values for line index 0: bits then mask.
func encodeValues(b []byte, v int, bo binary.ByteOrder) {
	bo.PutUint64(b[0:], uint64(v&1))
	bo.PutUint64(b[8:], 1)
}

// EventKind is the kind of an edge event.
type EventKind uint8

// Event kinds (enum gpio_v2_line_event_id).
const (
	RisingEdge  EventKind = 1
	FallingEdge EventKind = 2
)

// Event is one edge event of an input line.
type Event struct {
	_      [0]func() // not comparable: no equality function to link
	Time   time.Time // when the kernel saw the edge (CLOCK_REALTIME)
	Kind   EventKind // RisingEdge or FallingEdge (of the logical value)
	Offset uint32    // the line
	Seq    uint32    // line_seqno: a gap means events were lost
}

// decodeEvent reads a struct gpio_v2_line_event from b.
func decodeEvent(b []byte, bo binary.ByteOrder) (Event, error) {
	if len(b) < sizeofLineEvent {
		return Event{}, fmt.Errorf("gpio: short event: %d bytes", len(b))
	}
	ns := bo.Uint64(b[0:])
	id := bo.Uint32(b[8:])
	if id != uint32(RisingEdge) && id != uint32(FallingEdge) {
		return Event{}, fmt.Errorf("gpio: unknown event id %d", id)
	}
	return Event{
		Time:   time.Unix(0, int64(ns)),
		Kind:   EventKind(id),
		Offset: bo.Uint32(b[12:]),
		Seq:    bo.Uint32(b[20:]),
	}, nil
}

// ioctl request numbers, built like the kernel's _IOC macro (ioc.go and
// ioc_mips.go hold the per-architecture direction encoding).
func ioc(dir, nr, size uintptr) uintptr {
	return dir<<iocDirShift | size<<iocSizeShift | 0xB4<<8 | nr
}

var (
	ioctlGetChipInfo   = ioc(iocRead, 0x01, sizeofChipInfo)
	ioctlGetLine       = ioc(iocRead|iocWrite, 0x07, sizeofLineRequest)
	ioctlLineGetValues = ioc(iocRead|iocWrite, 0x0E, sizeofLineValues)
	ioctlLineSetValues = ioc(iocRead|iocWrite, 0x0F, sizeofLineValues)
)
