//go:build edgewamp_nomarshal

package wamp

import "fmt"

// With the edgewamp_nomarshal tag, Go types outside the value model (see
// [Dict]) are an encoding error naming the type, and the package links
// neither github.com/vmihailenco/msgpack/v5 nor encoding/json (the fallbacks
// of marshal_fallback.go).

func appendMsgPackOther(dst []byte, v any) ([]byte, error) {
	return dst, fmt.Errorf("wamp: msgpack: cannot encode %T (built with edgewamp_nomarshal)", v)
}

func appendJSONOther(dst []byte, v any) ([]byte, error) {
	return dst, fmt.Errorf("wamp: json: cannot encode %T (built with edgewamp_nomarshal)", v)
}
