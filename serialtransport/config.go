package serialtransport

import (
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// Limits and defaults of [Config].
const (
	// MinMessageSize and MaxMessageSize bound the largest message a side can
	// accept: 512 B (LLLL = 0) to 64 KiB (LLLL = 7).
	MinMessageSize = 1 << 9
	MaxMessageSize = 1 << 16
	// DefaultMaxMessageSize is the largest message accepted when the config says 0.
	DefaultMaxMessageSize = 1 << 10
	// MaxWindow is the largest window a side may announce; sequence numbers
	// are one byte, so any window below 128 would work.
	MaxWindow = 16
	// DefaultWindow is the window announced when the config says 0.
	DefaultWindow           = 16
	DefaultRetransmit       = 250 * time.Millisecond
	DefaultMaxRetries       = 20
	DefaultHandshakeRetry   = 500 * time.Millisecond
	DefaultKeepAlive        = 5 * time.Second
	DefaultKeepAliveTimeout = 15 * time.Second
)

// Config configures one side of a link. The zero value means the documented
// defaults. A Config is copied by the functions that take it.
type Config struct {
	_ [0]func() // not comparable: no equality function to link
	// Serializer is the serializer a device asks for in its handshake.
	// Default wamp.MsgPack. The gateway side accepts JSON and MessagePack
	// and ignores this field.
	Serializer wamp.Serializer
	// MaxMessageSize is the largest WAMP message this side accepts; it is
	// clamped to [MinMessageSize, MaxMessageSize] and rounded up to a power
	// of two (the handshake announces it as 2^(9+LLLL)). Default 1 KiB.
	MaxMessageSize int
	// Window is the number of DATA frames this side lets the peer have
	// unacknowledged; the link uses the smaller of both sides' windows
	// (1 = stop-and-wait). Clamped to [1, MaxWindow]. Default 16 (MaxWindow):
	// at 250,000 baud, 16 frames of 100 bytes are 64 ms of line time, so
	// the line keeps busy while an ACK waits that long for a loaded CPU.
	Window int
	// RetransmitTimeout is how long an unacknowledged DATA frame waits
	// before it is sent again (with all frames after it). Default 250ms;
	// raise it for slow lines (a 1 KiB frame takes 0.9 s at 9600 baud).
	RetransmitTimeout time.Duration
	// MaxRetries is how many times a DATA frame is retransmitted before the
	// link is declared dead (ErrLinkDead). Default 20.
	MaxRetries int
	// HandshakeRetry is the interval at which a device repeats its
	// handshake until the gateway answers. Default 500ms.
	HandshakeRetry time.Duration
	// KeepAlive is the idle time (nothing received) after which a PING is
	// sent, and then again each KeepAlive while silence lasts. Default 5s;
	// negative disables keepalive (and KeepAliveTimeout).
	KeepAlive time.Duration
	// KeepAliveTimeout is the silence (nothing received) after which the
	// link is declared dead (ErrLinkDead). Default 3 × KeepAlive (15s).
	KeepAliveTimeout time.Duration
	// Name describes the line in RemoteAddr, e.g. "/dev/ttyUSB0". Default "serial".
	Name string
}

// withDefaults returns cfg with its zero fields set to the defaults and
// every field within its limits.
func (cfg Config) withDefaults() Config {
	if cfg.Serializer == nil {
		cfg.Serializer = wamp.MsgPack
	}
	cfg.MaxMessageSize = lengthOf(lengthExp(cfg.MaxMessageSize))
	switch {
	case cfg.Window <= 0:
		cfg.Window = DefaultWindow
	case cfg.Window > MaxWindow:
		cfg.Window = MaxWindow
	}
	if cfg.RetransmitTimeout <= 0 {
		cfg.RetransmitTimeout = DefaultRetransmit
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.HandshakeRetry <= 0 {
		cfg.HandshakeRetry = DefaultHandshakeRetry
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = DefaultKeepAlive
	}
	if cfg.KeepAlive < 0 {
		cfg.KeepAliveTimeout = 0
	} else if cfg.KeepAliveTimeout <= 0 {
		cfg.KeepAliveTimeout = 3 * cfg.KeepAlive
	}
	if cfg.Name == "" {
		cfg.Name = "serial"
	}
	return cfg
}

// lengthExp returns the LLLL announcing a limit of at least size bytes,
// within [MinMessageSize, MaxMessageSize]; 0 means DefaultMaxMessageSize.
func lengthExp(size int) uint8 {
	if size <= 0 {
		size = DefaultMaxMessageSize
	}
	var l uint8
	for l < 7 && 1<<(9+l) < size {
		l++
	}
	return l
}

// lengthOf returns the limit announced by LLLL (0..15).
func lengthOf(l uint8) int { return 1 << (9 + int(l&0x0F)) }

// Stats are the counters of one serial line (a [Listener] or a device's
// [Conn]), summed over the links it carried: a snapshot, copied by value.
type Stats struct {
	BytesIn, BytesOut   uint64 // bytes read from and written to the line
	FramesIn, FramesOut uint64 // good frames received, frames sent
	CRCErrors           uint64 // frames dropped for a CRC mismatch
	COBSErrors          uint64 // frames dropped for malformed COBS (or shorter than the CRC)
	Oversize            uint64 // runs longer than the largest frame, discarded
	Unknown             uint64 // well-formed frames of an unknown type, empty, or malformed bodies
	Retransmissions     uint64 // DATA frames sent again
	Duplicates          uint64 // DATA frames received again (discarded and re-acknowledged)
	OutOfOrder          uint64 // DATA frames received ahead of a gap (discarded)
	Restarts            uint64 // links ended because the peer restarted
	Handshakes          uint64 // links established
	Resets              uint64 // RESET frames received
	ControlDropped      uint64 // control frames (ACK, PONG, ...) not sent: too many waiting
}

// counters are the live, atomically updated Stats.
type counters struct {
	_                   [0]func() // not comparable: no equality function to link
	bytesIn, bytesOut   atomic.Uint64
	framesIn, framesOut atomic.Uint64
	crcErrors           atomic.Uint64
	cobsErrors          atomic.Uint64
	oversize            atomic.Uint64
	unknown             atomic.Uint64
	retransmissions     atomic.Uint64
	duplicates          atomic.Uint64
	outOfOrder          atomic.Uint64
	restarts            atomic.Uint64
	handshakes          atomic.Uint64
	resets              atomic.Uint64
	controlDropped      atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		BytesIn: c.bytesIn.Load(), BytesOut: c.bytesOut.Load(),
		FramesIn: c.framesIn.Load(), FramesOut: c.framesOut.Load(),
		CRCErrors: c.crcErrors.Load(), COBSErrors: c.cobsErrors.Load(),
		Oversize: c.oversize.Load(), Unknown: c.unknown.Load(),
		Retransmissions: c.retransmissions.Load(), Duplicates: c.duplicates.Load(),
		OutOfOrder: c.outOfOrder.Load(), Restarts: c.restarts.Load(),
		Handshakes: c.handshakes.Load(), Resets: c.resets.Load(),
		ControlDropped: c.controlDropped.Load(),
	}
}
