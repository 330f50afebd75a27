package wamp

import (
	"fmt"
	"math"
	"sync"
)

// MsgPack is the MessagePack serializer ("wamp.2.msgpack", RawSocket code 2).
// It is safe for concurrent use.
//
// It has its own MessagePack encoder and decoder for the value model (see
// [Dict]), with no reflection on the per-message path: a Go string is a
// msgpack str and a []byte a bin, and decoding keeps them apart the same way.
// Integers of every msgpack width are accepted and decode to int64 (uint64
// above math.MaxInt64); float32 and float64 decode to float64; extension
// types are a decode error, but for JavaScript's undefined as msgpackr (wampy)
// writes it, fixext 1 type 0 (d4 00 00): a dict entry holding it is dropped
// and a list element becomes nil; nesting is limited to 64 levels. Every
// length is checked against the input left before anything is allocated.
// Encoding writes integers and lengths in their shortest form, Dict keys in
// sorted order, and a time.Time as an RFC 3339 string (as encoding/json
// does). Other Go types outside the value model are an error in builds with
// the edgewamp_nomarshal tag and go through msgpack.Marshal of
// github.com/vmihailenco/msgpack/v5 otherwise; a value that encodes as an
// extension type (a time.Time inside a struct, a registered extension) will
// not decode here.
var MsgPack Serializer = &msgpackSerializer{}

type msgpackSerializer struct{}

func (*msgpackSerializer) ID() SerializerID { return SerializerMsgPack }
func (*msgpackSerializer) Name() string     { return "msgpack" }
func (*msgpackSerializer) Binary() bool     { return true }

// mpWriter implements msgWriter by appending MessagePack to buf; pooled, so
// encoding into a caller's buffer allocates nothing for messages in the
// value model.
type mpWriter struct {
	buf  []byte
	head int // offset in buf of the message's array head
	err  error
	c    coder // carries the message's fields; writes through w
}

var mpWriters = sync.Pool{New: func() any {
	w := new(mpWriter)
	w.c.w = w
	return w
}}

