package wamp

import "fmt"

// protoErr returns an error wrapping ErrProtocolViolation.
func protoErr(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, ErrProtocolViolation)...)
}

// fields reads a message's fields in order through a msgReader and records
// the first error, so that each message shape below reads as its wire format.
type fields struct {
	r      msgReader
	prefix string // "wamp: json", "wamp: msgpack"
	t      MessageType
	err    error
}

func (f *fields) wrap(name string, err error) {
	if f.err == nil {
		f.err = fmt.Errorf("%s: %s %s: %w", f.prefix, f.t, name, err)
	}
}

// next reports whether field name is present; a missing field is an error.
func (f *fields) next(name string) bool {
	if f.err != nil {
		return false
	}
	ok, err := f.r.more()
	if err != nil {
		f.wrap(name, err)
		return false
	}
	if !ok {
		f.wrap(name, protoErr("missing field"))
		return false
	}
	return true
}

// optional reports whether an optional field follows.
func (f *fields) optional(name string) bool {
	if f.err != nil {
		return false
	}
	ok, err := f.r.more()
	if err != nil {
		f.wrap(name, err)
		return false
	}
	return ok
}

func (f *fields) id(name string) ID {
	if !f.next(name) {
		return 0
	}
	v, err := f.r.id()
	if err != nil {
		f.wrap(name, err)
	}
	return v
}

func (f *fields) str(name string) string {
	if !f.next(name) {
		return ""
	}
	v, err := f.r.str()
	if err != nil {
		f.wrap(name, err)
	}
	return v
}

func (f *fields) uri(name string) URI { return URI(f.str(name)) }

func (f *fields) dict(name string) Dict {
	if !f.next(name) {
		return nil
	}
	return f.dictValue(name)
}

func (f *fields) dictValue(name string) Dict {
	v, err := f.r.dict()
	if err != nil {
		f.wrap(name, err)
	}
	return v
}

// payload reads the optional trailing Arguments|list and ArgumentsKw|dict.
func (f *fields) payload(p *Payload) {
	if !f.optional("Arguments") {
		return
	}
	v, err := f.r.list()
	if err != nil {
		f.wrap("Arguments", err)
		return
	}
	p.Args = v
	if f.optional("ArgumentsKw") {
		p.Kwargs = f.dictValue("ArgumentsKw")
	}
}

// done checks that no field is left.
func (f *fields) done() error {
	if f.err != nil {
		return f.err
	}
	ok, err := f.r.more()
	if err != nil {
		f.wrap("end", err)
	} else if ok {
		f.wrap("end", protoErr("too many fields"))
	}
	return f.err
}

// decodeFields decodes the fields that follow the message code through r.
func decodeFields(r msgReader, prefix string, code ID) (Message, error) {
	if code > 255 {
		return nil, protoErr("%s: unknown message code %d", prefix, code)
	}
	f := fields{r: r, prefix: prefix, t: MessageType(code)}
	var m Message
	switch f.t {
	case HELLO:
		m = &Hello{Realm: f.uri("Realm"), Details: f.dict("Details")}
	case WELCOME:
		m = &Welcome{Session: f.id("Session"), Details: f.dict("Details")}
	case ABORT:
		m = &Abort{Details: f.dict("Details"), Reason: f.uri("Reason")}
	case CHALLENGE:
		m = &Challenge{AuthMethod: f.str("AuthMethod"), Extra: f.dict("Extra")}
	case AUTHENTICATE:
		m = &Authenticate{Signature: f.str("Signature"), Extra: f.dict("Extra")}
	case GOODBYE:
		m = &Goodbye{Details: f.dict("Details"), Reason: f.uri("Reason")}
	case ERROR:
		x := &ErrorMessage{}
		rt := f.id("Request.Type")
		if f.err == nil && rt > 255 {
			f.wrap("Request.Type", protoErr("unknown message code %d", rt))
		}
		x.RequestType = MessageType(rt)
		x.Request = f.id("Request")
		x.Details = f.dict("Details")
		x.Error = f.uri("Error")
		f.payload(&x.Payload)
		m = x
	case PUBLISH:
		x := &Publish{Request: f.id("Request"), Options: f.dict("Options"), Topic: f.uri("Topic")}
		f.payload(&x.Payload)
		m = x
	case PUBLISHED:
		m = &Published{Request: f.id("Request"), Publication: f.id("Publication")}
	case SUBSCRIBE:
		m = &Subscribe{Request: f.id("Request"), Options: f.dict("Options"), Topic: f.uri("Topic")}
	case SUBSCRIBED:
		m = &Subscribed{Request: f.id("Request"), Subscription: f.id("Subscription")}
	case UNSUBSCRIBE:
		m = &Unsubscribe{Request: f.id("Request"), Subscription: f.id("Subscription")}
	case UNSUBSCRIBED:
		x := &Unsubscribed{Request: f.id("Request")}
		if f.optional("Details") {
			x.Details = f.dictValue("Details")
		}
		m = x
	case EVENT:
		x := &Event{Subscription: f.id("Subscription"), Publication: f.id("Publication"), Details: f.dict("Details")}
		f.payload(&x.Payload)
		m = x
	case CALL:
		x := &Call{Request: f.id("Request"), Options: f.dict("Options"), Procedure: f.uri("Procedure")}
		f.payload(&x.Payload)
		m = x
	case CANCEL:
		m = &Cancel{Request: f.id("Request"), Options: f.dict("Options")}
	case RESULT:
		x := &Result{Request: f.id("Request"), Details: f.dict("Details")}
		f.payload(&x.Payload)
		m = x
	case REGISTER:
		m = &Register{Request: f.id("Request"), Options: f.dict("Options"), Procedure: f.uri("Procedure")}
	case REGISTERED:
		m = &Registered{Request: f.id("Request"), Registration: f.id("Registration")}
	case UNREGISTER:
		m = &Unregister{Request: f.id("Request"), Registration: f.id("Registration")}
	case UNREGISTERED:
		x := &Unregistered{Request: f.id("Request")}
		if f.optional("Details") {
			x.Details = f.dictValue("Details")
		}
		m = x
	case INVOCATION:
		x := &Invocation{Request: f.id("Request"), Registration: f.id("Registration"), Details: f.dict("Details")}
		f.payload(&x.Payload)
		m = x
	case INTERRUPT:
		m = &Interrupt{Request: f.id("Request"), Options: f.dict("Options")}
	case YIELD:
		x := &Yield{Request: f.id("Request"), Options: f.dict("Options")}
		f.payload(&x.Payload)
		m = x
	default:
		return nil, protoErr("%s: unknown message code %d", prefix, code)
	}
	if err := f.done(); err != nil {
		return nil, err
	}
	return m, nil
}
