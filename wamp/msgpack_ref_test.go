//go:build !edgewamp_nomarshal

package wamp

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// The MessagePack serializer as it was before wamp had its own wire code:
// the same shape, on the low-level Encoder and Decoder of
// github.com/vmihailenco/msgpack/v5. Kept, in tests only, as the reference
// the differential tests and FuzzMsgPackDiff hold the own encoder and
// decoder to: same bytes out, same inputs accepted, same values decoded.

// refBuf is the io.Writer (and io.ByteWriter) the pooled msgpack.Encoder
// writes into: it appends to the caller's buffer.
type refBuf struct{ b []byte }

func (a *refBuf) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

func (a *refBuf) WriteByte(c byte) error {
	a.b = append(a.b, c)
	return nil
}

// refWriter implements msgWriter with a msgpack.Encoder; pooled, so encoding
// into a caller's buffer allocates nothing for messages in the value model.
type refWriter struct {
	out  refBuf
	enc  *msgpack.Encoder
	head int // offset in out.b of the message's array head
	err  error
	c    coder
}

var refWriters = sync.Pool{New: func() any {
	w := new(refWriter)
	w.enc = msgpack.NewEncoder(&w.out)
	return w
}}

func refAppendMessage(dst []byte, m Message) ([]byte, error) {
	w := refWriters.Get().(*refWriter)
	w.out.b, w.err = dst, nil
	w.c = coder{w: w}
	err := encodeMessage(&w.c, m)
	out := w.out.b
	w.out.b, w.err = nil, nil
	refWriters.Put(w)
	if err != nil {
		return dst, err
	}
	return out, nil
}

func (w *refWriter) setErr(err error) {
	if err != nil && w.err == nil {
		w.err = fmt.Errorf("wamp: msgpack: %w", err)
	}
}

// begin and end write the message's array head as the library does, after
// the fact: begin the head of no elements, end the head of n moved there
// (both one byte: a message has at most 7 fields).
func (w *refWriter) begin() {
	w.head = len(w.out.b)
	w.setErr(w.enc.EncodeArrayLen(0))
}

func (w *refWriter) end(n int) {
	at := len(w.out.b)
	w.setErr(w.enc.EncodeArrayLen(n))
	if len(w.out.b) != at+1 {
		w.setErr(fmt.Errorf("array head of %d is not one byte", n))
		return
	}
	w.out.b[w.head] = w.out.b[at]
	w.out.b = w.out.b[:at]
}
func (w *refWriter) failed() error { return w.err }
func (w *refWriter) uint(v uint64) { w.setErr(w.enc.EncodeUint(v)) }
func (w *refWriter) str(s string)  { w.setErr(w.enc.EncodeString(s)) }
func (w *refWriter) dict(d Dict)   { w.encDict(d, 1) }
func (w *refWriter) list(l List)   { w.encList(l, 1) }
func (w *refWriter) depthErr() bool {
	w.setErr(fmt.Errorf("value nested deeper than %d levels", maxDepth))
	return false
}

func (w *refWriter) encDict(d Dict, depth int) {
	if w.err != nil || depth > maxDepth && w.depthErr() {
		return
	}
	w.setErr(w.enc.EncodeMapLen(len(d)))
	if len(d) <= 1 {
		for k, v := range d {
			w.setErr(w.enc.EncodeString(k))
			w.value(v, depth)
		}
		return
	}
	var arr [16]string
	for _, k := range sortedKeys(d, arr[:]) {
		w.setErr(w.enc.EncodeString(k))
		w.value(d[k], depth)
	}
}

func (w *refWriter) encList(l List, depth int) {
	if w.err != nil || depth > maxDepth && w.depthErr() {
		return
	}
	w.setErr(w.enc.EncodeArrayLen(len(l)))
	for _, v := range l {
		w.value(v, depth)
	}
}