func (*msgpackSerializer) AppendMessage(dst []byte, m Message) ([]byte, error) {
	w := mpWriters.Get().(*mpWriter)
	w.buf, w.err = dst, nil
	err := encodeMessage(&w.c, m)
	out := w.buf
	w.buf, w.err = nil, nil
	mpWriters.Put(w)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// begin writes a fixarray head of no fields for end to fill in: a message
// has at most 7 fields, so its head is one byte.
func (w *mpWriter) begin() {
	w.head = len(w.buf)
	w.buf = append(w.buf, mpFixarray)
}

func (w *mpWriter) end(n int) { w.buf[w.head] = mpFixarray | byte(n) }

func (w *mpWriter) failed() error { return w.err }
func (w *mpWriter) uint(v uint64) { w.buf = mpAppendUint(w.buf, v) }

func (w *mpWriter) str(s string) {
	if w.err == nil {
		w.buf, w.err = appendMsgPackStr(w.buf, s)
	}
}

func (w *mpWriter) dict(d Dict) {
	if w.err == nil {
		w.buf, w.err = appendMsgPackDict(w.buf, d, 1)
	}
}

func (w *mpWriter) list(l List) {
	if w.err == nil {
		w.buf, w.err = appendMsgPackList(w.buf, l, 1)
	}
}

// mpReader implements msgReader over a whole message held in memory.
// String and binary bodies are taken from the input directly, after
// checking that the declared length fits in what is left.
type mpReader struct {
	spent int // heap charged to the message (see decodelimit.go)
	b     []byte
	i     int   // read offset in b
	n     int   // fields left in the message array
	c     coder // carries the fields read into the message; reads through r
}

var mpReaders = sync.Pool{New: func() any {
	r := new(mpReader)
	r.c = coder{r: r, prefix: "wamp: msgpack"}
	return r
}}

func (*msgpackSerializer) DecodeMessage(b []byte) (Message, error) {
	r := mpReaders.Get().(*mpReader)
	r.b, r.i, r.n = b, 0, 0
	if decodeBudgeted {
		r.spent = 0
	}
	m, err := r.message()
	r.b = nil
	mpReaders.Put(r)
	return m, err
}

func (r *mpReader) message() (Message, error) {
	if r.i >= len(r.b) || !mpIsArray(r.b[r.i]) {
		return nil, protoErr("wamp: msgpack: message is not an array")
	}
	n, err := r.arrayLen()
	if err != nil {
		return nil, fmt.Errorf("wamp: msgpack: %w", err)
	}
	if n == 0 {
		return nil, protoErr("wamp: msgpack: empty message array")
	}
	r.n = n - 1
	code, err := r.id()
	if err != nil {
		return nil, fmt.Errorf("wamp: msgpack: message code: %w", err)
	}
	m, err := decodeFields(&r.c, code)
	if err != nil {
		return nil, err
	}
	if left := len(r.b) - r.i; left != 0 {
		return nil, protoErr("wamp: msgpack: %s: %d bytes of trailing data", m.Type(), left)
	}
	return m, nil
}

// eof is the error of an input that ends inside a value.
func (r *mpReader) eof() error {
	return protoErr("unexpected end of input at offset %d", len(r.b))
}

// peek returns the code of the value at hand without consuming it.
func (r *mpReader) peek() (byte, error) {
	if r.i >= len(r.b) {
		return 0, r.eof()
	}
	return r.b[r.i], nil
}

// head consumes the code of the value at hand and the big-endian integer
// after it (see mpHeadSize); for fixstr, fixarray and fixmap n is the length
// the code holds. It checks only that the bytes are there.
func (r *mpReader) head() (c byte, n uint64, err error) {
	if r.i >= len(r.b) {
		return 0, 0, r.eof()
	}
	c = r.b[r.i]
	switch {
	case mpIsFixstr(c):
		n = uint64(c & 0x1f)
	case mpIsFixarray(c) || mpIsFixmap(c):
		n = uint64(c & 0x0f)
	default:
		if size := mpHeadSize(c); size > 0 {
			var ok bool
			if n, ok = mpBE(r.b, r.i+1, size); !ok {
				return 0, 0, r.eof()
			}
			r.i += size
		}
	}
	r.i++
	return c, n, nil
}

func (r *mpReader) more() (bool, error) {
	if r.n == 0 {
		return false, nil
	}
	r.n--
	return true, nil
}

func (r *mpReader) id() (ID, error) {
	c, err := r.peek()
	if err != nil {
		return 0, err
	}
	if !mpIsUint(c) && !mpIsInt(c) && c != mpFloat32 && c != mpFloat64 {
		return 0, protoErr("expected an integer, got code 0x%02x", c)
	}
	c, n, err := r.head()
	if err != nil {
		return 0, err
	}
	switch {
	case mpIsUint(c):
		if n > uint64(MaxID) {
			return 0, protoErr("integer out of the ID range [0, 2^53]")
		}
		return ID(n), nil
	case c == mpFloat32 || c == mpFloat64:
		// Some JavaScript encoders write integers beyond 32 bits as
		// float64: an integral value in range is taken as the ID.
		v := mpFloat(c, n)
		if v != math.Trunc(v) || v < 0 || v > float64(MaxID) {
			return 0, protoErr("number %v is not an ID (an integer in [0, 2^53])", v)
		}
		return ID(v), nil
	}
	v := mpInt(c, n)
	if v < 0 || v > int64(MaxID) {
		return 0, protoErr("integer out of the ID range [0, 2^53]")
	}
	return ID(v), nil
}

// mpInt is the value of a signed integer whose code and head are c and n.
func mpInt(c byte, n uint64) int64 {
	switch c {
	case mpInt8:
		return int64(int8(n))
	case mpInt16:
		return int64(int16(n))
	case mpInt32:
		return int64(int32(n))
	case mpInt64:
		return int64(n)
	}
	return int64(int8(c)) // a fixint
}

// mpFloat is the value of a float32 or float64 whose code and head are c and n.
func mpFloat(c byte, n uint64) float64 {
	if c == mpFloat32 {
		return float64(math.Float32frombits(uint32(n)))
	}
	return math.Float64frombits(n)
}

func (r *mpReader) str() (string, error) {
	c, err := r.peek()
	if err != nil {
		return "", err
	}
	if !mpIsStr(c) {
		return "", protoErr("expected a string, got code 0x%02x", c)
	}
	b, err := r.body()
	return string(b), err
}

func (r *mpReader) list() (List, error) {
	c, err := r.peek()
	if err != nil {
		return nil, err
	}
	if !mpIsArray(c) {
		return nil, protoErr("expected a list, got code 0x%02x", c)
	}
	return r.listValue(1)
}

func (r *mpReader) dict() (Dict, error) {
	c, err := r.peek()
	if err != nil {
		return nil, err
	}
	if !mpIsMap(c) {
		return nil, protoErr("expected a dict, got code 0x%02x", c)
	}
	return r.dictValue(1)
}
