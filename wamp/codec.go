package wamp

import "fmt"

// This file holds the one table of message shapes shared by every
// serializer: encodeMessage walks a message's fields in wire order through a
// msgWriter, and decodeFields reads them back through a msgReader. The JSON
// and MessagePack serializers only supply the two small interfaces, so each
// message's shape is written down once.

// maxDepth bounds the nesting of lists and dicts, both when decoding peer
// input and when encoding user values (a list that contains itself would
// otherwise recurse forever).
const maxDepth = 64

// msgWriter is the serializer-specific half of encoding one message.
// Implementations record the first error and keep going; failed reports it.
type msgWriter interface {
	array(n int)   // opens the message array of n fields
	uint(v uint64) // an unsigned integer field (code, ID)
	str(s string)  // a string field (URI, auth method, signature)
	dict(d Dict)   // a dict field; nil encodes as {}
	list(l List)   // a list field
	end()          // closes the message array
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

// payloadFields returns how many of Args and Kwargs go on the wire:
// both when Kwargs is non-empty, Args alone when only it is non-empty, else none.
func payloadFields(p *Payload) int {
	switch {
	case len(p.Kwargs) > 0:
		return 2
	case len(p.Args) > 0:
		return 1
	}
	return 0
}

func writePayload(w msgWriter, p *Payload, n int) {
	if n >= 1 {
		if p.Args == nil {
			w.list(List{})
		} else {
			w.list(p.Args)
		}
	}
	if n == 2 {
		w.dict(p.Kwargs)
	}
}

// encodeMessage writes m through w. It returns an error for a nil message,
// an unknown message type or a value the serializer cannot encode.
func encodeMessage(w msgWriter, m Message) error {
	switch m := m.(type) {
	case *Hello:
		if m == nil {
			return nilMessage(m)
		}
		w.array(3)
		w.uint(uint64(HELLO))
		w.str(string(m.Realm))
		w.dict(m.Details)
	case *Welcome:
		if m == nil {
			return nilMessage(m)
		}
		w.array(3)
		w.uint(uint64(WELCOME))
		w.uint(uint64(m.Session))
		w.dict(m.Details)
	case *Abort:
		if m == nil {
			return nilMessage(m)
		}
		w.array(3)
		w.uint(uint64(ABORT))
		w.dict(m.Details)
		w.str(string(m.Reason))
	case *Challenge:
		if m == nil {
			return nilMessage(m)
		}
		w.array(3)
		w.uint(uint64(CHALLENGE))
		w.str(m.AuthMethod)
		w.dict(m.Extra)
	case *Authenticate:
		if m == nil {
			return nilMessage(m)
		}
		w.array(3)
		w.uint(uint64(AUTHENTICATE))
		w.str(m.Signature)
		w.dict(m.Extra)
	case *Goodbye:
		if m == nil {
			return nilMessage(m)
		}
		w.array(3)
		w.uint(uint64(GOODBYE))
		w.dict(m.Details)
		w.str(string(m.Reason))
	case *ErrorMessage:
		if m == nil {
			return nilMessage(m)
		}
		n := payloadFields(&m.Payload)
		w.array(5 + n)
		w.uint(uint64(ERROR))
		w.uint(uint64(m.RequestType))
		w.uint(uint64(m.Request))
		w.dict(m.Details)
		w.str(string(m.Error))
		writePayload(w, &m.Payload, n)
	case *Publish:
		if m == nil {
			return nilMessage(m)
		}
		n := payloadFields(&m.Payload)
		w.array(4 + n)
		w.uint(uint64(PUBLISH))
		w.uint(uint64(m.Request))
		w.dict(m.Options)
		w.str(string(m.Topic))
		writePayload(w, &m.Payload, n)
	case *Published:
		if m == nil {
			return nilMessage(m)
		}
		writeIDs(w, PUBLISHED, m.Request, m.Publication)
	case *Subscribe:
		if m == nil {
			return nilMessage(m)
		}
		w.array(4)
		w.uint(uint64(SUBSCRIBE))
		w.uint(uint64(m.Request))
		w.dict(m.Options)
		w.str(string(m.Topic))
	case *Subscribed:
		if m == nil {
			return nilMessage(m)
		}
		writeIDs(w, SUBSCRIBED, m.Request, m.Subscription)
	case *Unsubscribe:
		if m == nil {
			return nilMessage(m)
		}
		writeIDs(w, UNSUBSCRIBE, m.Request, m.Subscription)
	case *Unsubscribed:
		if m == nil {
			return nilMessage(m)
		}
		writeRevocable(w, UNSUBSCRIBED, m.Request, m.Details)
	case *Event:
		if m == nil {
			return nilMessage(m)
		}
		n := payloadFields(&m.Payload)
		w.array(4 + n)
		w.uint(uint64(EVENT))
		w.uint(uint64(m.Subscription))
		w.uint(uint64(m.Publication))
		w.dict(m.Details)
		writePayload(w, &m.Payload, n)
	case *Call:
		if m == nil {
			return nilMessage(m)
		}
		n := payloadFields(&m.Payload)
		w.array(4 + n)
		w.uint(uint64(CALL))
		w.uint(uint64(m.Request))
		w.dict(m.Options)
		w.str(string(m.Procedure))
		writePayload(w, &m.Payload, n)
	case *Cancel:
		if m == nil {
			return nilMessage(m)
		}
		writeIDDict(w, CANCEL, m.Request, m.Options)
	case *Result:
		if m == nil {
			return nilMessage(m)
		}
		n := payloadFields(&m.Payload)
		w.array(3 + n)
		w.uint(uint64(RESULT))
		w.uint(uint64(m.Request))
		w.dict(m.Details)
		writePayload(w, &m.Payload, n)
	case *Register:
		if m == nil {
			return nilMessage(m)
		}
		w.array(4)
		w.uint(uint64(REGISTER))
		w.uint(uint64(m.Request))
		w.dict(m.Options)
		w.str(string(m.Procedure))
	case *Registered:
		if m == nil {
			return nilMessage(m)
		}
		writeIDs(w, REGISTERED, m.Request, m.Registration)
	case *Unregister:
		if m == nil {
			return nilMessage(m)
		}
		writeIDs(w, UNREGISTER, m.Request, m.Registration)
	case *Unregistered:
		if m == nil {
			return nilMessage(m)
		}
		writeRevocable(w, UNREGISTERED, m.Request, m.Details)
	case *Invocation:
		if m == nil {
			return nilMessage(m)
		}
		n := payloadFields(&m.Payload)
		w.array(4 + n)
		w.uint(uint64(INVOCATION))
		w.uint(uint64(m.Request))
		w.uint(uint64(m.Registration))
		w.dict(m.Details)
		writePayload(w, &m.Payload, n)
	case *Interrupt:
		if m == nil {
			return nilMessage(m)
		}
		writeIDDict(w, INTERRUPT, m.Request, m.Options)
	case *Yield:
		if m == nil {
			return nilMessage(m)
		}
		n := payloadFields(&m.Payload)
		w.array(3 + n)
		w.uint(uint64(YIELD))
		w.uint(uint64(m.Request))
		w.dict(m.Options)
		writePayload(w, &m.Payload, n)
	default:
		if m == nil {
			return fmt.Errorf("wamp: cannot encode a nil message")
		}
		return fmt.Errorf("wamp: cannot encode message of type %T", m)
	}
	if err := w.failed(); err != nil {
		return err
	}
	w.end()
	return w.failed()
}

func nilMessage(m Message) error {
	return fmt.Errorf("wamp: cannot encode a nil %T", m)
}

func writeIDs(w msgWriter, t MessageType, a, b ID) {
	w.array(3)
	w.uint(uint64(t))
	w.uint(uint64(a))
	w.uint(uint64(b))
}

func writeIDDict(w msgWriter, t MessageType, id ID, d Dict) {
	w.array(3)
	w.uint(uint64(t))
	w.uint(uint64(id))
	w.dict(d)
}

// writeRevocable writes UNSUBSCRIBED and UNREGISTERED: the Details dict is
// sent only when it is non-empty (a router-initiated revocation).
func writeRevocable(w msgWriter, t MessageType, id ID, d Dict) {
	if len(d) == 0 {
		w.array(2)
		w.uint(uint64(t))
		w.uint(uint64(id))
		return
	}
	writeIDDict(w, t, id, d)
}
