//go:build !edgewamp_nomarshal

package wamp

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
)

// The fallbacks for Go types outside the value model (see [Dict]): structs,
// maps of other types, json.RawMessage... They go through reflection, off the
// per-message path of messages in the value model. Builds with the
// edgewamp_nomarshal tag leave them out (marshal_nomarshal.go), and with them
// github.com/vmihailenco/msgpack/v5 and encoding/json.

// appendMsgPackOther appends msgpack.Marshal(v).
func appendMsgPackOther(dst []byte, v any) ([]byte, error) {
	b, err := msgpack.Marshal(v)
	if err != nil {
		return dst, fmt.Errorf("wamp: msgpack: encoding %T: %w", v, err)
	}
	return append(dst, b...), nil
}

// appendJSONOther appends a json.RawMessage as it is (once checked) and any
// other value as json.Marshal writes it.
func appendJSONOther(dst []byte, v any) ([]byte, error) {
	if raw, ok := v.(json.RawMessage); ok {
		if !json.Valid(raw) {
			return dst, errors.New("wamp: json: invalid json.RawMessage")
		}
		return append(dst, raw...), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, fmt.Errorf("wamp: json: encoding %T: %w", v, err)
	}
	return append(dst, b...), nil
}
