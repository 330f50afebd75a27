package rawsocket

import (
	"errors"
	"strconv"
)

// Sentinel errors. Errors returned by this package wrap them (with context),
// so test with errors.Is.
var (
	// ErrSerializerUnsupported: the router does not speak the requested
	// serializer (handshake error code 1).
	ErrSerializerUnsupported = errors.New("rawsocket: serializer unsupported")
	// ErrMaxLengthUnacceptable: the router does not accept the client's
	// maximum message length (handshake error code 2).
	ErrMaxLengthUnacceptable = errors.New("rawsocket: maximum message length unacceptable")
	// ErrReservedBits: reserved bits are set, in a handshake (error code 3)
	// or in a frame header, or a reserved frame type is used.
	ErrReservedBits = errors.New("rawsocket: use of reserved bits (unsupported feature)")
	// ErrConnectionLimit: the router has reached its maximum connection
	// count (handshake error code 4).
	ErrConnectionLimit = errors.New("rawsocket: maximum connection count reached")
	// ErrBadMagic: the first handshake octet is not 0x7F; the peer does not
	// speak RawSocket.
	ErrBadMagic = errors.New("rawsocket: bad magic octet (not a RawSocket peer)")
	// ErrBadHandshake: a handshake that breaks the spec in some other way
	// (serializer 0, a reply with another serializer than requested).
	ErrBadHandshake = errors.New("rawsocket: bad handshake")
	// ErrBadFrame: a frame header that breaks the spec in some other way
	// (the 25th length bit set with a non-zero 24-bit length).
	ErrBadFrame = errors.New("rawsocket: bad frame header")
	// ErrMessageTooLarge: a received frame over our limit (the connection
	// ends), or a message to send over the peer's limit (nothing is written).
	ErrMessageTooLarge = errors.New("rawsocket: message too large")
	// ErrKeepAliveTimeout: no PONG came back in time for a keepalive PING.
	ErrKeepAliveTimeout = errors.New("rawsocket: keepalive timeout (no PONG)")
)

// ErrorCode is the error code of a handshake error reply (the upper four
// bits of its second octet).
type ErrorCode uint8

// Handshake error codes of the WAMP spec.
const (
	CodeSerializerUnsupported ErrorCode = 1 // serializer unsupported
	CodeMaxLengthUnacceptable ErrorCode = 2 // maximum message length unacceptable
	CodeReservedBits          ErrorCode = 3 // use of reserved bits (unsupported feature)
	CodeConnectionLimit       ErrorCode = 4 // maximum connection count reached
)

// String returns the spec's description of the code.
func (c ErrorCode) String() string {
	switch c {
	case 0:
		return "illegal (must not be used)"
	case CodeSerializerUnsupported:
		return "serializer unsupported"
	case CodeMaxLengthUnacceptable:
		return "maximum message length unacceptable"
	case CodeReservedBits:
		return "use of reserved bits (unsupported feature)"
	case CodeConnectionLimit:
		return "maximum connection count reached"
	}
	return "reserved error code " + strconv.Itoa(int(c))
}

// sentinel returns the sentinel error matching the code, or nil.
func (c ErrorCode) sentinel() error {
	switch c {
	case CodeSerializerUnsupported:
		return ErrSerializerUnsupported
	case CodeMaxLengthUnacceptable:
		return ErrMaxLengthUnacceptable
	case CodeReservedBits:
		return ErrReservedBits
	case CodeConnectionLimit:
		return ErrConnectionLimit
	}
	return nil
}

// HandshakeError is a handshake refused with an error code: received by a
// client in the router's error reply, or sent by a router (Server returns it
// after replying). It unwraps to the sentinel matching its code
// (ErrSerializerUnsupported ... ErrConnectionLimit), or to ErrBadHandshake
// for codes the spec does not define. Values are immutable and safe for
// concurrent use.
type HandshakeError struct {
	Code ErrorCode
}

// Error describes the refusal.
func (e *HandshakeError) Error() string {
	return "rawsocket: handshake refused: " + e.Code.String() + " (code " + strconv.Itoa(int(e.Code)) + ")"
}

// Unwrap returns the sentinel matching the code.
func (e *HandshakeError) Unwrap() error {
	if s := e.Code.sentinel(); s != nil {
		return s
	}
	return ErrBadHandshake
}
