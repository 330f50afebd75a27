package serialtransport

import (
	"encoding/binary"

	"github.com/edgewamp/edgewamp/wamp"
)

// FrameType is the first byte of a frame's payload.
type FrameType uint8

// Frame types. The bodies are described in the package documentation.
const (
	TypeHello    FrameType = 0x01 // device → gateway: handshake request
	TypeHelloAck FrameType = 0x02 // gateway → device: handshake answer
	TypeData     FrameType = 0x03 // a WAMP message: seq ‖ message
	TypeAck      FrameType = 0x04 // seq: DATA up to seq delivered
	TypePing     FrameType = 0x05 // body echoed in a PONG
	TypePong     FrameType = 0x06 // the PING's body
	TypeReset    FrameType = 0x07 // reason: the link is over
)

// String names the frame type.
func (t FrameType) String() string {
	switch t {
	case TypeHello:
		return "HELLO"
	case TypeHelloAck:
		return "HELLO-ACK"
	case TypeData:
		return "DATA"
	case TypeAck:
		return "ACK"
	case TypePing:
		return "PING"
	case TypePong:
		return "PONG"
	case TypeReset:
		return "RESET"
	}
	return "type 0x" + string("0123456789abcdef"[t>>4]) + string("0123456789abcdef"[t&15])
}

// Reasons carried by a RESET frame.
const (
	resetClosed      = 0x00 // the sender closed the link
	resetUnknownLink = 0x01 // the sender has no link with us (it restarted)
)

const (
	magic       = 0x7F
	helloLen    = 1 + 4 + 1 + 4     // type, RawSocket octets, window, link id
	helloAckLen = 1 + 4 + 1 + 4 + 4 // type, RawSocket octets, window, gateway id, device id
)

// hello is the body of a HELLO or HELLO-ACK frame.
type hello struct {
	rs     [4]byte // the RawSocket handshake octets
	window uint8
	id     uint32 // the sender's link id
	echo   uint32 // HELLO-ACK only: the device's link id
}

// appendHello appends a HELLO payload.
func appendHello(dst []byte, l uint8, s wamp.SerializerID, window uint8, id uint32) []byte {
	dst = append(dst, byte(TypeHello), magic, l<<4|uint8(s)&0x0F, 0, 0, window)
	return binary.BigEndian.AppendUint32(dst, id)
}

// appendHelloAck appends a HELLO-ACK payload; a non-zero code refuses.
func appendHelloAck(dst []byte, l uint8, s wamp.SerializerID, code ErrorCode, window uint8, id, echo uint32) []byte {
	b1 := l<<4 | uint8(s)&0x0F
	if code != 0 {
		b1, window, id = uint8(code)<<4, 0, 0
	}
	dst = append(dst, byte(TypeHelloAck), magic, b1, 0, 0, window)
	dst = binary.BigEndian.AppendUint32(dst, id)
	return binary.BigEndian.AppendUint32(dst, echo)
}

// parseHello parses a HELLO (ack false) or HELLO-ACK (ack true) body (the
// payload after the type byte).
func parseHello(body []byte, ack bool) (h hello, ok bool) {
	n := helloLen - 1
	if ack {
		n = helloAckLen - 1
	}
	if len(body) != n {
		return h, false
	}
	copy(h.rs[:], body[:4])
	h.window = body[4]
	h.id = binary.BigEndian.Uint32(body[5:9])
	if ack {
		h.echo = binary.BigEndian.Uint32(body[9:13])
	}
	return h, true
}
