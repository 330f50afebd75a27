//go:build !edgewamp_nocbor

package wamp

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"time"
	"unicode/utf8"
)

// Encoding and decoding of values (the WAMP value model) as CBOR.

// Initial bytes: the major type in the top 3 bits, the additional
// information in the low 5 (RFC 8949 section 3).
const (
	cborUint   = 0x00 // major type 0
	cborNegInt = 0x20 // 1
	cborBytes  = 0x40 // 2
	cborText   = 0x60 // 3
	cborArray  = 0x80 // 4
	cborMap    = 0xa0 // 5
	cborTag    = 0xc0 // 6

	cborMajorMask  = 0xe0
	cborInfoMask   = 0x1f
	cborIndefinite = 31 // additional information of an indefinite length

	cborFalse     = 0xf4
	cborTrue      = 0xf5
	cborNull      = 0xf6
	cborUndefined = 0xf7
	cborFloat16   = 0xf9
	cborFloat32   = 0xfa
	cborFloat64   = 0xfb
	cborBreak     = 0xff
)

var errCBORDepth = fmt.Errorf("wamp: cbor: value nested deeper than %d levels", maxDepth)

// cborAppendHead appends the head of major type major with argument v in
// its shortest form.
func cborAppendHead(dst []byte, major byte, v uint64) []byte {
	switch {
	case v < 24:
		return append(dst, major|byte(v))
	case v <= math.MaxUint8:
		return append(dst, major|24, byte(v))
	case v <= math.MaxUint16:
		return mpAppend16(dst, major|25, uint16(v))
	case v <= math.MaxUint32:
		return mpAppend32(dst, major|26, uint32(v))
	}
	return mpAppend64(dst, major|27, v)
}

func cborAppendInt(dst []byte, v int64) []byte {
	if v < 0 {
		return cborAppendHead(dst, cborNegInt, uint64(-1-v))
	}
	return cborAppendHead(dst, cborUint, uint64(v))
}

// cborAppendText appends s as a text string, each byte of invalid UTF-8 as
// U+FFFD.
func cborAppendText(dst []byte, s string) []byte {
	if !utf8.ValidString(s) {
		var b []byte
		for _, r := range s {
			b = utf8.AppendRune(b, r)
		}
		s = string(b)
	}
	return append(cborAppendHead(dst, cborText, uint64(len(s))), s...)
}

// appendCBORValue appends the CBOR encoding of v. depth counts the
// containers v is inside of.
func appendCBORValue(dst []byte, v any, depth int) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, cborNull), nil
	case bool:
		if v {
			return append(dst, cborTrue), nil
		}
		return append(dst, cborFalse), nil
	case string:
		return cborAppendText(dst, v), nil
	case int64:
		return cborAppendInt(dst, v), nil
	case uint64:
		return cborAppendHead(dst, cborUint, v), nil
	case float64:
		return mpAppend64(dst, cborFloat64, math.Float64bits(v)), nil
	case Dict:
		return appendCBORDict(dst, v, depth+1)
	case List:
		return appendCBORList(dst, v, depth+1)
	case []byte:
		return append(cborAppendHead(dst, cborBytes, uint64(len(v))), v...), nil
	case int:
		return cborAppendInt(dst, int64(v)), nil
	case int8:
		return cborAppendInt(dst, int64(v)), nil
	case int16:
		return cborAppendInt(dst, int64(v)), nil
	case int32:
		return cborAppendInt(dst, int64(v)), nil
	case uint:
		return cborAppendHead(dst, cborUint, uint64(v)), nil
	case uint8:
		return cborAppendHead(dst, cborUint, uint64(v)), nil
	case uint16:
		return cborAppendHead(dst, cborUint, uint64(v)), nil
	case uint32:
		return cborAppendHead(dst, cborUint, uint64(v)), nil
	case uintptr:
		return cborAppendHead(dst, cborUint, uint64(v)), nil
	case float32:
		return mpAppend32(dst, cborFloat32, math.Float32bits(v)), nil
	case ID:
		return cborAppendHead(dst, cborUint, uint64(v)), nil
	case URI:
		return cborAppendText(dst, string(v)), nil
	case []string:
		if depth+1 > maxDepth {
			return dst, errCBORDepth
		}
		dst = cborAppendHead(dst, cborArray, uint64(len(v)))
		for _, s := range v {
			dst = cborAppendText(dst, s)
		}
		return dst, nil
	case map[string]string:
		if depth+1 > maxDepth {
			return dst, errCBORDepth
		}
		dst = cborAppendHead(dst, cborMap, uint64(len(v)))
		var arr [16]string
		keys, err := cborSortedKeys(v, arr[:])
		for _, k := range keys {
			dst = cborAppendText(cborAppendText(dst, k), v[k])
		}
		return dst, err
	case []Dict:
		if depth+1 > maxDepth {
			return dst, errCBORDepth
		}
		dst = cborAppendHead(dst, cborArray, uint64(len(v)))
		for _, d := range v {
			var err error
			if dst, err = appendCBORDict(dst, d, depth+2); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case time.Time:
		// As JSON and MessagePack carry it, not as tag 0 or 1, which the
		// decoder refuses.
		var arr [64]byte
		b := v.AppendFormat(arr[:0], time.RFC3339Nano)
		return append(cborAppendHead(dst, cborText, uint64(len(b))), b...), nil
	}
	// Off the per-message path: the fallback of marshal_fallback.go, or an
	// error with the edgewamp_nomarshal tag.
	return appendCBOROther(dst, v, depth)
}

