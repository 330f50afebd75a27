//go:build !edgewamp_nocbor

package wamp

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// cborDecodeValue decodes the item at the start of b with the own decoder
// and returns how many bytes it read.
func cborDecodeValue(b []byte) (any, int, error) {
	r := cborReader{b: b}
	v, err := r.value(0)
	if _, ok := v.(jsUndefined); ok {
		v = undefinedMark{}
	}
	return v, r.i, err
}

// cborWireTests cover every major type, definite and indefinite lengths,
// and what the decoder refuses (want nil with wantErr).
var cborWireTests = []struct {
	name    string
	hex     string
	want    any
	wantErr bool
}{
	{name: "uint 0", hex: "00", want: int64(0)},
	{name: "uint 23", hex: "17", want: int64(23)},
	{name: "uint8", hex: "18ff", want: int64(255)},
	{name: "uint8 not shortest", hex: "1801", want: int64(1)},
	{name: "uint16", hex: "19ffff", want: int64(65535)},
	{name: "uint32", hex: "1affffffff", want: int64(math.MaxUint32)},
	{name: "uint64 max int64", hex: "1b7fffffffffffffff", want: int64(math.MaxInt64)},
	{name: "uint64 above int64", hex: "1bffffffffffffffff", want: uint64(math.MaxUint64)},
	{name: "negint -1", hex: "20", want: int64(-1)},
	{name: "negint -24", hex: "37", want: int64(-24)},
	{name: "negint -256", hex: "38ff", want: int64(-256)},
	{name: "negint min int64", hex: "3b7fffffffffffffff", want: int64(math.MinInt64)},
	{name: "negint below int64", hex: "3b8000000000000000", wantErr: true},
	{name: "bytes", hex: "43010203", want: []byte{1, 2, 3}},
	{name: "bytes empty", hex: "40", want: []byte{}},
	{name: "bytes indefinite", hex: "5f42010241035f" + "ff", wantErr: true}, // a nested indefinite chunk
	{name: "bytes indefinite chunks", hex: "5f4201024103ff", want: []byte{1, 2, 3}},
	{name: "bytes indefinite empty", hex: "5fff", want: []byte{}},
	{name: "bytes indefinite text chunk", hex: "5f6161ff", wantErr: true},
	{name: "text", hex: "6461626364", want: "abcd"},
	{name: "text utf8", hex: "62c3a9", want: "é"},
	{name: "text invalid utf8", hex: "61ff", wantErr: true},
	{name: "text indefinite", hex: "7f616161626163ff", want: "abc"},
	{name: "text indefinite split code point", hex: "7f61c361a9ff", wantErr: true},
	{name: "text indefinite bytes chunk", hex: "7f4161ff", wantErr: true},
	{name: "text beyond input", hex: "6561", wantErr: true},
	{name: "text uint64 length", hex: "7bffffffffffffffff61", wantErr: true},
	{name: "array", hex: "83010203", want: List{int64(1), int64(2), int64(3)}},
	{name: "array empty", hex: "80", want: List{}},
	{name: "array indefinite", hex: "9f0102ff", want: List{int64(1), int64(2)}},
	{name: "array indefinite empty", hex: "9fff", want: List{}},
	{name: "array indefinite unterminated", hex: "9f01", wantErr: true},
	{name: "array beyond input", hex: "9a7fffffff00", wantErr: true},
	{name: "map", hex: "a2616101616202", want: Dict{"a": int64(1), "b": int64(2)}},
	{name: "map empty", hex: "a0", want: Dict{}},
	{name: "map indefinite", hex: "bf616101ff", want: Dict{"a": int64(1)}},
	{name: "map indefinite odd", hex: "bf6161ff", wantErr: true},
	{name: "map duplicate key", hex: "a2616101616102", wantErr: true},
	{name: "map integer key", hex: "a10101", wantErr: true},
	{name: "map bytes key", hex: "a1416101", wantErr: true},
	{name: "map indefinite text key", hex: "a17f6161ff01", want: Dict{"a": int64(1)}},
	{name: "map beyond input", hex: "ba7fffffff00", wantErr: true},
	{name: "false", hex: "f4", want: false},
	{name: "true", hex: "f5", want: true},
	{name: "null", hex: "f6", want: nil},
	{name: "undefined", hex: "f7", want: undefinedMark{}},
	{name: "undefined in a list is nil", hex: "82f701", want: List{nil, int64(1)}},
	{name: "undefined in a map is dropped", hex: "a26161f7616201", want: Dict{"b": int64(1)}},
	{name: "undefined key still counts as seen", hex: "a26161f7616101", wantErr: true},
	{name: "simple value 16", hex: "f0", wantErr: true},
	{name: "simple value 255", hex: "f8ff", wantErr: true},
	{name: "simple value 1-byte form below 32", hex: "f814", wantErr: true},
	{name: "float16 1.5", hex: "f93e00", want: 1.5},
	{name: "float16 subnormal", hex: "f90001", want: math.Ldexp(1, -24)},
	{name: "float16 -inf", hex: "f9fc00", want: math.Inf(-1)},
	{name: "float32 1.5", hex: "fa3fc00000", want: 1.5},
	{name: "float64 1.5", hex: "fb3ff8000000000000", want: 1.5},
	{name: "float64 cut short", hex: "fb3ff8", wantErr: true},
	{name: "tag 1", hex: "c11a514b67b0", wantErr: true},
	{name: "self-describe tag", hex: "d9d9f780", wantErr: true},
	{name: "bignum tag", hex: "c249010000000000000000", wantErr: true},
	{name: "reserved additional information", hex: "1c", wantErr: true},
	{name: "reserved float width", hex: "fc", wantErr: true},
	{name: "lone break", hex: "ff", wantErr: true},
	{name: "indefinite uint", hex: "1f", wantErr: true},
	{name: "indefinite negint", hex: "3f", wantErr: true},
	{name: "uint cut short", hex: "1aff", wantErr: true},
	{name: "empty input", hex: "", wantErr: true},
}

