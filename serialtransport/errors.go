package serialtransport

import (
	"errors"
	"strconv"
)

// Sentinel errors. Errors returned by this package wrap them (with context),
// so test with errors.Is.
var (
	// ErrPeerRestarted: the peer handshook again (a new link id) while linked,
	// or told us it does not know the link (RESET "unknown link"): it
	// restarted, and the current link (the WAMP session on it) is over.
	ErrPeerRestarted = errors.New("serialtransport: peer restarted")
	// ErrLinkReset: the peer ended the link (RESET).
	ErrLinkReset = errors.New("serialtransport: link reset by peer")
	// ErrLinkDead: the peer went silent past the keepalive timeout, or a DATA
	// frame was retransmitted MaxRetries times without an ACK.
	ErrLinkDead = errors.New("serialtransport: link dead")
	// ErrClosed: the link or port was closed locally.
	ErrClosed = errors.New("serialtransport: closed")
	// ErrMessageTooLarge: a message to send is over the peer's limit (nothing
	// is written), or a received one is over ours.
	ErrMessageTooLarge = errors.New("serialtransport: message too large")
	// ErrHandshake: the handshake failed in a way that has no error code
	// (a bad reply, the serializer not echoed).
	ErrHandshake = errors.New("serialtransport: bad handshake")
	// ErrSerializerUnsupported: the gateway does not speak the requested
	// serializer (handshake error code 1).
	ErrSerializerUnsupported = errors.New("serialtransport: serializer unsupported")
	// ErrMaxLengthUnacceptable: the gateway refuses the announced maximum
	// message length (handshake error code 2).
	ErrMaxLengthUnacceptable = errors.New("serialtransport: maximum message length unacceptable")
	// ErrReservedBits: reserved handshake bits are set (handshake error code 3).
	ErrReservedBits = errors.New("serialtransport: use of reserved bits (unsupported feature)")
	// ErrConnectionLimit: the gateway takes no more links (handshake error code 4).
	ErrConnectionLimit = errors.New("serialtransport: maximum connection count reached")
)

// ErrorCode is a handshake error code, as in RawSocket: the upper four bits
// of the second handshake octet of a refusing HELLO-ACK.
type ErrorCode uint8

// Handshake error codes (the RawSocket ones).
const (
	CodeSerializerUnsupported ErrorCode = 1
	CodeMaxLengthUnacceptable ErrorCode = 2
	CodeReservedBits          ErrorCode = 3
	CodeConnectionLimit       ErrorCode = 4
)

// HandshakeError is a handshake refused by the gateway with an error code.
// It unwraps to the sentinel of its code, or to ErrHandshake for codes not
// defined. Values are immutable and safe for concurrent use.
type HandshakeError struct {
	Code ErrorCode
}

// Error describes the refusal.
func (e *HandshakeError) Error() string {
	return "serialtransport: handshake refused (code " + strconv.Itoa(int(e.Code)) + ")"
}

// Unwrap returns the sentinel matching the code.
func (e *HandshakeError) Unwrap() error {
	switch e.Code {
	case CodeSerializerUnsupported:
		return ErrSerializerUnsupported
	case CodeMaxLengthUnacceptable:
		return ErrMaxLengthUnacceptable
	case CodeReservedBits:
		return ErrReservedBits
	case CodeConnectionLimit:
		return ErrConnectionLimit
	}
	return ErrHandshake
}
