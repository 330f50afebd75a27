package wamp

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Encoding of values (the WAMP value model) as JSON, appended to a buffer.

var (
	errJSONNaN   = errors.New("wamp: json: NaN or infinity cannot be encoded")
	errJSONDepth = fmt.Errorf("wamp: json: value nested deeper than %d levels", maxDepth)
)

func appendUint(dst []byte, v uint64) []byte { return strconv.AppendUint(dst, v, 10) }

// appendJSONValue appends the JSON encoding of v. depth counts the
// containers v is inside of.
func appendJSONValue(dst []byte, v any, depth int) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		if v {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case string:
		return appendJSONString(dst, v), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case uint64:
		return strconv.AppendUint(dst, v, 10), nil
	case float64:
		return appendJSONFloat(dst, v, 64)
	case Dict:
		return appendJSONDict(dst, v, depth+1)
	case List:
		return appendJSONList(dst, v, depth+1)
	case []byte:
		return appendJSONBytes(dst, v), nil
	case int:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uintptr:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case float32:
		return appendJSONFloat(dst, float64(v), 32)
	case ID:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case URI:
		return appendJSONString(dst, string(v)), nil
	case []string:
		if depth+1 > maxDepth {
			return dst, errJSONDepth
		}
		dst = append(dst, '[')
		for i, s := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, s)
		}
		return append(dst, ']'), nil
	case map[string]string:
		if depth+1 > maxDepth {
			return dst, errJSONDepth
		}
		var arr [16]string
		keys := sortedKeys(v, arr[:])
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSONString(dst, v[k])
		}
		return append(dst, '}'), nil
	case []Dict:
		if depth+1 > maxDepth {
			return dst, errJSONDepth
		}
		dst = append(dst, '[')
		for i, d := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendJSONDict(dst, d, depth+2); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case time.Time:
		// As json.Marshal writes it: RFC 3339 with the fraction of a second
		// it has, an error for years outside [0, 9999].
		b, err := v.AppendText(append(dst, '"'))
		if err != nil {
			return dst, fmt.Errorf("wamp: json: encoding time.Time: %w", err)
		}
		return append(b, '"'), nil
	}
	// Off the per-message path: the fallback of marshal_fallback.go, or an
	// error with the edgewamp_nomarshal tag.
	return appendJSONOther(dst, v)
}

// sortedKeys appends m's keys to buf and sorts them. With a buf on the
// caller's stack, maps of up to cap(buf) keys need no allocation.
func sortedKeys[V any](m map[string]V, buf []string) []string {
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func appendJSONDict(dst []byte, d Dict, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, errJSONDepth
	}
	dst = append(dst, '{')
	if len(d) == 1 {
		for k, v := range d { // no sorting needed
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSONValue(dst, v, depth); err != nil {
				return dst, err
			}
		}
	} else if len(d) > 1 {
		var arr [16]string
		for i, k := range sortedKeys(d, arr[:]) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSONValue(dst, d[k], depth); err != nil {
				return dst, err
			}
		}
	}
	return append(dst, '}'), nil
}

func appendJSONList(dst []byte, l List, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, errJSONDepth
	}
	dst = append(dst, '[')
	for i, v := range l {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendJSONValue(dst, v, depth); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

// appendJSONFloat writes f so that it reads back as a float: "1.0", not "1".
func appendJSONFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, errJSONNaN
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) ||
			bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'f' && !slices.Contains(dst[start:], '.') {
		dst = append(dst, '.', '0')
	}
	return dst, nil
}

// appendJSONBytes writes b by the WAMP binary rule: "\u0000" + base64(b).
func appendJSONBytes(dst []byte, b []byte) []byte {
	dst = append(dst, `"\u0000`...)
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