// value encodes v, which is inside depth containers.
func (w *refWriter) value(v any, depth int) {
	if w.err != nil {
		return
	}
	e := w.enc
	switch v := v.(type) {
	case nil:
		w.setErr(e.EncodeNil())
	case bool:
		w.setErr(e.EncodeBool(v))
	case string:
		w.setErr(e.EncodeString(v))
	case int64:
		w.setErr(e.EncodeInt(v))
	case uint64:
		w.setErr(e.EncodeUint(v))
	case float64:
		w.setErr(e.EncodeFloat64(v))
	case Dict:
		w.encDict(v, depth+1)
	case List:
		w.encList(v, depth+1)
	case []byte:
		w.setErr(e.EncodeBytesLen(len(v)))
		w.out.b = append(w.out.b, v...)
	case int:
		w.setErr(e.EncodeInt(int64(v)))
	case int8:
		w.setErr(e.EncodeInt(int64(v)))
	case int16:
		w.setErr(e.EncodeInt(int64(v)))
	case int32:
		w.setErr(e.EncodeInt(int64(v)))
	case uint:
		w.setErr(e.EncodeUint(uint64(v)))
	case uint8:
		w.setErr(e.EncodeUint(uint64(v)))
	case uint16:
		w.setErr(e.EncodeUint(uint64(v)))
	case uint32:
		w.setErr(e.EncodeUint(uint64(v)))
	case uintptr:
		w.setErr(e.EncodeUint(uint64(v)))
	case float32:
		w.setErr(e.EncodeFloat32(v))
	case ID:
		w.setErr(e.EncodeUint(uint64(v)))
	case URI:
		w.setErr(e.EncodeString(string(v)))
	case []string:
		if depth+1 > maxDepth && w.depthErr() {
			return
		}
		w.setErr(e.EncodeArrayLen(len(v)))
		for _, s := range v {
			w.setErr(e.EncodeString(s))
		}
	case map[string]string:
		if depth+1 > maxDepth && w.depthErr() {
			return
		}
		w.setErr(e.EncodeMapLen(len(v)))
		var arr [16]string
		for _, k := range sortedKeys(v, arr[:]) {
			w.setErr(e.EncodeString(k))
			w.setErr(e.EncodeString(v[k]))
		}
	case []Dict:
		if depth+1 > maxDepth && w.depthErr() {
			return
		}
		w.setErr(e.EncodeArrayLen(len(v)))
		for _, d := range v {
			w.encDict(d, depth+2)
		}
	case time.Time:
		// As encoding/json does, and not as msgpack's timestamp extension,
		// which WAMP peers (and our decoder) do not take.
		w.setErr(e.EncodeString(v.Format(time.RFC3339Nano)))
	default:
		// Off the per-message path: any other Go type goes through msgpack.Marshal.
		b, err := msgpack.Marshal(v)
		if err != nil {
			w.setErr(fmt.Errorf("encoding %T: %w", v, err))
			return
		}
		w.out.b = append(w.out.b, b...)
	}
}

// refReader implements msgReader over a whole message held in memory. String
// and binary bodies are taken from the input directly, after checking that
// the declared length fits in what is left.
type refReader struct {
	b   []byte
	r   bytes.Reader
	dec *msgpack.Decoder
	n   int   // fields left in the message array
	c   coder // carries the fields read into the message
}

var refReaders = sync.Pool{New: func() any {
	r := new(refReader)
	r.dec = msgpack.NewDecoder(&r.r)
	return r
}}

func refDecodeMessage(b []byte) (Message, error) {
	r := refReaders.Get().(*refReader)
	r.b = b
	r.r.Reset(b)
	m, err := r.message()
	r.b = nil
	r.r.Reset(nil)
	refReaders.Put(r)
	return m, err
}

