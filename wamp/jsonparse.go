package wamp

import (
	"encoding/base64"
	"errors"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonParser is a small strict JSON parser into the WAMP value model. It
// never panics on any input and never allocates more than the input needs.
type jsonParser struct {
	spent int // heap charged to the input (see decodelimit.go)
	b     []byte
	i     int
}

func (p *jsonParser) skipWS() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// consume advances past c if it is the next byte.
func (p *jsonParser) consume(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *jsonParser) errAt(what string) error {
	if p.i >= len(p.b) {
		return protoErr("unexpected end of input, expected %s", what)
	}
	return protoErr("unexpected %q at offset %d, expected %s", p.b[p.i], p.i, what)
}

// value parses the value at p.i (whitespace already skipped); depth counts
// the containers it is inside of.
func (p *jsonParser) value(depth int) (any, error) {
	if p.i >= len(p.b) {
		return nil, p.errAt("a value")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		s, err := p.stringLit()
		if err != nil {
			return nil, err
		}
		if len(s) > 0 && s[0] == 0 {
			return decodeBinary(s)
		}
		return s, nil
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		n, err := p.number()
		if err != nil {
			return nil, err
		}
		switch n.kind {
		case numInt:
			return n.i, nil
		case numUint:
			return n.u, nil
		}
		return n.f, nil
	}
	return nil, p.errAt("a value")
}

// decodeBinary turns a string "\x00" + base64 into its bytes.
func decodeBinary(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s[1:])
	if err != nil {
		return nil, protoErr("invalid base64 in binary string: %v", err)
	}
	return b, nil
}

func (p *jsonParser) literal(lit string) error {
	if len(p.b)-p.i >= len(lit) && string(p.b[p.i:p.i+len(lit)]) == lit {
		p.i += len(lit)
		return nil
	}
	return p.errAt(lit)
}

func (p *jsonParser) object(depth int) (Dict, error) {
	if depth > maxDepth {
		return nil, protoErr("nesting deeper than %d levels", maxDepth)
	}
	p.i++ // '{'
	if decodeBudgeted {
		if err := spendDict(&p.spent, 0, len(p.b)/2); err != nil {
			return nil, err
		}
	}
	d := Dict{}
	p.skipWS()
	if p.consume('}') {
		return d, nil
	}
	for {
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, p.errAt("a string key")
		}
		k, err := p.stringLit()
		if err != nil {
			return nil, err
		}
		p.skipWS()
		if !p.consume(':') {
			return nil, p.errAt(":")
		}
		p.skipWS()
		if decodeBudgeted && len(d)%7 == 0 {
			if err := spendTake(&p.spent, dictGroupCost, len(p.b)/2); err != nil {
				return nil, err
			}
		}
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		d[k] = v
		p.skipWS()
		if p.consume('}') {
			return d, nil
		}
		if !p.consume(',') {
			return nil, p.errAt(", or }")
		}
		p.skipWS()
	}
}

func (p *jsonParser) array(depth int) (List, error) {
	if depth > maxDepth {
		return nil, protoErr("nesting deeper than %d levels", maxDepth)
	}
	p.i++ // '['
	if decodeBudgeted {
		if err := spendList(&p.spent, 0, len(p.b)/2); err != nil {
			return nil, err
		}
	}
	p.skipWS()
	if p.consume(']') {
		return List{}, nil
	}
	l := make(List, 0, 4)
	for {
		if decodeBudgeted {
			if err := spendTake(&p.spent, listElemCost, len(p.b)/2); err != nil {
				return nil, err
			}
		}
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		l = append(l, v)
		p.skipWS()
		if p.consume(']') {
			return l, nil
		}
		if !p.consume(',') {
			return nil, p.errAt(", or ]")
		}
		p.skipWS()
	}
}

