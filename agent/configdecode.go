package agent

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

// The configuration file is parsed by wamp.ParseJSON into the value model
// (Dict, List, string, int64, uint64, float64, bool, nil) and mapped onto
// Config by the hand-written functions below: one line per key, so this file
// is the list of the keys the agent reads. No reflection and no
// encoding/json, so the minimal agent links neither for its configuration.
//
// Rules, the same for every key: an absent key and a null leave the field at
// its zero value (its default); a value of the wrong type, an unknown key, a
// bad duration or an integer out of range is an error naming the key's path
// (sensors[1].gpio.line) and the problem. The first problem found is
// reported, in the order the keys are read below (an object's unknown keys
// after its known ones). A key repeated in one object, which ParseJSON would
// let the last one win, is refused before (duplicateKey, with its line).

// decodeConfig maps a parsed configuration document onto a Config.
func decodeConfig(doc any) (*Config, error) {
	var c Config
	d := &decoder{}
	d.object("", doc, func(o *object) {
		o.str("router", &c.Router)
		o.str("realm", &c.Realm)
		o.object("auth", func(a *object) { decodeAuth(a, &c) })
		o.str("prefix", &c.Prefix)
		o.str("status_procedure", &c.StatusProcedure)
		o.object("reconnect", func(r *object) {
			r.duration("min_backoff", &c.Reconnect.MinBackoff)
			r.duration("max_backoff", &c.Reconnect.MaxBackoff)
		})
		o.int("offline_queue", &c.OfflineQueue)
		o.duration("shutdown_timeout", &c.ShutdownTimeout)
		o.object("log", func(l *object) {
			l.str("level", &c.Log.Level)
			l.str("format", &c.Log.Format)
		})
		o.list("sensors", func(n int) { c.Sensors = make([]SensorConfig, n) }, func(i int, e *object) {
			decodeSensor(e, &c.Sensors[i])
		})
		o.list("actuators", func(n int) { c.Actuators = make([]ActuatorConfig, n) }, func(i int, e *object) {
			decodeActuator(e, &c.Actuators[i])
		})
	})
	if d.err != nil {
		return nil, d.err
	}
	return &c, nil
}

func decodeAuth(o *object, c *Config) {
	o.str("authid", &c.Auth.AuthID)
	o.str("authrole", &c.Auth.AuthRole)
	o.dict("authextra", &c.Auth.AuthExtra)
	o.str("ticket", &c.Auth.Ticket)
	o.str("secret", &c.Auth.Secret)
	o.str("cryptosign_key_file", &c.Auth.CryptosignKeyFile)
}

func decodeSensor(o *object, s *SensorConfig) {
	o.str("name", &s.Name)
	o.str("kind", &s.Kind)
	o.str("topic", &s.Topic)
	o.str("unit", &s.Unit)
	o.duration("interval", &s.Interval)
	o.bool("on_change", &s.OnChange)
	o.float("deadband", &s.Deadband)
	o.duration("poll", &s.Poll)
	o.str("path", &s.Path)
	o.floatPtr("scale", &s.Scale)
	o.float("offset", &s.Offset)
	o.strings("argv", &s.Argv)
	o.duration("timeout", &s.Timeout)
	o.str("parse", &s.Parse)
	o.object("gpio", func(g *object) { s.GPIO = decodeGPIO(g) })
	o.floatPtr("base", &s.Base)
	o.floatPtr("amplitude", &s.Amplitude)
	o.duration("period", &s.Period)
}

func decodeGPIO(o *object) *GPIOConfig {
	g := &GPIOConfig{}
	o.str("chip", &g.Chip)
	o.uint32Ptr("line", &g.Line)
	o.bool("active_low", &g.ActiveLow)
	o.str("bias", &g.Bias)
	o.str("edge", &g.Edge)
	o.duration("debounce", &g.Debounce)
	o.str("drive", &g.Drive)
	o.int("initial", &g.Initial)
	return g
}

func decodeActuator(o *object, a *ActuatorConfig) {
	o.str("name", &a.Name)
	o.str("kind", &a.Kind)
	o.str("procedure", &a.Procedure)
	o.list("args", func(n int) { a.Args = make([]ArgSpec, n) }, func(i int, e *object) {
		decodeArgSpec(e, &a.Args[i])
	})
	o.str("path", &a.Path)
	o.strings("argv", &a.Argv)
	o.duration("timeout", &a.Timeout)
	o.object("gpio", func(g *object) { a.GPIO = decodeGPIO(g) })
}

func decodeArgSpec(o *object, s *ArgSpec) {
	o.str("name", &s.Name)
	o.str("type", &s.Type)
	o.values("enum", &s.Enum)
	o.floatPtr("min", &s.Min)
	o.floatPtr("max", &s.Max)
	o.int("max_len", &s.MaxLen)
}

// decoder keeps the first problem met while mapping a document.
type decoder struct{ err error }

