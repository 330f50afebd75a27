//go:build !edgewamp_nocbor

package wamp

import (
	"fmt"
	"math"
	"sync"
	"unicode/utf8"
)

// CBOR is the CBOR serializer ("wamp.2.cbor", RawSocket code 3, RFC 8949).
// It is safe for concurrent use. Builds with the edgewamp_nocbor tag leave
// it out: there CBOR is nil and SerializerByID and SerializerByName do not
// find it.
//
// Like [MsgPack], it has its own encoder and decoder for the value model
// (see [Dict]), with no reflection on the per-message path: a Go string is
// a text string and a []byte a byte string, and decoding keeps them apart.
// The decoder takes definite and indefinite lengths, integers of every width
// (int64, or uint64 above math.MaxInt64; a negative integer below
// math.MinInt64 is an error), half, single and double floats (as float64),
// false, true and null; undefined is dropped from a dict and nil in a list,
// as MessagePack's JavaScript undefined is. It refuses what the value model
// cannot hold: tags (the WAMP specification defines none, and one ignored
// would change a value's meaning, as a bignum's), other simple values,
// non-string dict keys, duplicate keys and text that is not UTF-8 (RFC 8949
// calls such items invalid). Nesting is limited to 64 levels and every
// length is checked against the input left before anything is allocated.
// Encoding writes integers and lengths in their shortest form, float64 and
// float32 at their own width, Dict keys in the deterministic order of RFC
// 8949 section 4.2.1 (shorter first, then bytewise), invalid UTF-8 in a
// string as U+FFFD (as JSON does; a dict key that is not UTF-8 is an
// error), and a time.Time as an RFC 3339 string. Other Go types outside the
// value model are an error in builds with the edgewamp_nomarshal tag and go
// through encoding/json otherwise (the value JSON gives them, in CBOR).
var CBOR Serializer = cborSerializer{}

// cborAvailable is what SerializerByID and SerializerByName return for CBOR.
var cborAvailable Serializer = CBOR

type cborSerializer struct{}

func (cborSerializer) ID() SerializerID { return SerializerCBOR }
func (cborSerializer) Name() string     { return "cbor" }
func (cborSerializer) Binary() bool     { return true }

// cborWriter implements msgWriter by appending CBOR to buf; pooled, so
// encoding into a caller's buffer allocates nothing for messages in the
// value model.
type cborWriter struct {
	buf  []byte
	head int // offset in buf of the message's array head
	err  error
	c    coder
}

var cborWriters = sync.Pool{New: func() any {
	w := new(cborWriter)
	w.c.w = w
	return w
}}

