//go:build !edgewamp_nocbor && edgewamp_nomarshal

package wamp

import "fmt"

// With the edgewamp_nomarshal tag, Go types outside the value model are an
// encoding error naming the type, as in the other serializers.
func appendCBOROther(dst []byte, v any, _ int) ([]byte, error) {
	return dst, fmt.Errorf("wamp: cbor: cannot encode %T (built with edgewamp_nomarshal)", v)
}
