package confdecode

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// MaxSize bounds the configuration files Decode reads, in bytes.
const MaxSize = 1 << 20

// Error is a problem in a configuration file: where, and what.
type Error struct {
	_ [0]func() // not comparable: no equality function to link
	// Line and Column (in bytes, both from 1) locate the problem in the
	// file; 0 when it has no place of its own (the document is not an
	// object, say).
	Line, Column int
	// Path is the key's path, e.g. sensors[1].gpio.line; empty for the
	// document itself and for a syntax error.
	Path string
	// Problem says what is wrong and, where it helps, what is wanted.
	Problem string
}

// Error returns "line L, column C: path: problem", leaving out what is
// not known.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d, column %d: ", e.Line, e.Column)
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// Decode parses data, a JSON document of at most MaxSize bytes that must be
// an object, and maps it with fill. The error, an *Error, is the first
// problem met: a syntax error, a key given twice in one object, or what
// fill's reads found.
func Decode(data []byte, fill func(*Object)) error {
	if len(data) > MaxSize {
		return &Error{Problem: fmt.Sprintf("larger than %d bytes", MaxSize)}
	}
	doc, err := wamp.ParseJSON(data)
	if err != nil {
		return syntaxError(data, err)
	}
	if err := duplicateKey(data); err != nil {
		return err
	}
	d := &Decoder{}
	d.Object("", doc, fill)
	if d.err == nil {
		return nil
	}
	d.err.Line, d.err.Column = locate(data, d.err.Path)
	return d.err
}

// syntaxError says where in data wamp.ParseJSON stopped, and why.
func syntaxError(data []byte, err error) error {
	var se *wamp.JSONSyntaxError
	if !errors.As(err, &se) {
		return &Error{Problem: err.Error()}
	}
	why := strings.TrimSuffix(se.Error(), ": "+wamp.ErrProtocolViolation.Error())
	line, col := position(data, se.Offset)
	return &Error{Line: line, Column: col, Problem: why}
}

// Decoder keeps the first problem met while mapping a document. Decode
// uses one; a program that has parsed the document itself can use its own.
type Decoder struct{ err *Error }

// Err returns the first problem recorded, or nil.
func (d *Decoder) Err() error {
	if d.err == nil {
		return nil
	}
	return d.err
}

// Fail records a problem at path unless one is recorded already; fill
// functions call it for checks of their own (a value out of its range).
func (d *Decoder) Fail(path, format string, args ...any) {
	if d.err == nil {
		d.err = &Error{Path: path, Problem: fmt.Sprintf(format, args...)}
	}
}

