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

// Message is one WAMP message. The concrete types are the pointer types below
// (*Hello, *Welcome, ...); each documents its wire shape on one line.
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

// Hello opens a session. [HELLO, Realm|uri, Details|dict]
type Hello struct {
	Realm   URI
	Details Dict
}

// Welcome accepts a session. [WELCOME, Session|id, Details|dict]
type Welcome struct {
	Session ID
	Details Dict
}

// Abort refuses or ends a session before or instead of GOODBYE. [ABORT, Details|dict, Reason|uri]
type Abort struct {
	Details Dict
	Reason  URI
}

// Challenge asks the client to authenticate. [CHALLENGE, AuthMethod|string, Extra|dict]
type Challenge struct {
	AuthMethod string
	Extra      Dict
}

// Authenticate answers a Challenge. [AUTHENTICATE, Signature|string, Extra|dict]
type Authenticate struct {
	Signature string
	Extra     Dict
}

// Goodbye closes a session; the other side answers with a Goodbye of its own.
// [GOODBYE, Details|dict, Reason|uri]
type Goodbye struct {
	Details Dict
	Reason  URI
}

// ErrorMessage is the ERROR message, the failure answer to a request.
// [ERROR, REQUEST.Type|int, REQUEST.Request|id, Details|dict, Error|uri, Arguments|list, ArgumentsKw|dict]
// (Go code handling failures uses [*Error], which ErrorMessage converts to with [ErrorMessage.Err].)
type ErrorMessage struct {
	RequestType MessageType
	Request     ID
	Details     Dict
	Error       URI
	Payload
}

// Publish sends an event. [PUBLISH, Request|id, Options|dict, Topic|uri, Arguments|list, ArgumentsKw|dict]
type Publish struct {
	Request ID
	Options Dict
	Topic   URI
	Payload
}

// Published acknowledges a Publish that asked for it. [PUBLISHED, PUBLISH.Request|id, Publication|id]
type Published struct {
	Request     ID
	Publication ID
}

// Subscribe asks for events on a topic or pattern. [SUBSCRIBE, Request|id, Options|dict, Topic|uri]
type Subscribe struct {
	Request ID
	Options Dict
	Topic   URI
}

// Subscribed acknowledges a Subscribe. [SUBSCRIBED, SUBSCRIBE.Request|id, Subscription|id]
type Subscribed struct {
	Request      ID
	Subscription ID
}

// Unsubscribe ends a subscription. [UNSUBSCRIBE, Request|id, SUBSCRIBED.Subscription|id]
type Unsubscribe struct {
	Request      ID
	Subscription ID
}

// Unsubscribed acknowledges an Unsubscribe; the router also sends it (Request 0,
// Details{"subscription": id, "reason": uri}) when it revokes a subscription.
// [UNSUBSCRIBED, UNSUBSCRIBE.Request|id] or [UNSUBSCRIBED, UNSUBSCRIBE.Request|id, Details|dict]
type Unsubscribed struct {
	Request ID
	Details Dict
}

// Event delivers a publication to a subscriber.
// [EVENT, SUBSCRIBED.Subscription|id, PUBLISHED.Publication|id, Details|dict, PUBLISH.Arguments|list, PUBLISH.ArgumentsKw|dict]
type Event struct {
	Subscription ID
	Publication  ID
	Details      Dict
	Payload
}

// Call invokes a procedure. [CALL, Request|id, Options|dict, Procedure|uri, Arguments|list, ArgumentsKw|dict]
type Call struct {
	Request   ID
	Options   Dict
	Procedure URI
	Payload
}

// Cancel asks the dealer to cancel a pending call. [CANCEL, CALL.Request|id, Options|dict]
type Cancel struct {
	Request ID
	Options Dict
}

// Result returns a call's (possibly progressive) result.
// [RESULT, CALL.Request|id, Details|dict, YIELD.Arguments|list, YIELD.ArgumentsKw|dict]
type Result struct {
	Request ID
	Details Dict
	Payload
}

// Register offers a procedure. [REGISTER, Request|id, Options|dict, Procedure|uri]
type Register struct {
	Request   ID
	Options   Dict
	Procedure URI
}

// Registered acknowledges a Register. [REGISTERED, REGISTER.Request|id, Registration|id]
type Registered struct {
	Request      ID
	Registration ID
}

// Unregister withdraws a registration. [UNREGISTER, Request|id, REGISTERED.Registration|id]
type Unregister struct {
	Request      ID
	Registration ID
}

// Unregistered acknowledges an Unregister; the router also sends it (Request 0,
// Details{"registration": id, "reason": uri}) when it revokes a registration.
// [UNREGISTERED, UNREGISTER.Request|id] or [UNREGISTERED, UNREGISTER.Request|id, Details|dict]
type Unregistered struct {
	Request ID
	Details Dict
}

// Invocation asks a callee to run a procedure.
// [INVOCATION, Request|id, REGISTERED.Registration|id, Details|dict, CALL.Arguments|list, CALL.ArgumentsKw|dict]
type Invocation struct {
	Request      ID
	Registration ID
	Details      Dict
	Payload
}

// Interrupt tells a callee that the caller cancelled an invocation. [INTERRUPT, INVOCATION.Request|id, Options|dict]
type Interrupt struct {
	Request ID
	Options Dict
}

// Yield returns an invocation's (possibly progressive) result.
// [YIELD, INVOCATION.Request|id, Options|dict, Arguments|list, ArgumentsKw|dict]
type Yield struct {
	Request ID
	Options Dict
	Payload
}

// Type implements Message.
func (*Hello) Type() MessageType { return HELLO }

// Type implements Message.
func (*Welcome) Type() MessageType { return WELCOME }

// Type implements Message.
func (*Abort) Type() MessageType { return ABORT }

// Type implements Message.
func (*Challenge) Type() MessageType { return CHALLENGE }

// Type implements Message.
func (*Authenticate) Type() MessageType { return AUTHENTICATE }

// Type implements Message.
func (*Goodbye) Type() MessageType { return GOODBYE }

// Type implements Message.
func (*ErrorMessage) Type() MessageType { return ERROR }

// Type implements Message.
func (*Publish) Type() MessageType { return PUBLISH }

// Type implements Message.
func (*Published) Type() MessageType { return PUBLISHED }

// Type implements Message.
func (*Subscribe) Type() MessageType { return SUBSCRIBE }

// Type implements Message.
func (*Subscribed) Type() MessageType { return SUBSCRIBED }

// Type implements Message.
func (*Unsubscribe) Type() MessageType { return UNSUBSCRIBE }

// Type implements Message.
func (*Unsubscribed) Type() MessageType { return UNSUBSCRIBED }

// Type implements Message.
func (*Event) Type() MessageType { return EVENT }

// Type implements Message.
func (*Call) Type() MessageType { return CALL }

// Type implements Message.
func (*Cancel) Type() MessageType { return CANCEL }

// Type implements Message.
func (*Result) Type() MessageType { return RESULT }

// Type implements Message.
func (*Register) Type() MessageType { return REGISTER }

// Type implements Message.
func (*Registered) Type() MessageType { return REGISTERED }

// Type implements Message.
func (*Unregister) Type() MessageType { return UNREGISTER }

// Type implements Message.
func (*Unregistered) Type() MessageType { return UNREGISTERED }

// Type implements Message.
func (*Invocation) Type() MessageType { return INVOCATION }

// Type implements Message.
func (*Interrupt) Type() MessageType { return INTERRUPT }

// Type implements Message.
func (*Yield) Type() MessageType { return YIELD }

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