// cborSortedKeys returns the keys of m in the deterministic order of RFC
// 8949 section 4.2.1 (for text keys: shorter first, then bytewise), in buf
// when they fit. A key that is not UTF-8 is an error: written as U+FFFD it
// could collide with another. It sorts with the instantiation of
// slices.Sort the other serializers link, then by length, so that a
// small binary gains no sort code.
func cborSortedKeys[V any](m map[string]V, buf []string) ([]string, error) {
	keys := buf[:0]
	longest := 0
	for k := range m {
		if !utf8.ValidString(k) {
			return nil, fmt.Errorf("wamp: cbor: dict key %q is not valid UTF-8", k)
		}
		keys = append(keys, k)
		longest = max(longest, len(k))
	}
	slices.Sort(keys)
	if len(keys) <= 16 { // a stable insertion sort by length
		for i := 1; i < len(keys); i++ {
			for j := i; j > 0 && len(keys[j]) < len(keys[j-1]); j-- {
				keys[j], keys[j-1] = keys[j-1], keys[j]
			}
		}
		return keys, nil
	}
	// A stable counting sort by length.
	start := make([]int, longest+2)
	for _, k := range keys {
		start[len(k)+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	out := make([]string, len(keys))
	for _, k := range keys {
		out[start[len(k)]] = k
		start[len(k)]++
	}
	return out, nil
}

func appendCBORDict(dst []byte, d Dict, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, errCBORDepth
	}
	dst = cborAppendHead(dst, cborMap, uint64(len(d)))
	var arr [16]string
	keys, err := cborSortedKeys(d, arr[:])
	if err != nil {
		return dst, err
	}
	for _, k := range keys {
		if dst, err = appendCBORValue(cborAppendText(dst, k), d[k], depth); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func appendCBORList(dst []byte, l List, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, errCBORDepth
	}
	dst = cborAppendHead(dst, cborArray, uint64(len(l)))
	for _, v := range l {
		var err error
		if dst, err = appendCBORValue(dst, v, depth); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// another reports whether item i of an array or map of n items follows
// (for an indefinite length, that no break stands next; a break is
// consumed).
func (r *cborReader) another(i, n int, indef bool) (bool, error) {
	if !indef {
		return i < n, nil
	}
	end, err := r.atBreak()
	return !end && err == nil, err
}

func (r *cborReader) listValue(depth int) (List, error) {
	if depth > maxDepth {
		return nil, protoErr("nesting deeper than %d levels", maxDepth)
	}
	n, indef, err := r.containerHead(1)
	if err != nil {
		return nil, err
	}
	if decodeBudgeted {
		if err := spendList(&r.spent, n, len(r.b)); err != nil {
			return nil, err
		}
	}
	l := make(List, n)
	for i := 0; ; i++ {
		if ok, err := r.another(i, n, indef); err != nil {
			return nil, err
		} else if !ok {
			return l, nil
		}
		if indef && decodeBudgeted {
			if err := spendTake(&r.spent, listElemCost, len(r.b)); err != nil {
				return nil, err
			}
			l = append(l, nil)
		}
		v, err := r.value(depth)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(jsUndefined); !ok {
			l[i] = v
		}
	}
}

func (r *cborReader) dictValue(depth int) (Dict, error) {
	if depth > maxDepth {
		return nil, protoErr("nesting deeper than %d levels", maxDepth)
	}
	// Each entry takes at least two bytes, a key and a value.
	n, indef, err := r.containerHead(2)
	if err != nil {
		return nil, err
	}
	if decodeBudgeted {
		if err := spendDict(&r.spent, n, len(r.b)); err != nil {
			return nil, err
		}
	}
	d := make(Dict, n)
	undefined := false
	for i := 0; ; i++ {
		if ok, err := r.another(i, n, indef); err != nil {
			return nil, err
		} else if !ok {
			break
		}
		if decodeBudgeted && indef && i%7 == 0 {
			if err := spendTake(&r.spent, dictGroupCost, len(r.b)); err != nil {
				return nil, err
			}
		}
		c, err := r.peek()
		if err != nil {
			return nil, err
		}
		if c&cborMajorMask != cborText {
			return nil, protoErr("dict key is not a text string (initial byte 0x%02x)", c)
		}
		k, err := r.stringBytes(cborText)
		if err != nil {
			return nil, err
		}
		if _, dup := d[string(k)]; dup {
			return nil, protoErr("duplicate dict key %q", k)
		}
		v, err := r.value(depth)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(jsUndefined); ok {
			undefined = true // dropped at the end: its key still counts as seen
		}
		d[string(k)] = v
	}
	if undefined {
		for k, v := range d {
			if _, ok := v.(jsUndefined); ok {
				delete(d, k)
			}
		}
	}
	return d, nil
}

// value decodes the item at hand, which is inside depth containers.
func (r *cborReader) value(depth int) (any, error) {
	c, err := r.peek()
	if err != nil {
		return nil, err
	}
	switch c & cborMajorMask {
	case cborUint, cborNegInt:
		_, n, indef, err := r.head()
		switch {
		case err != nil:
			return nil, err
		case indef:
			return nil, protoErr("invalid initial byte 0x%02x", c)
		case c < cborNegInt && n > math.MaxInt64:
			return n, nil
		case c < cborNegInt:
			return int64(n), nil
		case n > math.MaxInt64:
			return nil, protoErr("integer -1-%d below the int64 range", n)
		}
		return -1 - int64(n), nil
	case cborBytes:
		b, err := r.stringBytes(cborBytes)
		if err != nil || c&cborInfoMask == cborIndefinite {
			return b, err // chunks joined: already a copy
		}
		return bytes.Clone(b), nil
	case cborText:
		return r.text()
	case cborArray:
		return r.listValue(depth + 1)
	case cborMap:
		return r.dictValue(depth + 1)
	case cborTag:
		return nil, protoErr("tags are not supported (initial byte 0x%02x)", c)
	}
	r.i++
	switch c {
	case cborFalse:
		return false, nil
	case cborTrue:
		return true, nil
	case cborNull:
		return nil, nil
	case cborUndefined:
		return jsUndefined{}, nil
	case cborFloat16, cborFloat32, cborFloat64:
		size := 2 << (c - cborFloat16)
		bits, ok := mpBE(r.b, r.i, size)
		if !ok {
			return nil, r.eof()
		}
		r.i += size
		switch c {
		case cborFloat16:
			return float64(math.Float32frombits(float16Bits(uint16(bits)))), nil
		case cborFloat32:
			return float64(math.Float32frombits(uint32(bits))), nil
		}
		return math.Float64frombits(bits), nil
	case cborBreak:
		return nil, protoErr("unexpected break")
	}
	return nil, protoErr("unsupported simple value or reserved initial byte 0x%02x", c)
}

// float16Bits converts the bits of an IEEE 754 half-precision float to
// those of the single-precision float of the same value (a NaN keeps its
// payload in the top bits).
func float16Bits(h uint16) uint32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // infinity or NaN
		return sign | 0x7f800000 | frac<<13
	case exp != 0: // normal
		return sign | (exp+127-15)<<23 | frac<<13
	case frac == 0: // zero
		return sign
	}
	// Subnormal: normalize.
	e := uint32(127 - 15 + 1)
	for frac&0x400 == 0 {
		frac <<= 1
		e--
	}
	return sign | e<<23 | (frac&0x3ff)<<13
}