// stringLit parses the string literal at p.i (which is '"'). The input must
// be valid UTF-8 and control characters must be escaped. Escaped lone
// surrogates become U+FFFD.
func (p *jsonParser) stringLit() (string, error) {
	p.i++ // '"'
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := string(p.b[start:p.i])
			p.i++
			return s, nil
		case c == '\\':
			return p.stringSlow(start)
		case c < 0x20:
			return "", p.errAt("an escaped control character")
		case c < utf8.RuneSelf:
			p.i++
		default:
			r, size := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && size == 1 {
				return "", protoErr("invalid UTF-8 at offset %d", p.i)
			}
			p.i += size
		}
	}
	return "", p.errAt(`a closing "`)
}

// stringSlow continues a string literal that has escapes, from p.i.
func (p *jsonParser) stringSlow(start int) (string, error) {
	buf := make([]byte, p.i-start, p.i-start+16)
	copy(buf, p.b[start:p.i])
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c == '\\':
			p.i++
			if p.i >= len(p.b) {
				return "", p.errAt("an escape")
			}
			e := p.b[p.i]
			p.i++
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.errAt("4 hex digits")
				}
				if utf16.IsSurrogate(r) {
					// A high surrogate followed by an escaped low one is a
					// pair; anything else is a lone surrogate, read as U+FFFD.
					hi := r
					r = utf8.RuneError
					save := p.i
					if p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
						p.i += 2
						lo, ok := p.hex4()
						if dec := utf16.DecodeRune(hi, lo); ok && dec != utf8.RuneError {
							r = dec
						} else {
							p.i = save
						}
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				p.i -= 2
				return "", p.errAt("a valid escape")
			}
		case c < 0x20:
			return "", p.errAt("an escaped control character")
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.i++
		default:
			r, size := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && size == 1 {
				return "", protoErr("invalid UTF-8 at offset %d", p.i)
			}
			buf = append(buf, p.b[p.i:p.i+size]...)
			p.i += size
		}
	}
	return "", p.errAt(`a closing "`)
}

// hex4 reads 4 hex digits at p.i.
func (p *jsonParser) hex4() (rune, bool) {
	if len(p.b)-p.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.b[p.i : p.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	p.i += 4
	return r, true
}

type numKind uint8

const (
	numInt numKind = iota
	numUint
	numFloat
)

// jsonNumber is a parsed number, kept unboxed until the caller needs an any.
type jsonNumber struct {
	kind numKind
	i    int64
	u    uint64
	f    float64
}

// number parses -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at p.i.
func (p *jsonParser) number() (jsonNumber, error) {
	start := p.i
	neg := p.consume('-')
	var u uint64
	overflow := false
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			d := uint64(p.b[p.i] - '0')
			if u > (math.MaxUint64-d)/10 {
				overflow = true
			}
			u = u*10 + d
			p.i++
			n++
		}
		return n
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case p.i < len(p.b) && p.b[p.i] >= '1' && p.b[p.i] <= '9':
		digits()
	default:
		return jsonNumber{}, p.errAt("a digit")
	}
	isInt := true
	if p.consume('.') {
		isInt = false
		if digits() == 0 {
			return jsonNumber{}, p.errAt("a digit")
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		isInt = false
		if !p.consume('+') {
			p.consume('-')
		}
		if digits() == 0 {
			return jsonNumber{}, p.errAt("a digit")
		}
	}
	if isInt && !overflow {
		switch {
		case !neg && u <= math.MaxInt64:
			return jsonNumber{kind: numInt, i: int64(u)}, nil
		case !neg:
			return jsonNumber{kind: numUint, u: u}, nil
		case u <= 1<<63:
			return jsonNumber{kind: numInt, i: int64(-u)}, nil
		}
	}
	f, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
	// Underflow reads as 0 (or the nearest subnormal); overflow is an error.
	if math.IsInf(f, 0) || err != nil && !errors.Is(err, strconv.ErrRange) {
		return jsonNumber{}, protoErr("number out of range at offset %d", start)
	}
	return jsonNumber{kind: numFloat, f: f}, nil
}
