package wamp

// MessageType is the integer code that opens every WAMP message on the wire.
type MessageType uint8

// Message codes of the basic and advanced profiles (WAMP spec, "Message Codes and Direction").
const (
	HELLO        MessageType = 1
	WELCOME      MessageType = 2
	ABORT        MessageType = 3
	CHALLENGE    MessageType = 4
	AUTHENTICATE MessageType = 5
	GOODBYE      MessageType = 6
	ERROR        MessageType = 8
	PUBLISH      MessageType = 16
	PUBLISHED    MessageType = 17
	SUBSCRIBE    MessageType = 32
	SUBSCRIBED   MessageType = 33
	UNSUBSCRIBE  MessageType = 34
	UNSUBSCRIBED MessageType = 35
	EVENT        MessageType = 36
	CALL         MessageType = 48
	CANCEL       MessageType = 49
	RESULT       MessageType = 50
	REGISTER     MessageType = 64
	REGISTERED   MessageType = 65
	UNREGISTER   MessageType = 66
	UNREGISTERED MessageType = 67
	INVOCATION   MessageType = 68
	INTERRUPT    MessageType = 69
	YIELD        MessageType = 70
)

// String returns the spec's upper-case name of the message type, or "UNKNOWN(n)".
func (t MessageType) String() string {
	switch t {
	case HELLO:
		return "HELLO"
	case WELCOME:
		return "WELCOME"
	case ABORT:
		return "ABORT"
	case CHALLENGE:
		return "CHALLENGE"
	case AUTHENTICATE:
		return "AUTHENTICATE"
	case GOODBYE:
		return "GOODBYE"
	case ERROR:
		return "ERROR"
	case PUBLISH:
		return "PUBLISH"
	case PUBLISHED:
		return "PUBLISHED"
	case SUBSCRIBE:
		return "SUBSCRIBE"
	case SUBSCRIBED:
		return "SUBSCRIBED"
	case UNSUBSCRIBE:
		return "UNSUBSCRIBE"
	case UNSUBSCRIBED:
		return "UNSUBSCRIBED"
	case EVENT:
		return "EVENT"
	case CALL:
		return "CALL"
	case CANCEL:
		return "CANCEL"
	case RESULT:
		return "RESULT"
	case REGISTER:
		return "REGISTER"
	case REGISTERED:
		return "REGISTERED"
	case UNREGISTER:
		return "UNREGISTER"
	case UNREGISTERED:
		return "UNREGISTERED"
	case INVOCATION:
		return "INVOCATION"
	case INTERRUPT:
		return "INTERRUPT"
	case YIELD:
		return "YIELD"
	}
	return "UNKNOWN(" + itoa(uint64(t)) + ")"
}

// Message is one WAMP message. The concrete types are pointers to this
// package's message structs (*Hello, *Welcome, ...; one per code above, in
// message_session.go, message_pubsub.go and message_rpc.go); each documents
// its wire shape on one line.
type Message interface {
	// Type returns the message's code.
	Type() MessageType
}

// Payload is the application data a message may carry: positional and keyword
// arguments. Both may be nil; a nil Kwargs is omitted on the wire, and a nil
// Args is omitted too when Kwargs is nil.
type Payload struct {
	Args   List
	Kwargs Dict
}

// itoa formats n in decimal without importing strconv into every caller's path.
func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}
