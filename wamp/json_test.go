package wamp

import (
	"errors"
	"math"
	"reflect"
	"testing"
)

func nanValue() float64 { return math.NaN() }

func TestJSONGolden(t *testing.T) {
	tests := []struct {
		m    Message
		want string
	}{
		{&Publish{Request: 1, Topic: "com.example.topic", Payload: Payload{Args: List{1, "hello"}}},
			`[16,1,{},"com.example.topic",[1,"hello"]]`},
		{&Publish{Request: 1, Options: Dict{"b": true, "a": int8(-1)}, Topic: "t", Payload: Payload{Kwargs: Dict{"k": 1.0}}},
			`[16,1,{"a":-1,"b":true},"t",[],{"k":1.0}]`},
		{&Hello{Realm: "realm1", Details: Dict{"roles": Dict{"caller": Dict{}}}},
			`[1,"realm1",{"roles":{"caller":{}}}]`},
		{&Unsubscribed{Request: 5}, `[35,5]`},
		{&Result{Request: 7, Details: nil, Payload: Payload{Args: List{}}}, `[50,7,{}]`},
		{&Call{Request: 2, Procedure: "p", Payload: Payload{Args: List{[]byte("\x00\x01hi"), "é\x01\"\\\n", "\xff"}}},
			`[48,2,{},"p",["\u0000AAFoaQ==","é\u0001\"\\\n","\ufffd"]]`},
		{&Call{Request: 2, Procedure: "p", Payload: Payload{Args: List{
			float32(1.5), 1e21, 1e-7, math.Copysign(0, -1), uint64(math.MaxUint64), int64(math.MinInt64), []string{"a"}, map[string]string{"y": "z", "x": "w"}, ID(5), URI("u")}}},
			`[48,2,{},"p",[1.5,1e+21,1e-07,-0.0,18446744073709551615,-9223372036854775808,["a"],{"x":"w","y":"z"},5,"u"]]`},
	}
	for _, tt := range tests {
		b, err := JSON.AppendMessage(nil, tt.m)
		if err != nil {
			t.Errorf("%#v: %v", tt.m, err)
			continue
		}
		if string(b) != tt.want {
			t.Errorf("got  %s\nwant %s", b, tt.want)
		}
	}
}

func TestJSONDecodeValues(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{`1`, int64(1)},
		{`-0`, int64(0)},
		{`9223372036854775807`, int64(math.MaxInt64)},
		{`9223372036854775808`, uint64(1 << 63)},
		{`18446744073709551616`, 18446744073709551616.0},
		{`-9223372036854775808`, int64(math.MinInt64)},
		{`-9223372036854775809`, -9223372036854775809.0},
		{`1.5e3`, 1500.0},
		{`1E-2`, 0.01},
		{`1e-400`, 0.0},
		{`"a\/b\u00e9\ud83d\ude00"`, "a/bé😀"},
		{`"\ud83d x"`, "\ufffd x"},
		{`"\u0000"`, []byte{}},
		{`"\u0000aGk="`, []byte("hi")},
		{`{"a":[null,true,false,{}],"a":1}`, Dict{"a": int64(1)}},
		{" [ ] ", List{}},
	}
	for _, tt := range tests {
		msg := `[16,1,{},"t",[` + tt.in + `]]`
		m, err := JSON.DecodeMessage([]byte(msg))
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		got := m.(*Publish).Args[0]
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestJSONDecodeErrors(t *testing.T) {
	deep := ""
	for range maxDepth {
		deep += "["
	}
	for range maxDepth {
		deep += "]"
	}
	tests := []string{
		``, ` `, `{}`, `[]`, `[16`, `["16"]`, `[16.0,1,{},"t"]`, `[-1]`, `[256]`, `[99,1]`, `[0]`,
		`[16,1,{},"t"`, `[16,1,{},"t"]]`, `[16,1,{},"t"] x`, `[16,1,{},"t",]`, `[16 1,{},"t"]`,
		`[16,1,{}]`, `[16,1,[],"t"]`, `[16,1,{},1]`, `[16,1,{},"t",{}]`, `[16,1,{},"t",[],[]]`,
		`[16,1,{},"t",[],{},1]`, `[16,9007199254740993,{},"t"]`, `[16,-1,{},"t"]`, `[16,1e2,{},"t"]`,
		`[16,1,{},"\u0000aGk="]`, `[16,1,{},"t",[01]]`, `[16,1,{},"t",[1.]]`, `[16,1,{},"t",[.5]]`,
		`[16,1,{},"t",[1e]]`, `[16,1,{},"t",[+1]]`, `[16,1,{},"t",[-]]`, `[16,1,{},"t",[1e999]]`,
		`[16,1,{},"t",[tru]]`, `[16,1,{},"t",[nul]]`, `[16,1,{},"t",[NaN]]`, `[16,1,{},"t",["a` + "\n" + `"]]`,
		`[16,1,{},"t",["\x"]]`, `[16,1,{},"t",["\u12"]]`, `[16,1,{},"t",["` + "\xff" + `"]]`,
		`[16,1,{},"t",["\u0000!!"]]`, `[16,1,{1:2},"t"]`, `[16,1,{"a"},"t"]`, `[16,1,{"a":1,},"t"]`,
		`[16,1,{"a":1 "b":2},"t"]`, `[16,1,{},"t",[1 2]]`, `[16,1,{},"t",["abc]]`, `[16,1,{},"t",[` + deep + `]]`,
		`[2,1,{}]` + "\x00", `[8,256,1,{},"e"]`, `[35,1,[]]`, `[35,1,{},1]`, `[6,{},"a",1]`,
	}
	for _, in := range tests {
		m, err := JSON.DecodeMessage([]byte(in))
		if err == nil {
			t.Errorf("%q: no error, got %#v", in, m)
			continue
		}
		if !errors.Is(err, ErrProtocolViolation) {
			t.Errorf("%q: error %v does not wrap ErrProtocolViolation", in, err)
		}
	}
}