func TestCBORWireDecode(t *testing.T) {
	for _, tt := range cborWireTests {
		t.Run(tt.name, func(t *testing.T) {
			b := unhex(t, strings.ReplaceAll(tt.hex, " ", ""))
			got, n, err := cborDecodeValue(b)
			if tt.wantErr {
				if err == nil || !errors.Is(err, ErrProtocolViolation) {
					t.Fatalf("%x: got %#v, %v; want a protocol violation", b, got, err)
				}
				return
			}
			if err != nil || n != len(b) || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("%x: got %#v (%d bytes), %v; want %#v", b, got, n, err, tt.want)
			}
		})
	}
}

// TestCBORDepth holds both directions to 64 levels of nesting inside a
// field, as the other serializers.
func TestCBORDepth(t *testing.T) {
	nest := func(n int) []byte {
		return []byte(strings.Repeat("\x81", n) + "\x01")
	}
	if _, _, err := cborDecodeValue(nest(maxDepth)); err != nil {
		t.Errorf("%d levels: %v", maxDepth, err)
	}
	if _, _, err := cborDecodeValue(nest(maxDepth + 1)); !errors.Is(err, ErrProtocolViolation) {
		t.Errorf("%d levels: %v, want a protocol violation", maxDepth+1, err)
	}
	deep := List{int64(1)}
	for range maxDepth - 1 {
		deep = List{deep}
	}
	m := &Publish{Request: 1, Options: Dict{}, Topic: "t", Payload: Payload{Args: deep}}
	if _, err := CBOR.AppendMessage(nil, m); err != nil {
		t.Errorf("encoding %d levels: %v", maxDepth, err)
	}
	m.Payload.Args = List{deep}
	if b, err := CBOR.AppendMessage(nil, m); err == nil {
		t.Errorf("encoding %d levels: %x, want an error", maxDepth+1, b)
	}
	// The same in a message: [16, 1, {}, "t", [[...[1]...]]] with the Args
	// list at level 1.
	msg := append(unhex(t, "851001a06174"), nest(maxDepth)...)
	if _, err := CBOR.DecodeMessage(msg); err != nil {
		t.Errorf("message with %d levels: %v", maxDepth, err)
	}
	msg = append(unhex(t, "851001a06174"), nest(maxDepth+1)...)
	if _, err := CBOR.DecodeMessage(msg); !errors.Is(err, ErrProtocolViolation) {
		t.Errorf("message with %d levels: %v, want a protocol violation", maxDepth+1, err)
	}
}

