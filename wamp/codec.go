package wamp

import "fmt"

// This file holds the plumbing shared by every message type and serializer.
// Each message type lists its fields once, in wire order, in its fields
// method beside its definition (message_session.go, message_pubsub.go,
// message_rpc.go); a coder (coder.go) carries them to or from the wire. The
// JSON and MessagePack serializers supply msgWriter and msgReader, and read
// the array head and message code.

// maxDepth bounds the nesting of lists and dicts, both when decoding peer
// input and when encoding user values (a list that contains itself would
// otherwise recurse forever).
const maxDepth = 64

// msgWriter is the serializer-specific half of encoding one message.
// Implementations record the first error and keep going; failed reports it.
type msgWriter interface {
	begin()        // opens the message array
	uint(v uint64) // an unsigned integer field (code, ID)
	str(s string)  // a string field (URI, auth method, signature)
	dict(d Dict)   // a dict field; nil encodes as {}
	list(l List)   // a list field
	end(n int)     // closes the message array of n fields (at most 7: ERROR with a payload)
	failed() error // the first error met, if any
}

// msgReader is the serializer-specific half of decoding one message, after
// the serializer has read the array header and the message code.
type msgReader interface {
	more() (bool, error)  // reports whether another field follows
	id() (ID, error)      // an integer in [0, MaxID]
	str() (string, error) // a string (not binary)
	dict() (Dict, error)  // a dict (never nil on success)
	list() (List, error)  // a list (never nil on success)
}

// wireMessage is what every message type implements beside its definition.
type wireMessage interface {
	Message
	// fields passes each field after the code, in wire order, to c, which
	// writes it when encoding and sets it when decoding.
	fields(c *coder)
}

// nilMessage returns a nil pointer of the message type of code t: encoding
// tells a nil pointer of a message type from a message by comparing with it.
func nilMessage(t MessageType) wireMessage {
	switch t {
	case HELLO:
		return (*Hello)(nil)
	case WELCOME:
		return (*Welcome)(nil)
	case ABORT:
		return (*Abort)(nil)
	case CHALLENGE:
		return (*Challenge)(nil)
	case AUTHENTICATE:
		return (*Authenticate)(nil)
	case GOODBYE:
		return (*Goodbye)(nil)
	case ERROR:
		return (*ErrorMessage)(nil)
	case PUBLISH:
		return (*Publish)(nil)
	case PUBLISHED:
		return (*Published)(nil)
	case SUBSCRIBE:
		return (*Subscribe)(nil)
	case SUBSCRIBED:
		return (*Subscribed)(nil)
	case UNSUBSCRIBE:
		return (*Unsubscribe)(nil)
	case UNSUBSCRIBED:
		return (*Unsubscribed)(nil)
	case EVENT:
		return (*Event)(nil)
	case CALL:
		return (*Call)(nil)
	case CANCEL:
		return (*Cancel)(nil)
	case RESULT:
		return (*Result)(nil)
	case REGISTER:
		return (*Register)(nil)
	case REGISTERED:
		return (*Registered)(nil)
	case UNREGISTER:
		return (*Unregister)(nil)
	case UNREGISTERED:
		return (*Unregistered)(nil)
	case INVOCATION:
		return (*Invocation)(nil)
	case INTERRUPT:
		return (*Interrupt)(nil)
	case YIELD:
		return (*Yield)(nil)
	}
	return nil
}

// newMessage returns a new, empty message of type t, or nil when t is not a
// message code.
func newMessage(t MessageType) wireMessage {
	switch t {
	case HELLO:
		return new(Hello)
	case WELCOME:
		return new(Welcome)
	case ABORT:
		return new(Abort)
	case CHALLENGE:
		return new(Challenge)
	case AUTHENTICATE:
		return new(Authenticate)
	case GOODBYE:
		return new(Goodbye)
	case ERROR:
		return new(ErrorMessage)
	case PUBLISH:
		return new(Publish)
	case PUBLISHED:
		return new(Published)
	case SUBSCRIBE:
		return new(Subscribe)
	case SUBSCRIBED:
		return new(Subscribed)
	case UNSUBSCRIBE:
		return new(Unsubscribe)
	case UNSUBSCRIBED:
		return new(Unsubscribed)
	case EVENT:
		return new(Event)
	case CALL:
		return new(Call)
	case CANCEL:
		return new(Cancel)
	case RESULT:
		return new(Result)
	case REGISTER:
		return new(Register)
	case REGISTERED:
		return new(Registered)
	case UNREGISTER:
		return new(Unregister)
	case UNREGISTERED:
		return new(Unregistered)
	case INVOCATION:
		return new(Invocation)
	case INTERRUPT:
		return new(Interrupt)
	case YIELD:
		return new(Yield)
	}
	return nil
}

// encodeMessage writes m through c.w; c lives in the serializer's pooled
// writer, for the reason decodeFields gives. It returns an error for a nil
// message, a message type of another package or a value the serializer
// cannot encode.
func encodeMessage(c *coder, m Message) error {
	wm, ok := m.(wireMessage)
	switch {
	case m == nil:
		return fmt.Errorf("wamp: cannot encode a nil message")
	case !ok:
		return fmt.Errorf("wamp: cannot encode message of type %T", m)
	}
	t := wm.Type()
	if wm == nilMessage(t) {
		return fmt.Errorf("wamp: cannot encode a nil %T", m)
	}
	w := c.w
	w.begin()
	w.uint(uint64(t))
	c.n = 1
	wm.fields(c)
	if err := w.failed(); err != nil {
		return err
	}
	w.end(c.n)
	return w.failed()
}

// decodeFields decodes the fields that follow the message code through c.r.
// c lives in the serializer's pooled reader, set up with its reader and
// prefix: one on the stack would escape through the fields method and cost
// an allocation per message.
func decodeFields(c *coder, code ID) (Message, error) {
	var m wireMessage
	if code <= 255 {
		m = newMessage(MessageType(code))
	}
	if m == nil {
		return nil, protoErr("%s: unknown message code %d", c.prefix, code)
	}
	c.t, c.err = MessageType(code), nil
	m.fields(c)
	if err := c.done(); err != nil {
		return nil, err
	}
	return m, nil
}
