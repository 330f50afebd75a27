package logline

import (
	"encoding"
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendJSONLine appends a line as slog's JSONHandler writes it:
// {"time":...,"level":...,"msg":...,"key":value...}.
func appendJSONLine(b []byte, t time.Time, level Level, msg string, args []any) []byte {
	b = append(b, '{')
	if !t.IsZero() {
		b = append(b, `"time":`...)
		b = appendJSONTime(b, t)
		b = append(b, ',')
	}
	b = append(b, `"level":`...)
	b = appendJSONString(b, level.String())
	b = append(b, `,"msg":`...)
	b = appendJSONString(b, msg)
	for len(args) > 0 {
		var k string
		var v any
		k, v, args = nextAttr(args)
		b = append(b, ',')
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONValue(b, v)
	}
	return append(b, '}', '\n')
}

func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendJSONValue appends v as slog's JSONHandler does for the values
// edgewamp logs. A value it has no JSON form for without reflection (a
// struct, a map, a named number type) is written as the string fmt's %+v
// makes of it, where JSONHandler would marshal it with encoding/json.
func appendJSONValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		return appendJSONString(b, v)
	case time.Time:
		return appendJSONTime(b, v)
	case time.Duration:
		return strconv.AppendInt(b, int64(v), 10) // as encoding/json
	case error:
		return appendJSONString(b, v.Error())
	case []byte:
		// encoding/json's form of a []byte: a base64 string, or null.
		if v == nil {
			return append(b, "null"...)
		}
		return appendJSONString(b, base64.StdEncoding.EncodeToString(v))
	case encoding.TextMarshaler:
		data, err := v.MarshalText()
		if err != nil {
			return appendJSONString(b, "!ERROR:"+err.Error())
		}
		return appendJSONString(b, string(data))
	case nil:
		return append(b, "null"...)
	}
	if nb, ok := appendNumber(b, v, true); ok {
		return nb
	}
	return appendJSONString(b, fmt.Sprintf("%+v", v))
}

// appendFloat appends f: in text as strconv's shortest 'g' form, in JSON
// as encoding/json writes a float64 (NaN and infinities, which JSON cannot
// hold, as strings: slog would write an error in their place).
func appendFloat(b []byte, f float64, jsonForm bool) []byte {
	if !jsonForm {
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return appendJSONString(b, strconv.FormatFloat(f, 'g', -1, 64))
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		if n := len(b) - start; n >= 4 && b[len(b)-4] == 'e' && b[len(b)-3] == '-' && b[len(b)-2] == '0' {
			b[len(b)-2] = b[len(b)-1]
			b = b[:len(b)-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as slog's
// JSONHandler does (no HTML escaping; invalid UTF-8 as \ufffd; U+2028 and
// U+2029 escaped).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe(c) {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
