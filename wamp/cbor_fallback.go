//go:build !edgewamp_nocbor && !edgewamp_nomarshal

package wamp

import (
	"encoding/json"
	"fmt"
)

// appendCBOROther appends a Go type outside the value model as the value
// encoding/json gives it (a struct as a dict of its JSON field names), read
// back into the value model: the package has no CBOR reflection of its own.
// A json.RawMessage is taken as it is, once checked.
func appendCBOROther(dst []byte, v any, depth int) ([]byte, error) {
	b, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return dst, fmt.Errorf("wamp: cbor: encoding %T: %w", v, err)
		}
	}
	val, err := ParseJSON(b)
	if err != nil { // an encoding error, not the peer's protocol violation
		return dst, fmt.Errorf("wamp: cbor: encoding %T: %v", v, err)
	}
	return appendCBORValue(dst, val, depth)
}