func (r *refReader) message() (Message, error) {
	c, err := r.dec.PeekCode()
	if err != nil || !msgpcode.IsFixedArray(c) && c != msgpcode.Array16 && c != msgpcode.Array32 {
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
	r.c = coder{r: r, prefix: "wamp: msgpack"}
	m, err := decodeFields(&r.c, code)
	if err != nil {
		return nil, err
	}
	if r.r.Len() != 0 {
		return nil, protoErr("wamp: msgpack: %s: %d bytes of trailing data", m.Type(), r.r.Len())
	}
	return m, nil
}

func (r *refReader) pos() int { return len(r.b) - r.r.Len() }

// wrap turns an error of the msgpack library (a short input, a wrong code)
// into a protocol violation.
func (r *refReader) wrap(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return protoErr("%v at offset %d", err, r.pos())
}

func (r *refReader) peek() (byte, error) {
	c, err := r.dec.PeekCode()
	if err != nil {
		return 0, r.wrap(err)
	}
	return c, nil
}

func (r *refReader) more() (bool, error) {
	if r.n == 0 {
		return false, nil
	}
	r.n--
	return true, nil
}

func refIsUint(c byte) bool { return c >= msgpcode.Uint8 && c <= msgpcode.Uint64 }
func refIsInt(c byte) bool {
	return msgpcode.IsFixedNum(c) || c >= msgpcode.Int8 && c <= msgpcode.Int64
}

func (r *refReader) id() (ID, error) {
	c, err := r.peek()
	if err != nil {
		return 0, err
	}
	switch {
	case refIsUint(c):
		v, err := r.dec.DecodeUint64()
		if err != nil {
			return 0, r.wrap(err)
		}
		if v > uint64(MaxID) {
			return 0, protoErr("integer out of the ID range [0, 2^53]")
		}
		return ID(v), nil
	case refIsInt(c):
		v, err := r.dec.DecodeInt64()
		if err != nil {
			return 0, r.wrap(err)
		}
		if v < 0 || v > int64(MaxID) {
			return 0, protoErr("integer out of the ID range [0, 2^53]")
		}
		return ID(v), nil
	case c == msgpcode.Float || c == msgpcode.Double:
		// Some JavaScript encoders write integers beyond 32 bits as
		// float64: an integral value in range is taken as the ID.
		v, err := r.dec.DecodeFloat64()
		if err != nil {
			return 0, r.wrap(err)
		}
		if v != math.Trunc(v) || v < 0 || v > float64(MaxID) {
			return 0, protoErr("number %v is not an ID (an integer in [0, 2^53])", v)
		}
		return ID(v), nil
	}
	return 0, protoErr("expected an integer, got code 0x%02x", c)
}

// body reads the length of the str or bin at hand and returns its bytes,
// which alias the input.
func (r *refReader) body() ([]byte, error) {
	n, err := r.dec.DecodeBytesLen()
	if err != nil {
		return nil, r.wrap(err)
	}
	if n < 0 || n > r.r.Len() {
		return nil, protoErr("length %d beyond the end of the message", n)
	}
	p := r.pos()
	if _, err := r.r.Seek(int64(n), io.SeekCurrent); err != nil {
		return nil, r.wrap(err)
	}
	return r.b[p : p+n], nil
}

func (r *refReader) str() (string, error) {
	c, err := r.peek()
	if err != nil {
		return "", err
	}
	if !msgpcode.IsString(c) {
		return "", protoErr("expected a string, got code 0x%02x", c)
	}
	b, err := r.body()
	return string(b), err
}

// arrayLen reads an array header and checks its length against the input
// left (each element takes at least one byte).
func (r *refReader) arrayLen() (int, error) {
	n, err := r.dec.DecodeArrayLen()
	if err != nil {
		return 0, r.wrap(err)
	}
	if n < 0 || n > r.r.Len() {
		return 0, protoErr("array length %d beyond the end of the message", n)
	}
	return n, nil
}

func (r *refReader) list() (List, error) {
	c, err := r.peek()
	if err != nil {
		return nil, err
	}
	if !msgpcode.IsFixedArray(c) && c != msgpcode.Array16 && c != msgpcode.Array32 {
		return nil, protoErr("expected a list, got code 0x%02x", c)
	}
	return r.listValue(1)
}

func (r *refReader) dict() (Dict, error) {
	c, err := r.peek()
	if err != nil {
		return nil, err
	}
	if !msgpcode.IsFixedMap(c) && c != msgpcode.Map16 && c != msgpcode.Map32 {
		return nil, protoErr("expected a dict, got code 0x%02x", c)
	}
	return r.dictValue(1)
}

func (r *refReader) listValue(depth int) (List, error) {
	if depth > maxDepth {
		return nil, protoErr("nesting deeper than %d levels", maxDepth)
	}
	n, err := r.arrayLen()
	if err != nil {
		return nil, err
	}
	l := make(List, n)
	for i := range l {
		if l[i], err = r.value(depth); err != nil {
			return nil, err
		}
		if _, ok := l[i].(refUndefined); ok {
			l[i] = nil
		}
	}
	return l, nil
}

func (r *refReader) dictValue(depth int) (Dict, error) {
	if depth > maxDepth {
		return nil, protoErr("nesting deeper than %d levels", maxDepth)
	}
	n, err := r.dec.DecodeMapLen()
	if err != nil {
		return nil, r.wrap(err)
	}
	if n < 0 || n > r.r.Len()/2 {
		return nil, protoErr("map length %d beyond the end of the message", n)
	}
	d := make(Dict, n)
	for range n {
		c, err := r.peek()
		if err != nil {
			return nil, err
		}
		if !msgpcode.IsString(c) {
			return nil, protoErr("dict key is not a string (code 0x%02x)", c)
		}
		k, err := r.body()
		if err != nil {
			return nil, err
		}
		v, err := r.value(depth)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(refUndefined); ok {
			continue
		}
		d[string(k)] = v
	}
	return d, nil
}

// refUndefined is JavaScript's undefined as JavaScript MessagePack encoders
// (msgpackr, used by wampy) write it: fixext 1, type 0, data 0 (d4 00 00).
// A dict entry holding it is dropped (an option set to undefined is an
// option not set) and a list element becomes nil.
type refUndefined struct{}

// skipJSUndefined consumes d4 00 00 and reports true when it stands next.
func (r *refReader) skipJSUndefined() bool {
	pos := len(r.b) - r.r.Len()
	if pos+3 > len(r.b) || r.b[pos] != msgpcode.FixExt1 || r.b[pos+1] != 0 || r.b[pos+2] != 0 {
		return false
	}
	_, err := r.r.Seek(3, io.SeekCurrent)
	return err == nil
}

// value decodes the value at hand, which is inside depth containers.
func (r *refReader) value(depth int) (any, error) {
	c, err := r.peek()
	if err != nil {
		return nil, err
	}
	switch {
	case c == msgpcode.Nil:
		return nil, r.wrapNil(r.dec.DecodeNil())
	case c == msgpcode.False || c == msgpcode.True:
		v, err := r.dec.DecodeBool()
		return v, r.wrapNil(err)
	case refIsUint(c):
		v, err := r.dec.DecodeUint64()
		if err != nil {
			return nil, r.wrap(err)
		}
		if v > math.MaxInt64 {
			return v, nil
		}
		return int64(v), nil
	case refIsInt(c):
		v, err := r.dec.DecodeInt64()
		return v, r.wrapNil(err)
	case c == msgpcode.Float:
		v, err := r.dec.DecodeFloat32()
		return float64(v), r.wrapNil(err)
	case c == msgpcode.Double:
		v, err := r.dec.DecodeFloat64()
		return v, r.wrapNil(err)
	case msgpcode.IsString(c):
		b, err := r.body()
		return string(b), err
	case msgpcode.IsBin(c):
		b, err := r.body()
		if err != nil {
			return nil, err
		}
		return bytes.Clone(b), nil
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		return r.listValue(depth + 1)
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		return r.dictValue(depth + 1)
	case c == msgpcode.FixExt1 && r.skipJSUndefined():
		return refUndefined{}, nil
	case msgpcode.IsExt(c):
		return nil, protoErr("extension types are not supported (code 0x%02x)", c)
	}
	return nil, protoErr("invalid code 0x%02x", c)
}

func (r *refReader) wrapNil(err error) error {
	if err != nil {
		return r.wrap(err)
	}
	return nil
}