// fail records a problem at path unless one is recorded already.
func (d *decoder) fail(path, format string, args ...any) {
	if d.err != nil {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	d.err = errors.New(msg)
}

// object maps the JSON object v at path with fill, then reports the keys
// fill did not read as unknown.
func (d *decoder) object(path string, v any, fill func(*object)) {
	m, ok := v.(wamp.Dict)
	if !ok {
		d.fail(path, "want an object, got %s", shown(v))
		return
	}
	o := &object{d: d, path: path, m: m}
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
	d.fail(join(path, unknown[0]), "unknown key (known: %s)", strings.Join(o.known, ", "))
}

// object is one JSON object being mapped: each method reads one key into a
// field, and records the key as known.
type object struct {
	d     *decoder
	path  string
	m     wamp.Dict
	known []string // the keys read, present or not
	found int      // how many of them were present
}

// get returns the value of key and its path; ok is false when the key is
// absent or null, which leave the field at its zero value.
func (o *object) get(key string) (v any, path string, ok bool) {
	o.known = append(o.known, key)
	v, ok = o.m[key]
	if ok {
		o.found++
	}
	return v, join(o.path, key), ok && v != nil
}

// typed reads key into dst when its value has dst's type, which want
// names for the error otherwise.
func typed[T any](o *object, key, want string, dst *T) {
	v, path, ok := o.get(key)
	if !ok {
		return
	}
	x, isT := v.(T)
	if !isT {
		o.d.fail(path, "want %s, got %s", want, shown(v))
		return
	}
	*dst = x
}

func (o *object) str(key string, dst *string) { typed(o, key, "a string", dst) }

func (o *object) bool(key string, dst *bool) { typed(o, key, "true or false", dst) }

// values reads a list of any JSON values (an argument's enum), as parsed.
func (o *object) values(key string, dst *[]any) { typed(o, key, "a list", dst) }

// dict reads an object whose keys are free (authextra).
func (o *object) dict(key string, dst *wamp.Dict) { typed(o, key, "an object", dst) }

func (o *object) float(key string, dst *float64) {
	v, path, ok := o.get(key)
	if !ok {
		return
	}
	if f, isNum := number(v); isNum {
		*dst = f
		return
	}
	o.d.fail(path, "want a number, got %s", shown(v))
}

// floatPtr reads a number whose absence means a default other than 0.
func (o *object) floatPtr(key string, dst **float64) {
	f := math.NaN() // no JSON number reads as NaN: still NaN means absent
	o.float(key, &f)
	if !math.IsNaN(f) {
		*dst = &f
	}
}

func (o *object) int(key string, dst *int) {
	v, path, ok := o.get(key)
	if !ok {
		return
	}
	if i, ok := integer(o.d, path, v, math.MinInt, math.MaxInt); ok {
		*dst = int(i)
	}
}

// uint32Ptr reads an integer from 0 to 4294967295 that may be absent.
func (o *object) uint32Ptr(key string, dst **uint32) {
	v, path, ok := o.get(key)
	if !ok {
		return
	}
	if i, ok := integer(o.d, path, v, 0, math.MaxUint32); ok {
		u := uint32(i)
		*dst = &u
	}
}

// duration reads a non-negative duration string in Go syntax ("1.5s").
func (o *object) duration(key string, dst *Duration) {
	v, path, ok := o.get(key)
	if !ok {
		return
	}
	s, isStr := v.(string)
	if !isStr {
		o.d.fail(path, "want a duration string such as \"10s\", got %s", shown(v))
		return
	}
	dur, err := time.ParseDuration(s)
	switch {
	case err != nil:
		o.d.fail(path, "bad duration %s (want e.g. \"500ms\", \"10s\", \"1m\")", shown(s))
	case dur < 0:
		o.d.fail(path, "negative duration %s", shown(s))
	default:
		*dst = Duration(dur)
	}
}

// strings reads a list of strings.
func (o *object) strings(key string, dst *[]string) {
	v, path, ok := o.get(key)
	if !ok {
		return
	}
	l, isList := v.(wamp.List)
	if !isList {
		o.d.fail(path, "want a list of strings, got %s", shown(v))
		return
	}
	out := make([]string, len(l))
	for i, e := range l {
		s, isStr := e.(string)
		if !isStr {
			o.d.fail(path+"["+strconv.Itoa(i)+"]", "want a string, got %s", shown(e))
			return
		}
		out[i] = s
	}
	*dst = out
}

// object reads a nested object of known keys with fill.
func (o *object) object(key string, fill func(*object)) {
	v, path, ok := o.get(key)
	if !ok {
		return
	}
	o.d.object(path, v, fill)
}

// list reads a list of objects: alloc is called with its length, then elem
// maps each element.
func (o *object) list(key string, alloc func(n int), elem func(i int, e *object)) {
	v, path, ok := o.get(key)
	if !ok {
		return
	}
	l, isList := v.(wamp.List)
	if !isList {
		o.d.fail(path, "want a list of objects, got %s", shown(v))
		return
	}
	alloc(len(l))
	for i, e := range l {
		o.d.object(path+"["+strconv.Itoa(i)+"]", e, func(eo *object) { elem(i, eo) })
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
func integer(d *decoder, path string, v any, lo, hi int64) (int64, bool) {
	var i int64
	switch x := v.(type) {
	case int64:
		i = x
	case uint64:
		d.fail(path, "%d is out of range (%d to %d)", x, lo, hi)
		return 0, false
	case float64:
		if x != math.Trunc(x) {
			d.fail(path, "want an integer, got %s", shown(v))
			return 0, false
		}
		if x < -1<<53 || x > 1<<53 {
			d.fail(path, "%s is out of range (%d to %d)", shown(v), lo, hi)
			return 0, false
		}
		i = int64(x)
	default:
		d.fail(path, "want an integer, got %s", shown(v))
		return 0, false
	}
	if i < lo || i > hi {
		d.fail(path, "%d is out of range (%d to %d)", i, lo, hi)
		return 0, false
	}
	return i, true
}

// shown describes a parsed JSON value for an error message: strings quoted
// and cut after 40 bytes, numbers as numbers, containers by their kind.
func shown(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			return strconv.Quote(x[:40]) + "..."
		}
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return describe(v)
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
