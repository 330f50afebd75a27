package main

import (
	"bytes"
	"math"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

func TestPrintPayload(t *testing.T) {
	tests := []struct {
		name string
		p    wamp.Payload
		want string
	}{
		{"no arguments", wamp.Payload{}, "[]"},
		{"arguments", wamp.Payload{Args: wamp.List{true, int64(-3), uint64(18446744073709551615), 21.5, "x", nil}},
			`[true,-3,18446744073709551615,21.5,"x",null]`},
		{"integral float keeps its point", wamp.Payload{Args: wamp.List{22.0, 1e21, 1e-7}}, `[22.0,1e+21,1e-07]`},
		{"strings as they are", wamp.Payload{Args: wamp.List{"a<b>&c", "line\nbreak \"q\" \\", "é"}},
			`["a<b>&c","line\nbreak \"q\" \\","é"]`},
		{"binary", wamp.Payload{Args: wamp.List{[]byte{1, 2}}}, `["\u0000AQI="]`},
		{"nested", wamp.Payload{Args: wamp.List{wamp.List{int64(1)}, wamp.Dict{"b": int64(2), "a": wamp.Dict{}}}},
			`[[1],{"a":{},"b":2}]`},
		{"kwargs", wamp.Payload{Args: wamp.List{int64(1)}, Kwargs: wamp.Dict{"unit": "C", "time": "t"}},
			`{"args":[1],"kwargs":{"time":"t","unit":"C"}}`},
		{"kwargs without args", wamp.Payload{Kwargs: wamp.Dict{"k": []byte{0}}}, `{"args":[],"kwargs":{"k":"\u0000AA=="}}`},
		{"not JSON", wamp.Payload{Args: wamp.List{math.NaN()}}, `"[NaN]"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			printPayload(&out, tt.p)
			if got := out.String(); got != tt.want+"\n" {
				t.Errorf("printPayload(%v) = %q, want %q", tt.p, got, tt.want+"\n")
			}
		})
	}
}
