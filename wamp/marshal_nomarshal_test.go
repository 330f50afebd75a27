//go:build edgewamp_nomarshal

package wamp

import "testing"

// With edgewamp_nomarshal, a Go type outside the value model is an encoding
// error that names it; the value model still encodes.
func TestNoMarshalError(t *testing.T) {
	type point struct{ X int }
	tests := []struct {
		s    Serializer
		v    any
		want string
	}{
		{MsgPack, point{3}, "wamp: msgpack: cannot encode wamp.point (built with edgewamp_nomarshal)"},
		{JSON, point{3}, "wamp: json: cannot encode wamp.point (built with edgewamp_nomarshal)"},
		{MsgPack, map[string]int{}, "wamp: msgpack: cannot encode map[string]int (built with edgewamp_nomarshal)"},
		{JSON, []int{1}, "wamp: json: cannot encode []int (built with edgewamp_nomarshal)"},
	}
	for _, tt := range tests {
		m := &Publish{Request: 1, Topic: "t", Payload: Payload{Args: List{Dict{"p": tt.v}}}}
		b, err := tt.s.AppendMessage([]byte("ab"), m)
		if err == nil || err.Error() != tt.want || string(b) != "ab" {
			t.Errorf("%s %T: got %q, %v; want error %q", tt.s.Name(), tt.v, b, err, tt.want)
		}
		m.Args = List{Dict{"p": []string{"in", "the", "model"}}, URI("u"), int8(1)}
		if _, err := tt.s.AppendMessage(nil, m); err != nil {
			t.Errorf("%s: %v", tt.s.Name(), err)
		}
	}
}
