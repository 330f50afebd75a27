package wamp

// ParseJSON parses one JSON document into the value model (see [Dict]):
// objects become Dict, arrays List, strings string, true and false bool,
// null nil, and numbers int64 when they are integers that fit, uint64 when
// they only fit unsigned, float64 otherwise. A string that starts with a NUL
// character is WAMP's binary convention and becomes []byte (its base64 is
// checked). Nesting is limited to 64 levels and anything but white space after
// the value is an error. It uses no reflection, so a program can read a
// configuration file without linking encoding/json.
func ParseJSON(b []byte) (any, error) {
	p := jsonParser{b: b}
	p.skipWS()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipWS()
	if p.i != len(p.b) {
		return nil, p.errAt("end of input")
	}
	return v, nil
}

// AppendJSON appends the JSON encoding of v, a value of the value model (see
// [Dict]), to dst: Dict keys in sorted order, []byte in WAMP's binary
// convention. Go types outside the value model are an error in builds with
// the edgewamp_nomarshal tag and go through encoding/json otherwise.
func AppendJSON(dst []byte, v any) ([]byte, error) {
	return appendJSONValue(dst, v, 0)
}
