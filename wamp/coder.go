package wamp

import "fmt"

// protoErr returns an error wrapping ErrProtocolViolation.
func protoErr(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, ErrProtocolViolation)...)
}

// coder carries one message's fields between the message and a serializer,
// in the direction its set half gives: each field method writes the field
// through w when encoding, and reads it through r into the message when
// decoding. A message type's fields method calls them in wire order, so its
// shape is written down once for both directions and both serializers.
// Decoding records the first error, named after the field.
type coder struct {
	_ [0]func() // not comparable: no equality function to link
	w msgWriter // set when encoding
	n int       // encoding: the fields written so far, the code included

	r      msgReader // set when decoding
	prefix string    // decoding: "wamp: json", "wamp: msgpack"
	t      MessageType
	err    error
}

func (c *coder) wrap(name string, err error) {
	if c.err == nil {
		c.err = fmt.Errorf("%s: %s %s: %w", c.prefix, c.t, name, err)
	}
}

// next reports whether field name is present; a missing field is an error.
func (c *coder) next(name string) bool {
	ok := c.optional(name)
	if !ok && c.err == nil {
		c.wrap(name, protoErr("missing field"))
	}
	return ok
}

// optional reports whether an optional field follows.
func (c *coder) optional(name string) bool {
	if c.err != nil {
		return false
	}
	ok, err := c.r.more()
	if err != nil {
		c.wrap(name, err)
		return false
	}
	return ok
}

// id is an ID field.
func (c *coder) id(name string, v *ID) {
	if c.w != nil {
		c.w.uint(uint64(*v))
		c.n++
		return
	}
	if !c.next(name) {
		return
	}
	var err error
	if *v, err = c.r.id(); err != nil {
		c.wrap(name, err)
	}
}

// code is a message code field (ERROR's REQUEST.Type).
func (c *coder) code(name string, v *MessageType) {
	id := ID(*v)
	c.id(name, &id)
	if c.w == nil && c.err == nil {
		if id > 255 {
			c.wrap(name, protoErr("unknown message code %d", id))
		}
		*v = MessageType(id)
	}
}

// str is a string field.
func (c *coder) str(name string, v *string) {
	if c.w != nil {
		c.w.str(*v)
		c.n++
		return
	}
	if !c.next(name) {
		return
	}
	var err error
	if *v, err = c.r.str(); err != nil {
		c.wrap(name, err)
	}
}

// uri is a URI field.
func (c *coder) uri(name string, v *URI) { c.str(name, (*string)(v)) }

// dict is a dict field; a nil one encodes as {}.
func (c *coder) dict(name string, v *Dict) {
	if c.w != nil {
		c.w.dict(*v)
		c.n++
		return
	}
	if c.next(name) {
		c.dictValue(name, v)
	}
}

// optionalDict is a trailing dict field sent only when it is non-empty.
func (c *coder) optionalDict(name string, v *Dict) {
	if c.w != nil {
		if len(*v) > 0 {
			c.dict(name, v)
		}
		return
	}
	if c.optional(name) {
		c.dictValue(name, v)
	}
}

func (c *coder) dictValue(name string, v *Dict) {
	var err error
	if *v, err = c.r.dict(); err != nil {
		c.wrap(name, err)
	}
}

// payload is the optional trailing Arguments|list and ArgumentsKw|dict. Both
// go on the wire when Kwargs is non-empty (a nil Args as []), Args alone when
// only it is non-empty, else neither.
func (c *coder) payload(p *Payload) {
	if c.w != nil {
		if len(p.Kwargs) == 0 && len(p.Args) == 0 {
			return
		}
		if p.Args == nil {
			c.w.list(List{})
		} else {
			c.w.list(p.Args)
		}
		c.n++
		if len(p.Kwargs) > 0 {
			c.w.dict(p.Kwargs)
			c.n++
		}
		return
	}
	if !c.optional("Arguments") {
		return
	}
	var err error
	if p.Args, err = c.r.list(); err != nil {
		c.wrap("Arguments", err)
		return
	}
	c.optionalDict("ArgumentsKw", &p.Kwargs)
}

// done checks, when decoding, that no field is left.
func (c *coder) done() error {
	if c.err != nil {
		return c.err
	}
	ok, err := c.r.more()
	if err != nil {
		c.wrap("end", err)
	} else if ok {
		c.wrap("end", protoErr("too many fields"))
	}
	return c.err
}
