package wamp

import (
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// unhex decodes hex with spaces and "|" separators allowed for annotation.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.NewReplacer(" ", "", "|", "", "\n", "", "\t", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func TestMsgPackGolden(t *testing.T) {
	tests := []struct {
		m    Message
		want string // annotated hex
	}{
		{&Publish{Request: 1, Topic: "com.example.topic", Payload: Payload{Args: List{1, "hello"}}},
			// fixarray(5) | 16 | 1 | fixmap(0) | fixstr(17) "com.example.topic" | fixarray(2) 1 fixstr(5) "hello"
			"95 | 10 | 01 | 80 | b1 636f6d2e6578616d706c652e746f706963 | 92 01 a5 68656c6c6f"},
		{&Welcome{Session: 9129137332, Details: Dict{"b": []byte{1, 2}, "a": float32(1.5)}},
			// fixarray(3) | 2 | uint64 9129137332 | fixmap(2) "a": float32 1.5, "b": bin8(2) 01 02
			"93 | 02 | cf 00000002202394b4 | 82 a161 ca3fc00000 a162 c402 0102"},
		{&Unsubscribed{Request: 300}, "92 | 23 | cd 012c"},
		{&Call{Request: 2, Procedure: "p", Payload: Payload{Kwargs: Dict{"x": -1}}},
			// [48, 2, {}, "p", [], {"x": -1}]
			"96 | 30 | 02 | 80 | a170 | 90 | 81 a178 ff"},
		{&Yield{Request: 3, Payload: Payload{Args: List{int64(-200), uint64(math.MaxUint64), 0.5, nil, true, []string{"s"}}}},
			"94 | 46 | 03 | 80 | 96 d1ff38 cfffffffffffffffff cb3fe0000000000000 c0 c3 91a173"},
	}
	for _, tt := range tests {
		want := unhex(t, tt.want)
		b, err := MsgPack.AppendMessage(nil, tt.m)
		if err != nil {
			t.Errorf("%#v: %v", tt.m, err)
			continue
		}
		if string(b) != string(want) {
			t.Errorf("%s:\n got %x\nwant %x", tt.m.Type(), b, want)
		}
	}
}

func TestMsgPackDecodeValues(t *testing.T) {
	tests := []struct {
		hex  string
		want any
	}{
		{"7f", int64(127)},
		{"e0", int64(-32)},
		{"cc ff", int64(255)},
		{"cd ffff", int64(65535)},
		{"ce ffffffff", int64(math.MaxUint32)},
		{"cf 7fffffffffffffff", int64(math.MaxInt64)},
		{"cf 8000000000000000", uint64(1 << 63)},
		{"d0 80", int64(-128)},
		{"d1 8000", int64(math.MinInt16)},
		{"d2 80000000", int64(math.MinInt32)},
		{"d3 8000000000000000", int64(math.MinInt64)},
		{"ca 3fc00000", 1.5},
		{"cb 3ff8000000000000", 1.5},
		{"a0", ""},
		{"d9 01 61", "a"},
		{"da 0001 61", "a"},
		{"db 00000001 61", "a"},
		{"c4 00", []byte{}},
		{"c5 0001 ff", []byte{0xff}},
		{"c6 00000001 00", []byte{0}},
		{"90", List{}},
		{"dc 0001 c0", List{nil}},
		{"dd 00000001 c2", List{false}},
		{"80", Dict{}},
		{"de 0001 a161 c3", Dict{"a": true}},
		{"df 00000001 a161 01", Dict{"a": int64(1)}},
	}
	for _, tt := range tests {
		// [16, 1, {}, "t", [value]]
		msg := unhex(t, "95 10 01 80 a174 91"+tt.hex)
		m, err := MsgPack.DecodeMessage(msg)
		if err != nil {
			t.Errorf("%s: %v", tt.hex, err)
			continue
		}
		got := m.(*Publish).Args[0]
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.hex, got, tt.want)
		}
	}
}

func TestMsgPackDecodeIDWidths(t *testing.T) {
	for _, h := range []string{"05", "cc05", "cd0005", "ce00000005", "cf0000000000000005", "d005", "d10005", "d200000005", "d30000000000000005",
		"ca40a00000", "cb4014000000000000"} { // and floats with an integral value
		m, err := MsgPack.DecodeMessage(unhex(t, "93 11 "+h+" 01")) // [PUBLISHED, 5, 1]
		if err != nil {
			t.Errorf("%s: %v", h, err)
			continue
		}
		if p := m.(*Published); p.Request != 5 || p.Publication != 1 {
			t.Errorf("%s: got %#v", h, p)
		}
	}
}

func TestMsgPackDecodeErrors(t *testing.T) {
	deep := strings.Repeat("91", maxDepth) + "c0"
	tests := []string{
		"", "c0", "80", "90", "91", "91 a13136", "91 10", "92 ff 01", "91 cd 0100",
		"95 10 01 80 a174", // array says 5, has 4
		"94 10 01 80 a174 00",
		"94 10 01 80 c4 01 74",               // topic as bin
		"94 10 01 90 a1 74",                  // options a list
		"94 10 cb 3ff8000000000000 80 a1 74", // request 1.5
		"94 10 cb 4340000000000002 80 a1 74", // request 2^53+4 as a float
		"94 10 cb bff0000000000000 80 a1 74", // request -1.0
		"94 10 cb 7ff8000000000000 80 a1 74", // request NaN
		"94 10 ff 80 a1 74",                  // request -1
		"94 10 cf 0020000000000001 80 a1 74", // request 2^53+1
		"94 10 d3 ffffffffffffffff 80 a1 74",
		"95 10 01 80 a174 80",    // args a dict
		"96 10 01 80 a174 90 90", // kwargs a list
		"97 10 01 80 a174 90 80 01",
		"95 10 01 80 a174 91 d4 01 00",    // fixext
		"95 10 01 80 a174 91 c7 01 01 00", // ext8
		"95 10 01 80 a174 91 c1",          // never used
		"95 10 01 80 a174 91 db ffffffff", // huge str
		"95 10 01 80 a174 91 c6 ffffffff", // huge bin
		"95 10 01 80 a174 91 dd ffffffff", // huge array
		"95 10 01 80 a174 91 df ffffffff", // huge map
		"95 10 01 80 a174 91 81 01 01",    // int key
		"95 10 01 80 a174 91 " + deep,
		"94 10 01 80 a174 00", // trailing byte
		"dc 0004 10 01 80",
		"93 23 01 90",
		"91 00",
	}
	for _, h := range tests {
		m, err := MsgPack.DecodeMessage(unhex(t, h))
		if err == nil {
			t.Errorf("%s: no error, got %#v", h, m)
			continue
		}
		if !errors.Is(err, ErrProtocolViolation) {
			t.Errorf("%s: error %v does not wrap ErrProtocolViolation", h, err)
		}
	}
}