func (cborSerializer) AppendMessage(dst []byte, m Message) ([]byte, error) {
	w := cborWriters.Get().(*cborWriter)
	w.buf, w.err = dst, nil
	err := encodeMessage(&w.c, m)
	out := w.buf
	w.buf, w.err = nil, nil
	cborWriters.Put(w)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// begin writes an array head of no elements for end to fill in: a message
// has at most 7 fields, so its head is one byte.
func (w *cborWriter) begin() {
	w.head = len(w.buf)
	w.buf = append(w.buf, cborArray)
}

func (w *cborWriter) end(n int)     { w.buf[w.head] = cborArray | byte(n) }
func (w *cborWriter) failed() error { return w.err }
func (w *cborWriter) uint(v uint64) { w.buf = cborAppendHead(w.buf, cborUint, v) }
func (w *cborWriter) str(s string)  { w.buf = cborAppendText(w.buf, s) }

func (w *cborWriter) dict(d Dict) {
	if w.err == nil {
		w.buf, w.err = appendCBORDict(w.buf, d, 1)
	}
}

func (w *cborWriter) list(l List) {
	if w.err == nil {
		w.buf, w.err = appendCBORList(w.buf, l, 1)
	}
}

// cborReader implements msgReader over a whole message held in memory.
type cborReader struct {
	spent int // heap charged to the message (see decodelimit.go)
	b     []byte
	i     int  // read offset in b
	n     int  // fields left in a definite-length message array
	indef bool // the message array has an indefinite length
	ended bool // the message array's end was met
	c     coder
}

var cborReaders = sync.Pool{New: func() any {
	r := new(cborReader)
	r.c = coder{r: r, prefix: "wamp: cbor"}
	return r
}}

func (cborSerializer) DecodeMessage(b []byte) (Message, error) {
	r := cborReaders.Get().(*cborReader)
	r.b, r.i, r.n, r.indef, r.ended, r.spent = b, 0, 0, false, false, 0
	m, err := r.message()
	r.b = nil
	cborReaders.Put(r)
	return m, err
}

func (r *cborReader) message() (Message, error) {
	if r.i >= len(r.b) || r.b[r.i]&cborMajorMask != cborArray {
		return nil, protoErr("wamp: cbor: message is not an array")
	}
	n, indef, err := r.containerHead(1)
	if err != nil {
		return nil, fmt.Errorf("wamp: cbor: %w", err)
	}
	r.n, r.indef = n, indef
	if ok, err := r.more(); err != nil || !ok {
		return nil, protoErr("wamp: cbor: empty message array")
	}
	code, err := r.id()
	if err != nil {
		return nil, fmt.Errorf("wamp: cbor: message code: %w", err)
	}
	m, err := decodeFields(&r.c, code)
	if err != nil {
		return nil, err
	}
	if left := len(r.b) - r.i; left != 0 {
		return nil, protoErr("wamp: cbor: %s: %d bytes of trailing data", m.Type(), left)
	}
	return m, nil
}

func (r *cborReader) eof() error {
	return protoErr("unexpected end of input at offset %d", len(r.b))
}

// peek returns the initial byte of the item at hand without consuming it.
func (r *cborReader) peek() (byte, error) {
	if r.i >= len(r.b) {
		return 0, r.eof()
	}
	return r.b[r.i], nil
}

// head consumes the initial byte of the item at hand and its argument. For
// an indefinite length (additional information 31) it returns indef; it
// refuses the reserved additional information 28 to 30.
func (r *cborReader) head() (ib byte, arg uint64, indef bool, err error) {
	if r.i >= len(r.b) {
		return 0, 0, false, r.eof()
	}
	ib = r.b[r.i]
	r.i++
	switch ai := ib & cborInfoMask; {
	case ai < 24:
		return ib, uint64(ai), false, nil
	case ai == cborIndefinite:
		return ib, 0, true, nil
	case ai > 27:
		return 0, 0, false, protoErr("reserved additional information in initial byte 0x%02x", ib)
	default:
		size := 1 << (ai - 24)
		arg, ok := mpBE(r.b, r.i, size)
		if !ok {
			return 0, 0, false, r.eof()
		}
		r.i += size
		return ib, arg, false, nil
	}
}

// containerHead consumes the head of an array (per 1) or a map (per 2, the
// bytes each entry takes at least) and checks a definite length against the
// input left.
func (r *cborReader) containerHead(per uint64) (n int, indef bool, err error) {
	_, arg, indef, err := r.head()
	if err != nil || indef {
		return 0, indef, err
	}
	if arg > uint64(len(r.b)-r.i)/per {
		return 0, false, protoErr("length %d beyond the end of the message", arg)
	}
	return int(arg), false, nil
}

// atBreak consumes the break that ends an indefinite-length item and
// reports whether it stood next.
func (r *cborReader) atBreak() (bool, error) {
	if r.i >= len(r.b) {
		return false, r.eof()
	}
	if r.b[r.i] == cborBreak {
		r.i++
		return true, nil
	}
	return false, nil
}

func (r *cborReader) more() (bool, error) {
	switch {
	case r.ended:
		return false, nil
	case r.indef:
		end, err := r.atBreak()
		if err != nil {
			return false, err
		}
		r.ended = end
		return !end, nil
	case r.n == 0:
		r.ended = true
		return false, nil
	}
	r.n--
	return true, nil
}

func (r *cborReader) id() (ID, error) {
	c, err := r.peek()
	if err != nil {
		return 0, err
	}
	switch {
	case c&cborMajorMask == cborUint:
		_, n, indef, err := r.head()
		if err != nil {
			return 0, err
		}
		if indef {
			return 0, protoErr("invalid initial byte 0x%02x", c)
		}
		if n > uint64(MaxID) {
			return 0, protoErr("integer out of the ID range [0, 2^53]")
		}
		return ID(n), nil
	case c >= cborFloat16 && c <= cborFloat64:
		// As in MessagePack: some JavaScript encoders write integers beyond
		// 32 bits as floats; an integral value in range is taken as the ID.
		v, err := r.value(0)
		if err != nil {
			return 0, err
		}
		f := v.(float64)
		if f != math.Trunc(f) || f < 0 || f > float64(MaxID) {
			return 0, protoErr("number %v is not an ID (an integer in [0, 2^53])", f)
		}
		return ID(f), nil
	case c&cborMajorMask == cborNegInt:
		return 0, protoErr("integer out of the ID range [0, 2^53]")
	}
	return 0, protoErr("expected an integer, got initial byte 0x%02x", c)
}

func (r *cborReader) str() (string, error) {
	c, err := r.peek()
	if err != nil {
		return "", err
	}
	if c&cborMajorMask != cborText {
		return "", protoErr("expected a text string, got initial byte 0x%02x", c)
	}
	return r.text()
}

func (r *cborReader) list() (List, error) {
	c, err := r.peek()
	if err != nil {
		return nil, err
	}
	if c&cborMajorMask != cborArray {
		return nil, protoErr("expected an array, got initial byte 0x%02x", c)
	}
	return r.listValue(1)
}

func (r *cborReader) dict() (Dict, error) {
	c, err := r.peek()
	if err != nil {
		return nil, err
	}
	if c&cborMajorMask != cborMap {
		return nil, protoErr("expected a map, got initial byte 0x%02x", c)
	}
	return r.dictValue(1)
}

// text consumes a text string and returns it.
func (r *cborReader) text() (string, error) {
	b, err := r.stringBytes(cborText)
	return string(b), err
}

// stringBytes consumes a byte or text string (major type major) and returns
// its bytes: for a definite length they alias the input, for an indefinite
// one they are its chunks joined in a new slice. Text is checked to be
// UTF-8 chunk by chunk (RFC 8949 lets no code point span two chunks).
func (r *cborReader) stringBytes(major byte) ([]byte, error) {
	_, n, indef, err := r.head()
	if err != nil {
		return nil, err
	}
	if !indef {
		return r.body(n, major)
	}
	var out []byte
	for {
		end, err := r.atBreak()
		if err != nil {
			return nil, err
		}
		if end {
			if out == nil {
				out = []byte{}
			}
			return out, nil
		}
		c := r.b[r.i]
		if c&cborMajorMask != major || c&cborInfoMask == cborIndefinite {
			return nil, protoErr("chunk of an indefinite-length string has initial byte 0x%02x", c)
		}
		_, n, _, err := r.head()
		if err != nil {
			return nil, err
		}
		chunk, err := r.body(n, major)
		if err != nil {
			return nil, err
		}
		out = append(out, chunk...)
	}
}

// body consumes n bytes of the content of a string of major type major,
// checked against the input left, and for text, to be UTF-8.
func (r *cborReader) body(n uint64, major byte) ([]byte, error) {
	if n > uint64(len(r.b)-r.i) {
		return nil, protoErr("length %d beyond the end of the message", n)
	}
	p := r.i
	r.i += int(n)
	b := r.b[p:r.i]
	if major == cborText && !utf8.Valid(b) {
		return nil, protoErr("text string is not valid UTF-8")
	}
	return b, nil
}
