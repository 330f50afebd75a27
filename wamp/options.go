package wamp

import "math"

// The Opt helpers read one entry of an Options or Details dict (or of
// keyword arguments), whatever serializer decoded it: a JSON number and a
// MessagePack integer of any width both read as an integer. Each returns the
// value and whether the key is present with a usable value of the right kind.
// They are safe for concurrent use as long as nobody writes d meanwhile.

// OptString returns d[key] as a string.
func OptString(d Dict, key string) (string, bool) {
	switch v := d[key].(type) {
	case string:
		return v, true
	case URI:
		return string(v), true
	}
	return "", false
}

// OptURI returns d[key] as a URI (a string; its syntax is not checked).
func OptURI(d Dict, key string) (URI, bool) {
	s, ok := OptString(d, key)
	return URI(s), ok
}

// OptBool returns d[key] as a bool.
func OptBool(d Dict, key string) (bool, bool) {
	v, ok := d[key].(bool)
	return v, ok
}

// OptInt returns d[key] as an int64. Any Go integer type is accepted when
// its value fits, and a float when it has an integer value that fits (JSON
// peers may send 1000.0 for 1000).
func OptInt(d Dict, key string) (int64, bool) { return toInt64(d[key]) }

// OptID returns d[key] as an ID (see [ToID]).
func OptID(d Dict, key string) (ID, bool) { return ToID(d[key]) }

// OptList returns d[key] as a List; a []string is converted.
func OptList(d Dict, key string) (List, bool) {
	switch v := d[key].(type) {
	case List:
		return v, true
	case []string:
		l := make(List, len(v))
		for i, s := range v {
			l[i] = s
		}
		return l, true
	}
	return nil, false
}

// OptDict returns d[key] as a Dict; a map[string]string is converted.
func OptDict(d Dict, key string) (Dict, bool) {
	switch v := d[key].(type) {
	case Dict:
		return v, true
	case map[string]string:
		out := make(Dict, len(v))
		for k, s := range v {
			out[k] = s
		}
		return out, true
	}
	return nil, false
}

// OptIDs returns d[key] as a list of IDs (for options such as "exclude" and
// "eligible"): ok is false when the entry is absent, not a list, or holds
// anything but IDs.
func OptIDs(d Dict, key string) ([]ID, bool) {
	switch v := d[key].(type) {
	case []ID:
		return v, true
	case List:
		ids := make([]ID, len(v))
		for i, x := range v {
			id, ok := ToID(x)
			if !ok {
				return nil, false
			}
			ids[i] = id
		}
		return ids, true
	}
	return nil, false
}

// OptStrings returns d[key] as a list of strings (for options such as
// "exclude_authid"): ok is false when the entry is absent, not a list, or
// holds anything but strings.
func OptStrings(d Dict, key string) ([]string, bool) {
	switch v := d[key].(type) {
	case []string:
		return v, true
	case List:
		out := make([]string, len(v))
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

// ToID returns v as an ID when it is an integer (of any Go integer type, or
// a float with an integer value) in [0, MaxID]. Zero is returned with ok
// true: callers that need a valid ID check for 0. It is safe for concurrent use.
func ToID(v any) (ID, bool) {
	var u uint64
	switch v := v.(type) {
	case ID:
		u = uint64(v)
	case uint64:
		u = v
	case uint:
		u = uint64(v)
	default:
		n, ok := toInt64(v)
		if !ok || n < 0 {
			return 0, false
		}
		u = uint64(n)
	}
	if u > uint64(MaxID) {
		return 0, false
	}
	return ID(u), true
}

// toInt64 converts any Go integer, or a float with an integer value, to int64.
func toInt64(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case int16:
		return int64(v), true
	case int8:
		return int64(v), true
	case uint64:
		return int64(v), v <= math.MaxInt64
	case uint:
		return int64(v), uint64(v) <= math.MaxInt64
	case uint32:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint8:
		return int64(v), true
	case ID:
		return int64(v), uint64(v) <= math.MaxInt64
	case float64:
		return floatToInt64(v)
	case float32:
		return floatToInt64(float64(v))
	}
	return 0, false
}

func floatToInt64(f float64) (int64, bool) {
	// -2^63 is exact in float64; 2^63 is not representable in int64.
	if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}
