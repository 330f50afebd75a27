package wamp

// SerializerID is the serializer's code in the RawSocket handshake (and the
// serial link handshake): 1 for JSON, 2 for MessagePack, 3 for CBOR.
type SerializerID uint8

// Serializer codes of the RawSocket handshake.
const (
	SerializerJSON    SerializerID = 1
	SerializerMsgPack SerializerID = 2
	SerializerCBOR    SerializerID = 3
)

// A Serializer turns messages into bytes and back. Implementations are safe
// for concurrent use and hold no per-message state.
type Serializer interface {
	// ID returns the serializer's RawSocket code.
	ID() SerializerID
	// Name returns "json", "msgpack" or "cbor"; the WebSocket subprotocol is "wamp.2." + Name().
	Name() string
	// Binary reports whether encoded messages are binary (a WebSocket binary frame)
	// rather than UTF-8 text.
	Binary() bool
	// AppendMessage appends the encoding of m to dst and returns the extended slice.
	AppendMessage(dst []byte, m Message) ([]byte, error)
	// DecodeMessage decodes one whole message. The result does not refer to b,
	// which the caller may reuse. Malformed input returns an error that wraps
	// ErrProtocolViolation.
	DecodeMessage(b []byte) (Message, error)
}
