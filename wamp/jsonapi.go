package wamp

// ParseJSON parses one JSON document into the value model (see [Dict]):
// objects become Dict, arrays List, strings string, true and false bool,
// null nil, and numbers int64 when they are integers that fit, uint64 when
// they only fit unsigned, float64 otherwise. A string that starts with a NUL
// character is WAMP's binary convention and becomes []byte (its base64 is
// checked). Nesting is limited to 64 levels and anything but white space after
// the value is an error, a *[JSONSyntaxError]. It uses no reflection, so a
// program can read a configuration file without linking encoding/json.
func ParseJSON(b []byte) (any, error) {
	p := jsonParser{b: b}
	p.skipWS()
	v, err := p.value(0)
	if err == nil {
		p.skipWS()
		if p.i != len(p.b) {
			err = p.errAt("end of input")
		}
	}
	if err != nil {
		return nil, &JSONSyntaxError{Offset: min(p.i, len(b)), Err: err}
	}
	return v, nil
}

// JSONSyntaxError is the error of [ParseJSON]: where the parser stopped and why.
type JSONSyntaxError struct {
	_ [0]func() // not comparable: no equality function to link
	// Offset is the byte offset in the input where parsing stopped.
	Offset int
	// Err says what was wrong; it wraps [ErrProtocolViolation].
	Err error
}

// Line is the 1-based line of Offset in input (the bytes given to ParseJSON).
func (e *JSONSyntaxError) Line(input []byte) int {
	n := 1
	for _, c := range input[:min(e.Offset, len(input))] {
		if c == '\n' {
			n++
		}
	}
	return n
}

func (e *JSONSyntaxError) Error() string { return e.Err.Error() }

func (e *JSONSyntaxError) Unwrap() error { return e.Err }

// AppendJSON appends the JSON encoding of v, a value of the value model (see
// [Dict]), to dst: Dict keys in sorted order, []byte in WAMP's binary
// convention. Go types outside the value model are an error in builds with
// the edgewamp_nomarshal tag and go through encoding/json otherwise.
func AppendJSON(dst []byte, v any) ([]byte, error) {
	return appendJSONValue(dst, v, 0)
}