// Object maps the JSON object v at path with fill, then reports the keys
// fill did not read as unknown.
func (d *Decoder) Object(path string, v any, fill func(*Object)) {
	m, ok := v.(wamp.Dict)
	if !ok {
		d.Fail(path, "want an object, got %s", Shown(v))
		return
	}
	o := &Object{d: d, path: path, m: m}
	fill(o)
	if o.found == len(m) {
		return // every key present was read
	}
	var unknown []string
	for k := range m {
		if !slices.Contains(o.known, k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	slices.Sort(o.known)
	d.Fail(join(path, unknown[0]), "unknown key (known: %s)", strings.Join(o.known, ", "))
}

// Object is one JSON object being mapped: each method reads one key into a
// field, and records the key as known.
type Object struct {
	d     *Decoder
	path  string
	m     wamp.Dict
	known []string // the keys read, present or not
	found int      // how many of them were present
}

// Path returns the path of key in o, for the messages of Fail.
func (o *Object) Path(key string) string { return join(o.path, key) }

// Fail records a problem with key (see [Decoder.Fail]).
func (o *Object) Fail(key, format string, args ...any) { o.d.Fail(o.Path(key), format, args...) }

// Value returns the value of key and its path; ok is false when the key is
// absent or null, which leave the field at its zero value. For a key whose
// value a program checks itself.
func (o *Object) Value(key string) (v any, path string, ok bool) {
	o.known = append(o.known, key)
	v, ok = o.m[key]
	if ok {
		o.found++
	}
	return v, join(o.path, key), ok && v != nil
}

// typed reads key into dst when its value has dst's type, which want
// names for the error otherwise.
func typed[T any](o *Object, key, want string, dst *T) {
	v, path, ok := o.Value(key)
	if !ok {
		return
	}
	x, isT := v.(T)
	if !isT {
		o.d.Fail(path, "want %s, got %s", want, Shown(v))
		return
	}
	*dst = x
}

// Str reads a string.
func (o *Object) Str(key string, dst *string) { typed(o, key, "a string", dst) }

// Text reads a string into a string type of the program's (wamp.URI,
// wamp.MatchPolicy).
func Text[T ~string](o *Object, key string, dst *T) {
	var s string
	o.Str(key, &s)
	if s != "" {
		*dst = T(s)
	}
}

// Bool reads true or false.
func (o *Object) Bool(key string, dst *bool) { typed(o, key, "true or false", dst) }

// Values reads a list of any JSON values, as parsed.
func (o *Object) Values(key string, dst *[]any) { typed(o, key, "a list", dst) }

// Dict reads an object whose keys are free (authextra).
func (o *Object) Dict(key string, dst *wamp.Dict) { typed(o, key, "an object", dst) }

// Float reads a number.
func (o *Object) Float(key string, dst *float64) {
	v, path, ok := o.Value(key)
	if !ok {
		return
	}
	if f, isNum := number(v); isNum {
		*dst = f
		return
	}
	o.d.Fail(path, "want a number, got %s", Shown(v))
}

// FloatPtr reads a number whose absence means a default other than 0.
func (o *Object) FloatPtr(key string, dst **float64) {
	f := math.NaN() // no JSON number reads as NaN: still NaN means absent
	o.Float(key, &f)
	if !math.IsNaN(f) {
		*dst = &f
	}
}

// Int reads an integer.
func (o *Object) Int(key string, dst *int) {
	v, path, ok := o.Value(key)
	if !ok {
		return
	}
	if i, ok := integer(o.d, path, v, math.MinInt, math.MaxInt); ok {
		*dst = int(i)
	}
}

// Uint32Ptr reads an integer from 0 to 4294967295 that may be absent.
func (o *Object) Uint32Ptr(key string, dst **uint32) {
	v, path, ok := o.Value(key)
	if !ok {
		return
	}
	if i, ok := integer(o.d, path, v, 0, math.MaxUint32); ok {
		u := uint32(i)
		*dst = &u
	}
}

// Duration reads a non-negative duration string in Go syntax ("1.5s"); a
// number without a unit is refused with a word on the units.
func (o *Object) Duration(key string, dst *time.Duration) {
	v, path, ok := o.Value(key)
	if !ok {
		return
	}
	s, isStr := v.(string)
	if !isStr {
		o.d.Fail(path, "want a duration string such as \"10s\", got %s", Shown(v))
		return
	}
	dur, err := time.ParseDuration(s)
	switch {
	case err != nil:
		o.d.Fail(path, "bad duration %s (want e.g. \"500ms\", \"10s\", \"1m\")", Shown(s))
	case dur < 0:
		o.d.Fail(path, "negative duration %s", Shown(s))
	default:
		*dst = dur
	}
}

// Strings reads a list of strings.
func (o *Object) Strings(key string, dst *[]string) {
	v, path, ok := o.Value(key)
	if !ok {
		return
	}
	l, isList := v.(wamp.List)
	if !isList {
		o.d.Fail(path, "want a list of strings, got %s", Shown(v))
		return
	}
	out := make([]string, len(l))
	for i, e := range l {
		s, isStr := e.(string)
		if !isStr {
			o.d.Fail(path+"["+strconv.Itoa(i)+"]", "want a string, got %s", Shown(e))
			return
		}
		out[i] = s
	}
	*dst = out
}

// Object reads a nested object of known keys with fill.
func (o *Object) Object(key string, fill func(*Object)) {
	v, path, ok := o.Value(key)
	if !ok {
		return
	}
	o.d.Object(path, v, fill)
}

// List reads a list of objects: alloc is called with its length, then elem
// maps each element.
func (o *Object) List(key string, alloc func(n int), elem func(i int, e *Object)) {
	v, path, ok := o.Value(key)
	if !ok {
		return
	}
	l, isList := v.(wamp.List)
	if !isList {
		o.d.Fail(path, "want a list of objects, got %s", Shown(v))
		return
	}
	alloc(len(l))
	for i, e := range l {
		o.d.Object(path+"["+strconv.Itoa(i)+"]", e, func(eo *Object) { elem(i, eo) })
		if o.d.err != nil {
			return
		}
	}
}

// number converts a parsed JSON number to a float64.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// integer converts a parsed JSON number to an integer in [lo, hi], or
// records why it cannot. An integral float (1.0, 1e3) counts as an integer.
func integer(d *Decoder, path string, v any, lo, hi int64) (int64, bool) {
	var i int64
	switch x := v.(type) {
	case int64:
		i = x
	case uint64:
		d.Fail(path, "%d is out of range (%d to %d)", x, lo, hi)
		return 0, false
	case float64:
		if x != math.Trunc(x) {
			d.Fail(path, "want an integer, got %s", Shown(v))
			return 0, false
		}
		if x < -1<<53 || x > 1<<53 {
			d.Fail(path, "%s is out of range (%d to %d)", Shown(v), lo, hi)
			return 0, false
		}
		i = int64(x)
	default:
		d.Fail(path, "want an integer, got %s", Shown(v))
		return 0, false
	}
	if i < lo || i > hi {
		d.Fail(path, "%d is out of range (%d to %d)", i, lo, hi)
		return 0, false
	}
	return i, true
}

// Shown describes a parsed JSON value for an error message: strings quoted
// and cut after 40 bytes, numbers as numbers, containers by their kind.
func Shown(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 40 {
			return strconv.Quote(x[:40]) + "..."
		}
		return strconv.Quote(x)
	case bool, int64, uint64:
		return fmt.Sprint(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case wamp.List:
		return "a list"
	case wamp.Dict:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
