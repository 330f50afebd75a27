package minirouter

import "github.com/edgewamp/edgewamp/wamp"

// Option readers for the options and details of client messages, on top of
// the wamp.Opt helpers: an absent (or null) key gives the default with ok
// true, and a key holding the wrong kind of value gives ok false, so that
// the caller can answer wamp.error.invalid_argument.

func optBool(d wamp.Dict, key string, def bool) (bool, bool) {
	if v, present := d[key]; !present || v == nil {
		return def, true
	}
	return wamp.OptBool(d, key)
}

func optString(d wamp.Dict, key string, def string) (string, bool) {
	if v, present := d[key]; !present || v == nil {
		return def, true
	}
	return wamp.OptString(d, key)
}

// optInt also refuses negative values.
func optInt(d wamp.Dict, key string, def int64) (int64, bool) {
	if v, present := d[key]; !present || v == nil {
		return def, true
	}
	n, ok := wamp.OptInt(d, key)
	return n, ok && n >= 0
}

// optIDs returns nil for an absent key and a non-nil slice for a list.
func optIDs(d wamp.Dict, key string) ([]wamp.ID, bool) {
	if v, present := d[key]; !present || v == nil {
		return nil, true
	}
	return wamp.OptIDs(d, key)
}

// optStrings returns nil for an absent key and a non-nil slice for a list.
func optStrings(d wamp.Dict, key string) ([]string, bool) {
	if v, present := d[key]; !present || v == nil {
		return nil, true
	}
	return wamp.OptStrings(d, key)
}
