package rawsocket

import (
	"fmt"

	"github.com/edgewamp/edgewamp/wamp"
)

// The handshake is 4 octets each way (WAMP spec, "RawSocket Transport"):
//
//	request and success reply: 0111 1111  LLLL SSSS  RRRR RRRR  RRRR RRRR
//	error reply:               0111 1111  EEEE 0000  RRRR RRRR  RRRR RRRR
//
// 0x7F is the magic octet. LLLL is the sender's maximum receive length,
// 2^(9+LLLL) octets (512 octets to 16 MiB). SSSS is the serializer (1 JSON,
// 2 MessagePack; 0 is illegal); the router echoes the client's. EEEE is an
// error code (1..4, see ErrorCode). The last two octets are reserved and must
// be zero.

// Handshake constants.
const (
	magic = 0x7F
	// MinMessageSize and MaxMessageSize bound the maximum message length a
	// peer can announce: 2^9 and 2^24 octets.
	MinMessageSize = 1 << 9
	MaxMessageSize = 1 << 24
	// DefaultMaxMessageSize is the maximum message length we accept when the
	// config says 0.
	DefaultMaxMessageSize = 1 << 20
)

// lengthExp returns the LLLL value announcing a limit of at least size
// octets: size is clamped to [MinMessageSize, MaxMessageSize] and rounded up
// to a power of two. 0 means DefaultMaxMessageSize.
func lengthExp(size int) uint8 {
	if size <= 0 {
		size = DefaultMaxMessageSize
	}
	var l uint8
	for l < 15 && 1<<(9+l) < size {
		l++
	}
	return l
}

// lengthOf returns the maximum message length announced by LLLL.
func lengthOf(l uint8) int { return 1 << (9 + int(l&0x0F)) }

// roundMessageSize returns the limit actually announced for size.
func roundMessageSize(size int) int { return lengthOf(lengthExp(size)) }

// appendHandshake appends a request or success reply.
func appendHandshake(dst []byte, l uint8, s wamp.SerializerID) []byte {
	return append(dst, magic, l<<4|uint8(s)&0x0F, 0, 0)
}

// appendHandshakeError appends an error reply.
func appendHandshakeError(dst []byte, code ErrorCode) []byte {
	return append(dst, magic, uint8(code)<<4, 0, 0)
}

// parseRequest parses a client's handshake request. On a spec violation
// that the router answers, it returns the error code to answer with (and an
// error wrapping its sentinel); for a bad magic octet, which gets no answer,
// the code is 0.
func parseRequest(b [4]byte) (l uint8, s wamp.SerializerID, code ErrorCode, err error) {
	if b[0] != magic {
		return 0, 0, 0, fmt.Errorf("%w: got 0x%02x", ErrBadMagic, b[0])
	}
	if b[2] != 0 || b[3] != 0 {
		return 0, 0, CodeReservedBits, fmt.Errorf("%w: reserved handshake octets 0x%02x%02x", ErrReservedBits, b[2], b[3])
	}
	l, s = b[1]>>4, wamp.SerializerID(b[1]&0x0F)
	if s == 0 {
		return 0, 0, CodeSerializerUnsupported, fmt.Errorf("%w: serializer 0 is illegal", ErrSerializerUnsupported)
	}
	return l, s, 0, nil
}

// parseReply parses the router's reply to a request for serializer want.
// It returns the router's LLLL, or a *HandshakeError for an error reply.
func parseReply(b [4]byte, want wamp.SerializerID) (uint8, error) {
	if b[0] == 'H' { // "HTTP/1.1 400 Bad Request": a web server, a WebSocket port most likely
		return 0, fmt.Errorf("%w: router replied %q, an HTTP answer: this is an HTTP/WebSocket port; "+
			"use a ws:// URL for it, or the router's RawSocket port (sensorbridge's defaults: RawSocket 8081, WebSocket 8080)",
			ErrBadMagic, b[:])
	}
	if b[0] != magic {
		return 0, fmt.Errorf("%w: router replied 0x%02x", ErrBadMagic, b[0])
	}
	if b[2] != 0 || b[3] != 0 {
		return 0, fmt.Errorf("%w: reserved octets 0x%02x%02x in the router's reply", ErrReservedBits, b[2], b[3])
	}
	s := wamp.SerializerID(b[1] & 0x0F)
	if s == 0 {
		return 0, &HandshakeError{Code: ErrorCode(b[1] >> 4)}
	}
	if s != want {
		return 0, fmt.Errorf("%w: router chose serializer %d, requested %d", ErrBadHandshake, s, want)
	}
	return b[1] >> 4, nil
}
