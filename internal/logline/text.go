package logline

import (
	"encoding"
	"fmt"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// appendTextLine appends a line as slog's TextHandler writes it:
// time=... level=... msg=... key=value...
func appendTextLine(b []byte, t time.Time, level Level, msg string, args []any) []byte {
	if !t.IsZero() {
		b = append(b, "time="...)
		b = appendRFC3339Millis(b, t)
		b = append(b, ' ')
	}
	b = append(b, "level="...)
	b = appendTextString(b, level.String())
	b = append(b, " msg="...)
	b = appendTextString(b, msg)
	for len(args) > 0 {
		var k string
		var v any
		k, v, args = nextAttr(args)
		b = append(b, ' ')
		b = appendTextString(b, k)
		b = append(b, '=')
		b = appendTextValue(b, v)
	}
	return append(b, '\n')
}

// appendRFC3339Millis appends t in RFC 3339 with exactly three fractional
// digits, as slog's TextHandler does.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...) // drop the fourth digit
}

// appendTextValue appends v as slog's TextHandler does.
func appendTextValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		return appendTextString(b, v)
	case time.Time:
		return appendRFC3339Millis(b, v)
	case time.Duration:
		return append(b, v.String()...)
	case []byte:
		return strconv.AppendQuote(b, string(v))
	case encoding.TextMarshaler:
		data, err := v.MarshalText()
		if err != nil {
			return appendTextString(b, "!ERROR:"+err.Error())
		}
		return appendTextString(b, string(data))
	}
	if nb, ok := appendNumber(b, v, false); ok {
		return nb
	}
	return appendTextString(b, fmt.Sprintf("%+v", v))
}

// appendNumber appends v if it is a bool or a number, in slog's text
// (jsonFloat false) or JSON (jsonFloat true) form.
func appendNumber(b []byte, v any, jsonFloat bool) ([]byte, bool) {
	switch v := v.(type) {
	case bool:
		return strconv.AppendBool(b, v), true
	case int:
		return strconv.AppendInt(b, int64(v), 10), true
	case int8:
		return strconv.AppendInt(b, int64(v), 10), true
	case int16:
		return strconv.AppendInt(b, int64(v), 10), true
	case int32:
		return strconv.AppendInt(b, int64(v), 10), true
	case int64:
		return strconv.AppendInt(b, v, 10), true
	case uint:
		return strconv.AppendUint(b, uint64(v), 10), true
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10), true
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10), true
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10), true
	case uint64:
		return strconv.AppendUint(b, v, 10), true
	case uintptr:
		return strconv.AppendUint(b, uint64(v), 10), true
	case float32:
		return appendFloat(b, float64(v), jsonFloat), true
	case float64:
		return appendFloat(b, v, jsonFloat), true
	}
	return b, false
}

// appendTextString appends s, quoted if slog's TextHandler would quote it.
func appendTextString(b []byte, s string) []byte {
	if needsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

// needsQuoting is slog's rule: empty strings, and strings with a space, '=',
// a character JSON would escape (but a backslash), invalid UTF-8, or a
// Unicode space or non-printable character.
func needsQuoting(s string) bool {
	if len(s) == 0 {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c != '\\' && (c == ' ' || c == '=' || !jsonSafe(c)) {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

// jsonSafe reports whether the ASCII byte c goes into a JSON string as is.
func jsonSafe(c byte) bool { return c >= 0x20 && c != '"' && c != '\\' }