// TestCBORMessages decodes messages in the shapes other encoders write:
// indefinite-length arrays and maps, IDs as floats, and refuses malformed
// message arrays.
func TestCBORMessages(t *testing.T) {
	pub := &Publish{Request: 1, Options: Dict{"acknowledge": true}, Topic: "t", Payload: Payload{Args: List{"x"}}}
	tests := []struct {
		name string
		hex  string
		want Message
	}{
		{"definite", "851001a16b61636b6e6f776c65646765f561748161" + "78", pub},
		{"indefinite message and map", "9f1001bf6b61636b6e6f776c65646765f5ff61749f6178ffff", pub},
		{"ID as a float", "85fb4030000000000000f93c00a16b61636b6e6f776c65646765f561748161" + "78", pub},
		{"ID as a fractional float", "8510f93e00a06174", nil},
		{"negative ID", "851020a06174", nil},
		{"ID above 2^53", "85101b0020000000000001a06174", nil},
		{"empty message", "80", nil},
		{"empty indefinite message", "9fff", nil},
		{"not an array", "a0", nil},
		{"unterminated indefinite message", "9f1001a06174", nil},
		{"trailing data", "831001a000", nil},
		{"too many fields", "9f11010203ff", nil},
		{"URI as bytes", "841001a04174", nil},
		{"unknown code", "8218ff01", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := unhex(t, tt.hex)
			got, err := CBOR.DecodeMessage(b)
			if tt.want == nil {
				if err == nil || !errors.Is(err, ErrProtocolViolation) {
					t.Fatalf("%x: got %#v, %v; want a protocol violation", b, got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("%x: got %#v, %v; want %#v", b, got, err, tt.want)
			}
		})
	}
}

// TestCBOREncode checks the bytes of values whose encoding the CBOR
// specification fixes (RFC 8949 appendix A) and the choices made here.
func TestCBOREncode(t *testing.T) {
	tests := []struct {
		v   any
		hex string
	}{
		{int64(0), "00"}, {int64(23), "17"}, {int64(24), "1818"}, {int64(1000), "1903e8"},
		{int64(1000000), "1a000f4240"}, {uint64(18446744073709551615), "1bffffffffffffffff"},
		{int64(-1), "20"}, {int64(-1000), "3903e7"}, {int64(math.MinInt64), "3b7fffffffffffffff"},
		{1.5, "fb3ff8000000000000"}, {float32(1.5), "fa3fc00000"},
		{false, "f4"}, {true, "f5"}, {nil, "f6"},
		{"", "60"}, {"IETF", "6449455446"}, {"\u00fc", "62c3bc"}, {"a\xffb", "65" + "61efbfbd62"},
		{[]byte{1, 2, 3, 4}, "4401020304"}, {[]byte{}, "40"},
		{List{int64(1), List{int64(2), int64(3)}}, "8201820203"},
		{Dict{"b": int64(1), "aa": int64(2), "a": int64(3)}, "a3616103616201626161" + "02"},
		{URI("a.b"), "63612e62"}, {ID(1 << 53), "1b0020000000000000"},
		{[]string{"a"}, "816161"}, {uintptr(24), "1818"}, {map[string]string{"bb": "x", "a": "y"}, "a2616161796262626178"},
	}
	for _, tt := range tests {
		got, err := appendCBORValue(nil, tt.v, 0)
		if want := unhex(t, tt.hex); err != nil || string(got) != string(want) {
			t.Errorf("%#v: %x, %v; want %x", tt.v, got, err, want)
		}
	}
	if b, err := appendCBORValue(nil, Dict{"\xff": 1}, 0); err == nil {
		t.Errorf("a dict key that is not UTF-8 encoded as %x", b)
	}
}

// FuzzCBORDecode holds the decoder to never panicking, to errors that wrap
// ErrProtocolViolation, and to a stable re-encoding of what it accepts.
func FuzzCBORDecode(f *testing.F) {
	for _, b := range seedCorpus(f, CBOR) {
		f.Add(b)
	}
	for _, tt := range cborWireTests {
		f.Add(unhex(f, tt.hex))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, CBOR, b)
	})
}
