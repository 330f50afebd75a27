package wamp

import (
	"sync"
)

// JSON is the JSON serializer ("wamp.2.json", RawSocket code 1). It is safe
// for concurrent use.
//
// Encoding appends to the caller's buffer without reflection for the value
// types of the WAMP value model (see [Dict]), the other Go integer and float
// types, []string, map[string]string and time.Time (as RFC 3339, as
// encoding/json writes it); other Go types are an error in builds with the
// edgewamp_nomarshal tag and fall back to encoding/json otherwise. Dict keys
// are written in sorted order, so the same message always encodes to the
// same bytes. A []byte becomes a JSON string holding "\u0000" followed by
// the standard base64 of the bytes, and a decoded string that starts with
// "\u0000" becomes a []byte again (the spec's binary rule; a Go string that
// starts with a NUL character therefore reaches the peer as binary). NaN and infinities cannot be encoded; invalid UTF-8 in a string is
// encoded as U+FFFD.
//
// Decoding is strict JSON (RFC 8259) in UTF-8: integers become int64 (uint64
// above math.MaxInt64, float64 beyond uint64), numbers with a fraction or
// exponent float64, objects Dict, arrays List; nesting is limited to 64 levels.
var JSON Serializer = &jsonSerializer{}

type jsonSerializer struct{}

func (*jsonSerializer) ID() SerializerID { return SerializerJSON }
func (*jsonSerializer) Name() string     { return "json" }
func (*jsonSerializer) Binary() bool     { return false }

var jsonWriters = sync.Pool{New: func() any {
	w := new(jsonWriter)
	w.c.w = w
	return w
}}

func (*jsonSerializer) AppendMessage(dst []byte, m Message) ([]byte, error) {
	w := jsonWriters.Get().(*jsonWriter)
	w.buf, w.n, w.err = dst, 0, nil
	err := encodeMessage(&w.c, m)
	out := w.buf
	w.buf, w.err = nil, nil
	jsonWriters.Put(w)
	if err != nil {
		return dst, err
	}
	return out, nil
}

var jsonReaders = sync.Pool{New: func() any {
	r := new(jsonReader)
	r.c = coder{r: r, prefix: "wamp: json"}
	return r
}}

func (*jsonSerializer) DecodeMessage(b []byte) (Message, error) {
	r := jsonReaders.Get().(*jsonReader)
	r.p, r.n = jsonParser{b: b}, 0
	m, err := r.message()
	r.p.b = nil
	jsonReaders.Put(r)
	return m, err
}

func (r *jsonReader) message() (Message, error) {
	p := &r.p
	p.skipWS()
	if !p.consume('[') {
		return nil, protoErr("wamp: json: message is not an array")
	}
	p.skipWS()
	code, err := r.id()
	if err != nil {
		return nil, protoErr("wamp: json: message code: %v", err)
	}
	r.n = 1
	m, err := decodeFields(&r.c, code)
	if err != nil {
		return nil, err
	}
	p.skipWS()
	if !p.consume(']') {
		return nil, protoErr("wamp: json: %s: expected ] at offset %d", m.Type(), p.i)
	}
	p.skipWS()
	if p.i != len(p.b) {
		return nil, protoErr("wamp: json: %s: trailing data at offset %d", m.Type(), p.i)
	}
	return m, nil
}

// jsonWriter implements msgWriter by appending JSON to buf.
type jsonWriter struct {
	buf []byte
	n   int // fields written so far
	err error
	c   coder // carries the message's fields; writes through w
}

func (w *jsonWriter) sep() {
	if w.n > 0 {
		w.buf = append(w.buf, ',')
	}
	w.n++
}

func (w *jsonWriter) begin()        { w.buf = append(w.buf, '[') }
func (w *jsonWriter) end(int)       { w.buf = append(w.buf, ']') }
func (w *jsonWriter) failed() error { return w.err }

func (w *jsonWriter) uint(v uint64) {
	w.sep()
	w.buf = appendUint(w.buf, v)
}

func (w *jsonWriter) str(s string) {
	w.sep()
	w.buf = appendJSONString(w.buf, s)
}

func (w *jsonWriter) dict(d Dict) {
	w.sep()
	if w.err != nil {
		return
	}
	w.buf, w.err = appendJSONDict(w.buf, d, 1)
}

func (w *jsonWriter) list(l List) {
	w.sep()
	if w.err != nil {
		return
	}
	w.buf, w.err = appendJSONList(w.buf, l, 1)
}

// jsonReader implements msgReader over a jsonParser positioned inside the
// message array.
type jsonReader struct {
	p jsonParser
	n int   // fields read so far
	c coder // carries the fields read into the message; reads through r
}

func (r *jsonReader) more() (bool, error) {
	p := &r.p
	p.skipWS()
	if p.i >= len(p.b) {
		return false, protoErr("unexpected end of input")
	}
	if p.b[p.i] == ']' {
		return false, nil
	}
	if r.n > 0 {
		if p.b[p.i] != ',' {
			return false, protoErr("expected , or ] at offset %d", p.i)
		}
		p.i++
		p.skipWS()
	}
	r.n++
	return true, nil
}

func (r *jsonReader) id() (ID, error) {
	p := &r.p
	if p.i >= len(p.b) || (p.b[p.i] != '-' && (p.b[p.i] < '0' || p.b[p.i] > '9')) {
		return 0, protoErr("expected an integer at offset %d", p.i)
	}
	n, err := p.number()
	if err != nil {
		return 0, err
	}
	switch {
	case n.kind == numInt && n.i >= 0 && n.i <= int64(MaxID):
		return ID(n.i), nil
	case n.kind == numFloat:
		return 0, protoErr("expected an integer, got a number with a fraction or exponent")
	}
	return 0, protoErr("integer out of the ID range [0, 2^53]")
}

func (r *jsonReader) str() (string, error) {
	p := &r.p
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", protoErr("expected a string at offset %d", p.i)
	}
	s, err := p.stringLit()
	if err != nil {
		return "", err
	}
	if len(s) > 0 && s[0] == 0 {
		return "", protoErr("expected a string, got binary")
	}
	return s, nil
}

func (r *jsonReader) dict() (Dict, error) {
	p := &r.p
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return nil, protoErr("expected a dict at offset %d", p.i)
	}
	return p.object(1)
}

func (r *jsonReader) list() (List, error) {
	p := &r.p
	if p.i >= len(p.b) || p.b[p.i] != '[' {
		return nil, protoErr("expected a list at offset %d", p.i)
	}
	return p.array(1)
}
