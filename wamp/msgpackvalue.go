package wamp

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"time"
)

// Encoding and decoding of values (the WAMP value model) as MessagePack.

var (
	errMsgPackDepth = fmt.Errorf("wamp: msgpack: value nested deeper than %d levels", maxDepth)
	errMsgPackLen   = errors.New("wamp: msgpack: string, binary, list or dict longer than 2^32-1")
)

func appendMsgPackStr(dst []byte, s string) ([]byte, error) {
	if uint64(len(s)) > mpMaxLen {
		return dst, errMsgPackLen
	}
	return mpAppendStr(dst, s), nil
}

// appendMsgPackValue appends the MessagePack encoding of v. depth counts the
// containers v is inside of.
func appendMsgPackValue(dst []byte, v any, depth int) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, mpNil), nil
	case bool:
		return mpAppendBool(dst, v), nil
	case string:
		return appendMsgPackStr(dst, v)
	case int64:
		return mpAppendInt(dst, v), nil
	case uint64:
		return mpAppendUint(dst, v), nil
	case float64:
		return mpAppendFloat64(dst, v), nil
	case Dict:
		return appendMsgPackDict(dst, v, depth+1)
	case List:
		return appendMsgPackList(dst, v, depth+1)
	case []byte:
		if uint64(len(v)) > mpMaxLen {
			return dst, errMsgPackLen
		}
		return append(mpAppendBinLen(dst, len(v)), v...), nil
	case int:
		return mpAppendInt(dst, int64(v)), nil
	case int8:
		return mpAppendInt(dst, int64(v)), nil
	case int16:
		return mpAppendInt(dst, int64(v)), nil
	case int32:
		return mpAppendInt(dst, int64(v)), nil
	case uint:
		return mpAppendUint(dst, uint64(v)), nil
	case uint8:
		return mpAppendUint(dst, uint64(v)), nil
	case uint16:
		return mpAppendUint(dst, uint64(v)), nil
	case uint32:
		return mpAppendUint(dst, uint64(v)), nil
	case uintptr:
		return mpAppendUint(dst, uint64(v)), nil
	case float32:
		return mpAppendFloat32(dst, v), nil
	case ID:
		return mpAppendUint(dst, uint64(v)), nil
	case URI:
		return appendMsgPackStr(dst, string(v))
	case []string:
		if depth+1 > maxDepth {
			return dst, errMsgPackDepth
		}
		if uint64(len(v)) > mpMaxLen {
			return dst, errMsgPackLen
		}
		dst = mpAppendArrayLen(dst, len(v))
		for _, s := range v {
			var err error
			if dst, err = appendMsgPackStr(dst, s); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case map[string]string:
		if depth+1 > maxDepth {
			return dst, errMsgPackDepth
		}
		if uint64(len(v)) > mpMaxLen {
			return dst, errMsgPackLen
		}
		dst = mpAppendMapLen(dst, len(v))
		var arr [16]string
		for _, k := range sortedKeys(v, arr[:]) {
			var err error
			if dst, err = appendMsgPackStr(dst, k); err != nil {
				return dst, err
			}
			if dst, err = appendMsgPackStr(dst, v[k]); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case []Dict:
		if depth+1 > maxDepth {
			return dst, errMsgPackDepth
		}
		if uint64(len(v)) > mpMaxLen {
			return dst, errMsgPackLen
		}
		dst = mpAppendArrayLen(dst, len(v))
		for _, d := range v {
			var err error
			if dst, err = appendMsgPackDict(dst, d, depth+2); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case time.Time:
		// As encoding/json does, and not as msgpack's timestamp extension,
		// which WAMP peers (and our decoder) do not take.
		var arr [64]byte
		b := v.AppendFormat(arr[:0], time.RFC3339Nano)
		return append(mpAppendStrLen(dst, len(b)), b...), nil
	}
	// Off the per-message path: the fallback of marshal_fallback.go, or an
	// error with the edgewamp_nomarshal tag.
	return appendMsgPackOther(dst, v)
}

func appendMsgPackDict(dst []byte, d Dict, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, errMsgPackDepth
	}
	if uint64(len(d)) > mpMaxLen {
		return dst, errMsgPackLen
	}
	dst = mpAppendMapLen(dst, len(d))
	var err error
	if len(d) == 1 {
		for k, v := range d { // no sorting needed
			if dst, err = appendMsgPackStr(dst, k); err != nil {
				return dst, err
			}
			return appendMsgPackValue(dst, v, depth)
		}
	}
	var arr [16]string
	for _, k := range sortedKeys(d, arr[:]) {
		if dst, err = appendMsgPackStr(dst, k); err != nil {
			return dst, err
		}
		if dst, err = appendMsgPackValue(dst, d[k], depth); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func appendMsgPackList(dst []byte, l List, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, errMsgPackDepth
	}
	if uint64(len(l)) > mpMaxLen {
		return dst, errMsgPackLen
	}
	dst = mpAppendArrayLen(dst, len(l))
	for _, v := range l {
		var err error
		if dst, err = appendMsgPackValue(dst, v, depth); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// body consumes the header of the str or bin at hand and returns its bytes,
// which alias the input.
func (r *mpReader) body() ([]byte, error) {
	_, n, err := r.head()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(r.b)-r.i) {
		return nil, protoErr("length %d beyond the end of the message", n)
	}
	p := r.i
	r.i += int(n)
	return r.b[p:r.i], nil
}

// arrayLen consumes an array header and checks its length against the input
// left (each element takes at least one byte).
func (r *mpReader) arrayLen() (int, error) {
	_, n, err := r.head()
	if err != nil {
		return 0, err
	}
	if n > uint64(len(r.b)-r.i) {
		return 0, protoErr("array length %d beyond the end of the message", n)
	}
	return int(n), nil
}

func (r *mpReader) listValue(depth int) (List, error) {
	if depth > maxDepth {
		return nil, protoErr("nesting deeper than %d levels", maxDepth)
	}
	n, err := r.arrayLen()
	if err != nil {
		return nil, err
	}
	if decodeBudgeted {
		if err := spendList(&r.spent, n, len(r.b)); err != nil {
			return nil, err
		}
	}
	l := make(List, n)
	for i := range l {
		if l[i], err = r.value(depth); err != nil {
			return nil, err
		}
		if _, ok := l[i].(jsUndefined); ok {
			l[i] = nil
		}
	}
	return l, nil
}

func (r *mpReader) dictValue(depth int) (Dict, error) {
	if depth > maxDepth {
		return nil, protoErr("nesting deeper than %d levels", maxDepth)
	}
	_, n, err := r.head()
	if err != nil {
		return nil, err
	}
	// Each entry takes at least two bytes, a key and a value.
	if n > uint64(len(r.b)-r.i)/2 {
		return nil, protoErr("map length %d beyond the end of the message", n)
	}
	if decodeBudgeted {
		if err := spendDict(&r.spent, int(n), len(r.b)); err != nil {
			return nil, err
		}
	}
	d := make(Dict, n)
	for range n {
		c, err := r.peek()
		if err != nil {
			return nil, err
		}
		if !mpIsStr(c) {
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
		if _, ok := v.(jsUndefined); ok {
			continue
		}
		d[string(k)] = v
	}
	return d, nil
}

// jsUndefined is JavaScript's undefined as JavaScript MessagePack encoders
// (msgpackr, used by wampy) write it: fixext 1, type 0, data 0 (d4 00 00).
// A dict entry holding it is dropped (an option set to undefined is an
// option not set) and a list element becomes nil.
type jsUndefined struct{}

// skipJSUndefined consumes d4 00 00 and reports true when it stands next.
func (r *mpReader) skipJSUndefined() bool {
	b := r.b[r.i:]
	if len(b) < 3 || b[0] != mpFixext1 || b[1] != 0 || b[2] != 0 {
		return false
	}
	r.i += 3
	return true
}

// value decodes the value at hand, which is inside depth containers.
func (r *mpReader) value(depth int) (any, error) {
	c, err := r.peek()
	if err != nil {
		return nil, err
	}
	switch {
	case c <= mpPosFixintMax: // the commonest integers, in their code byte
		r.i++
		return int64(c), nil
	case mpIsStr(c):
		b, err := r.body()
		return string(b), err
	case mpIsArray(c):
		return r.listValue(depth + 1)
	case mpIsMap(c):
		return r.dictValue(depth + 1)
	case c == mpBin8 || c == mpBin16 || c == mpBin32:
		b, err := r.body()
		if err != nil {
			return nil, err
		}
		return bytes.Clone(b), nil
	case c == mpFixext1 && r.skipJSUndefined():
		return jsUndefined{}, nil
	case mpIsExt(c):
		return nil, protoErr("extension types are not supported (code 0x%02x)", c)
	case c == mpNeverUsed:
		return nil, protoErr("invalid code 0x%02x", c)
	}
	// A scalar: nil, a bool or a number.
	c, n, err := r.head()
	if err != nil {
		return nil, err
	}
	switch {
	case c == mpNil:
		return nil, nil
	case c == mpFalse || c == mpTrue:
		return c == mpTrue, nil
	case mpIsUint(c):
		if n > math.MaxInt64 {
			return n, nil
		}
		return int64(n), nil
	case c == mpFloat32 || c == mpFloat64:
		return mpFloat(c, n), nil
	}
	return mpInt(c, n), nil
}
