package minirouter

import (
	"math"

	"github.com/edgewamp/edgewamp/wamp"
)

// Option readers for the options and details dictionaries of client
// messages. Decoded integers arrive as int64, uint64 or float64 depending on
// the serializer; each reader accepts them all and reports whether the key
// held a value of the right kind.

// optBool returns d[key] as a bool; absent or another type is (def, true)
// and (def, false) respectively.
func optBool(d wamp.Dict, key string, def bool) (bool, bool) {
	v, present := d[key]
	if !present || v == nil {
		return def, true
	}
	b, ok := v.(bool)
	if !ok {
		return def, false
	}
	return b, true
}

// optString returns d[key] as a string, like optBool.
func optString(d wamp.Dict, key string, def string) (string, bool) {
	v, present := d[key]
	if !present || v == nil {
		return def, true
	}
	s, ok := v.(string)
	if !ok {
		return def, false
	}
	return s, true
}

// optInt returns d[key] as a non-negative integer, like optBool.
func optInt(d wamp.Dict, key string, def int64) (int64, bool) {
	v, present := d[key]
	if !present || v == nil {
		return def, true
	}
	n, ok := toUint(v)
	if !ok || n > math.MaxInt64 {
		return def, false
	}
	return int64(n), true
}

// toUint converts a decoded integer (or integral float) to uint64.
func toUint(v any) (uint64, bool) {
	switch n := v.(type) {
	case int64:
		return uint64(n), n >= 0
	case uint64:
		return n, true
	case int:
		return uint64(n), n >= 0
	case float64:
		if n >= 0 && n <= 1<<63 && n == math.Trunc(n) {
			return uint64(n), true
		}
	}
	return 0, false
}

// optIDs returns d[key] as a list of IDs; absent is (nil, true).
func optIDs(d wamp.Dict, key string) ([]wamp.ID, bool) {
	v, present := d[key]
	if !present || v == nil {
		return nil, true
	}
	l, ok := v.(wamp.List)
	if !ok {
		return nil, false
	}
	ids := make([]wamp.ID, len(l))
	for i, e := range l {
		n, ok := toUint(e)
		if !ok {
			return nil, false
		}
		ids[i] = wamp.ID(n)
	}
	return ids, true
}

// optStrings returns d[key] as a list of strings; absent is (nil, true).
func optStrings(d wamp.Dict, key string) ([]string, bool) {
	v, present := d[key]
	if !present || v == nil {
		return nil, true
	}
	l, ok := v.(wamp.List)
	if !ok {
		return nil, false
	}
	ss := make([]string, len(l))
	for i, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		ss[i] = s
	}
	return ss, true
}
