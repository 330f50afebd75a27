package main

import (
	"bytes"
	"encoding/binary"
	"strconv"

	"github.com/edgewamp/edgewamp/wamp"
)

// tsMarker precedes the send timestamp (16 hex digits of nanoseconds since
// the run's start) at the end of every payload the generator sends.
const tsMarker = "@T"

// idBase is the first request ID of pre-encoded messages: every ID in
// [2^52, 2^53) has the same width in both serializers (16 decimal digits in
// JSON; a uint 64 in MessagePack), so a template's ID can be patched in place.
const idBase = wamp.ID(1) << 52

// templateID is the ID a template is encoded with, distinctive enough to be
// found in the encoding.
const templateID = idBase + 0x0BADC0FFEE

// template is a pre-encoded message whose request ID and (optionally)
// timestamp are patched for each copy, so the hot loops never run the
// serializer.
type template struct {
	b      []byte
	binary bool // MessagePack: the ID is a big-endian uint64
	idAt   int  // offset of the ID's digits or bytes
	tsAt   int  // offset of the timestamp's 16 hex digits; -1 when there is none
}

// newTemplate encodes m (whose request ID must be templateID) with s and
// locates the patchable fields.
func newTemplate(s wamp.Serializer, m wamp.Message, withTS bool) (*template, error) {
	b, err := s.AppendMessage(nil, m)
	if err != nil {
		return nil, err
	}
	tp := &template{b: b, binary: s.Binary(), tsAt: -1}
	var id []byte
	if tp.binary {
		id = binary.BigEndian.AppendUint64([]byte{0xcf}, uint64(templateID))
	} else {
		id = strconv.AppendUint(nil, uint64(templateID), 10)
	}
	if bytes.Count(b, id) != 1 {
		return nil, errNoTemplate
	}
	tp.idAt = bytes.Index(b, id)
	if tp.binary {
		tp.idAt++
	}
	if withTS {
		i := bytes.LastIndex(b, []byte(tsMarker))
		if i < 0 || i+len(tsMarker)+16 > len(b) {
			return nil, errNoTemplate
		}
		tp.tsAt = i + len(tsMarker)
	}
	return tp, nil
}

// appendTo appends a copy of the template with id and ts patched in.
func (tp *template) appendTo(dst []byte, id wamp.ID, ts int64) []byte {
	n := len(dst)
	dst = append(dst, tp.b...)
	m := dst[n:]
	if tp.binary {
		binary.BigEndian.PutUint64(m[tp.idAt:], uint64(id))
	} else {
		putDecimal16(m[tp.idAt:tp.idAt+16], uint64(id))
	}
	if tp.tsAt >= 0 {
		putHex16(m[tp.tsAt:tp.tsAt+16], uint64(ts))
	}
	return dst
}

// payloadString returns a string of size bytes ending in the timestamp
// marker and a placeholder for its digits.
func payloadString(size int) string {
	b := bytes.Repeat([]byte{'x'}, size-len(tsMarker)-16)
	b = append(b, tsMarker...)
	b = append(b, "0000000000000000"...)
	return string(b)
}

const hexDigits = "0123456789abcdef"

// putHex16 writes v as 16 hex digits.
func putHex16(b []byte, v uint64) {
	for i := 15; i >= 0; i-- {
		b[i] = hexDigits[v&15]
		v >>= 4
	}
}

// putDecimal16 writes v (which has 16 digits) as decimal.
func putDecimal16(b []byte, v uint64) {
	for i := 15; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}

// parseTS finds the send timestamp in an encoded message: the last marker
// followed by 16 hex digits.
func parseTS(b []byte) (int64, bool) {
	i := bytes.LastIndex(b, []byte(tsMarker))
	if i < 0 || i+len(tsMarker)+16 > len(b) {
		return 0, false
	}
	var v uint64
	for _, c := range b[i+len(tsMarker) : i+len(tsMarker)+16] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return int64(v), true
}

// peekType returns the message type code of an encoded message without
// decoding it, and the offset of the field after it; ok is false when the
// bytes do not start as a compact WAMP message does.
func peekType(b []byte, binary bool) (t wamp.MessageType, next int, ok bool) {
	if binary {
		// fixarray, then the code as a positive fixint.
		if len(b) < 2 || b[0]&0xf0 != 0x90 || b[1] > 0x7f {
			return 0, 0, false
		}
		return wamp.MessageType(b[1]), 2, true
	}
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return 0, 0, false
	}
	v, i, ok := parseJSONUint(b, skipSpace(b, i+1))
	if !ok || v > 255 {
		return 0, 0, false
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ',' {
		return 0, 0, false
	}
	return wamp.MessageType(v), i + 1, true
}

// peekID reads the unsigned integer at b[at:] (the field after the type
// code: the request ID of RESULT, PUBLISHED and INVOCATION).
func peekID(b []byte, at int, binary bool) (wamp.ID, bool) {
	if !binary {
		v, _, ok := parseJSONUint(b, skipSpace(b, at))
		return wamp.ID(v), ok
	}
	if at >= len(b) {
		return 0, false
	}
	c := b[at]
	rest := b[at+1:]
	switch {
	case c <= 0x7f:
		return wamp.ID(c), true
	case c == 0xcc && len(rest) >= 1:
		return wamp.ID(rest[0]), true
	case c == 0xcd && len(rest) >= 2:
		return wamp.ID(binary16(rest)), true
	case c == 0xce && len(rest) >= 4:
		return wamp.ID(binaryBE32(rest)), true
	case c == 0xcf && len(rest) >= 8:
		return wamp.ID(binaryBE64(rest)), true
	case c == 0xd3 && len(rest) >= 8: // int 64, as some encoders write IDs
		return wamp.ID(binaryBE64(rest)), true
	case c == 0xd2 && len(rest) >= 4:
		return wamp.ID(binaryBE32(rest)), true
	}
	return 0, false
}

func binary16(b []byte) uint64   { return uint64(binary.BigEndian.Uint16(b)) }
func binaryBE32(b []byte) uint64 { return uint64(binary.BigEndian.Uint32(b)) }
func binaryBE64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// parseJSONUint parses the decimal digits at b[i:].
func parseJSONUint(b []byte, i int) (uint64, int, bool) {
	start := i
	var v uint64
	for i < len(b) && b[i] >= '0' && b[i] <= '9' && i-start < 19 {
		v = v*10 + uint64(b[i]-'0')
		i++
	}
	return v, i, i > start
}
