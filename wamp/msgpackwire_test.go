package wamp

import (
	"errors"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// undefinedMark stands for JavaScript's undefined decoded at the top level.
type undefinedMark struct{}

// newDecodeValue decodes the value at the start of b with the own decoder and
// returns how many bytes it read.
func newDecodeValue(b []byte) (any, int, error) {
	r := mpReader{b: b}
	v, err := r.value(0)
	if _, ok := v.(jsUndefined); ok {
		v = undefinedMark{}
	}
	return v, r.i, err
}

// wireDecodeTests cover every format family: each value whole (want), and
// cut short or with a length beyond the input (wantErr).
var wireDecodeTests = []struct {
	name    string
	hex     string
	want    any
	wantErr bool
}{
	{name: "positive fixint 0", hex: "00", want: int64(0)},
	{name: "positive fixint 127", hex: "7f", want: int64(127)},
	{name: "negative fixint -1", hex: "ff", want: int64(-1)},
	{name: "negative fixint -32", hex: "e0", want: int64(-32)},
	{name: "uint8", hex: "cc ff", want: int64(255)},
	{name: "uint8 small", hex: "cc 01", want: int64(1)},
	{name: "uint16", hex: "cd ffff", want: int64(65535)},
	{name: "uint32", hex: "ce ffffffff", want: int64(math.MaxUint32)},
	{name: "uint64 int64 range", hex: "cf 7fffffffffffffff", want: int64(math.MaxInt64)},
	{name: "uint64 above int64", hex: "cf 8000000000000000", want: uint64(1 << 63)},
	{name: "uint64 max", hex: "cf ffffffffffffffff", want: uint64(math.MaxUint64)},
	{name: "int8", hex: "d0 80", want: int64(-128)},
	{name: "int8 positive", hex: "d0 7f", want: int64(127)},
	{name: "int16", hex: "d1 8000", want: int64(math.MinInt16)},
	{name: "int32", hex: "d2 80000000", want: int64(math.MinInt32)},
	{name: "int64", hex: "d3 8000000000000000", want: int64(math.MinInt64)},
	{name: "int64 positive", hex: "d3 0000000000000005", want: int64(5)},
	{name: "float32", hex: "ca 3fc00000", want: 1.5},
	{name: "float64", hex: "cb 3ff8000000000000", want: 1.5},
	{name: "float64 -0", hex: "cb 8000000000000000", want: math.Copysign(0, -1)},
	{name: "nil", hex: "c0", want: nil},
	{name: "false", hex: "c2", want: false},
	{name: "true", hex: "c3", want: true},
	{name: "fixstr empty", hex: "a0", want: ""},
	{name: "fixstr", hex: "a3 616263", want: "abc"},
	{name: "fixstr 31", hex: "bf" + strings.Repeat("78", 31), want: strings.Repeat("x", 31)},
	{name: "str8", hex: "d9 01 61", want: "a"},
	{name: "str16", hex: "da 0001 61", want: "a"},
	{name: "str32", hex: "db 00000001 61", want: "a"},
	{name: "str not UTF-8 kept", hex: "a1 ff", want: "\xff"},
	{name: "bin8 empty", hex: "c4 00", want: []byte{}},
	{name: "bin8", hex: "c4 02 0102", want: []byte{1, 2}},
	{name: "bin16", hex: "c5 0001 ff", want: []byte{0xff}},
	{name: "bin32", hex: "c6 00000001 00", want: []byte{0}},
	{name: "fixarray empty", hex: "90", want: List{}},
	{name: "fixarray", hex: "92 01 a161", want: List{int64(1), "a"}},
	{name: "array16", hex: "dc 0001 c0", want: List{nil}},
	{name: "array32", hex: "dd 00000001 c2", want: List{false}},
	{name: "fixmap empty", hex: "80", want: Dict{}},
	{name: "fixmap", hex: "82 a162 02 a161 01", want: Dict{"a": int64(1), "b": int64(2)}},
	{name: "fixmap duplicate key, last wins", hex: "82 a161 01 a161 02", want: Dict{"a": int64(2)}},
	{name: "map16", hex: "de 0001 a161 c3", want: Dict{"a": true}},
	{name: "map32", hex: "df 00000001 a161 01", want: Dict{"a": int64(1)}},
	{name: "map key str8", hex: "81 d901 61 01", want: Dict{"a": int64(1)}},
	{name: "JS undefined", hex: "d4 00 00", want: undefinedMark{}},
	{name: "JS undefined in a list", hex: "92 d40000 01", want: List{nil, int64(1)}},
	{name: "JS undefined in a map", hex: "82 a161 d40000 a162 01", want: Dict{"b": int64(1)}},
	{name: "nested", hex: "91 81 a161 91 c4 01 07", want: List{Dict{"a": List{[]byte{7}}}}},

	{name: "empty input", hex: "", wantErr: true},
	{name: "never used code", hex: "c1", wantErr: true},
	{name: "uint8 cut", hex: "cc", wantErr: true},
	{name: "uint16 cut", hex: "cd ff", wantErr: true},
	{name: "uint32 cut", hex: "ce ffffff", wantErr: true},
	{name: "uint64 cut", hex: "cf ffffffffffffff", wantErr: true},
	{name: "int8 cut", hex: "d0", wantErr: true},
	{name: "int16 cut", hex: "d1 80", wantErr: true},
	{name: "int32 cut", hex: "d2 800000", wantErr: true},
	{name: "int64 cut", hex: "d3 80000000000000", wantErr: true},
	{name: "float32 cut", hex: "ca 3fc000", wantErr: true},
	{name: "float64 cut", hex: "cb 3ff80000000000", wantErr: true},
	{name: "fixstr beyond input", hex: "a3 6162", wantErr: true},
	{name: "str8 length cut", hex: "d9", wantErr: true},
	{name: "str8 beyond input", hex: "d9 02 61", wantErr: true},
	{name: "str16 length cut", hex: "da 00", wantErr: true},
	{name: "str16 beyond input", hex: "da ffff 61", wantErr: true},
	{name: "str32 length cut", hex: "db 000000", wantErr: true},
	{name: "str32 beyond input", hex: "db ffffffff 61", wantErr: true},
	{name: "bin8 length cut", hex: "c4", wantErr: true},
	{name: "bin8 beyond input", hex: "c4 02 01", wantErr: true},
	{name: "bin16 beyond input", hex: "c5 0100 01", wantErr: true},
	{name: "bin32 length cut", hex: "c6 0000", wantErr: true},
	{name: "bin32 beyond input", hex: "c6 ffffffff", wantErr: true},
	{name: "fixarray cut", hex: "92 01", wantErr: true},
	{name: "array16 length cut", hex: "dc 00", wantErr: true},
	{name: "array16 beyond input", hex: "dc 0003 c0 c0", wantErr: true},
	{name: "array32 length cut", hex: "dd 000000", wantErr: true},
	{name: "array32 beyond input", hex: "dd ffffffff c0", wantErr: true},
	{name: "fixmap cut", hex: "81 a161", wantErr: true},
	{name: "fixmap key cut", hex: "81 a2 61", wantErr: true},
	{name: "map16 length cut", hex: "de 00", wantErr: true},
	{name: "map16 beyond input", hex: "de 0002 a161 01", wantErr: true},
	{name: "map32 length cut", hex: "df 0000", wantErr: true},
	{name: "map32 beyond input", hex: "df ffffffff a161 01", wantErr: true},
	{name: "map key an integer", hex: "81 01 01", wantErr: true},
	{name: "map key bin", hex: "81 c401 61 01", wantErr: true},
	{name: "map key nil", hex: "81 c0 01", wantErr: true},
	{name: "fixext1 other type", hex: "d4 01 00", wantErr: true},
	{name: "fixext1 type 0 data 1", hex: "d4 00 01", wantErr: true},
	{name: "fixext1 cut", hex: "d4 00", wantErr: true},
	{name: "fixext2", hex: "d5 00 0000", wantErr: true},
	{name: "fixext4", hex: "d6 ff 00000000", wantErr: true}, // msgpack's timestamp
	{name: "fixext8", hex: "d7 00 0000000000000000", wantErr: true},
	{name: "fixext16", hex: "d8 00" + strings.Repeat("00", 16), wantErr: true},
	{name: "ext8", hex: "c7 01 01 00", wantErr: true},
	{name: "ext16", hex: "c8 0001 01 00", wantErr: true},
	{name: "ext32", hex: "c9 00000001 01 00", wantErr: true},
	{name: "nesting 65", hex: strings.Repeat("91", maxDepth+1) + "c0", wantErr: true},
	{name: "map nesting 65", hex: strings.Repeat("81a0", maxDepth+1) + "c0", wantErr: true},
}

func TestMsgPackWireDecode(t *testing.T) {
	for _, tt := range wireDecodeTests {
		t.Run(tt.name, func(t *testing.T) {
			b := unhex(t, tt.hex)
			v, n, err := newDecodeValue(b)
			if tt.wantErr {
				if err == nil || !errors.Is(err, ErrProtocolViolation) {
					t.Fatalf("got %#v, %v; want a protocol violation", v, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n != len(b) {
				t.Errorf("read %d of %d bytes", n, len(b))
			}
			if !reflect.DeepEqual(v, tt.want) {
				t.Errorf("got %#v, want %#v", v, tt.want)
			}
			// Every proper prefix is an error.
			for i := range len(b) {
				if v, _, err := newDecodeValue(b[:i]); err == nil {
					t.Errorf("prefix %x: got %#v, no error", b[:i], v)
				}
			}
		})
	}
	if v, _, err := newDecodeValue(unhex(t, strings.Repeat("91", maxDepth)+"c0")); err != nil {
		t.Errorf("nesting 64: %#v, %v", v, err)
	}
}

func TestMsgPackWireEncode(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{nil, "c0"}, {true, "c3"}, {false, "c2"},
		{int64(0), "00"}, {int64(127), "7f"}, {int64(128), "cc80"}, {int64(255), "ccff"},
		{int64(256), "cd0100"}, {int64(65535), "cdffff"}, {int64(65536), "ce00010000"},
		{int64(math.MaxUint32), "ceffffffff"}, {int64(math.MaxUint32 + 1), "cf0000000100000000"},
		{uint64(math.MaxUint64), "cfffffffffffffffff"},
		{int64(-1), "ff"}, {int64(-32), "e0"}, {int64(-33), "d0df"}, {int64(-128), "d080"},
		{int64(-129), "d1ff7f"}, {int64(math.MinInt16), "d18000"}, {int64(math.MinInt16 - 1), "d2ffff7fff"},
		{int64(math.MinInt32), "d280000000"}, {int64(math.MinInt32 - 1), "d3ffffffff7fffffff"},
		{int8(-1), "ff"}, {uint16(300), "cd012c"}, {ID(5), "05"}, {int(-200), "d1ff38"},
		{1.5, "cb3ff8000000000000"}, {float32(1.5), "ca3fc00000"},
		{"", "a0"}, {"a", "a161"}, {URI("a"), "a161"},
		{strings.Repeat("x", 31), "bf" + strings.Repeat("78", 31)},
		{strings.Repeat("x", 32), "d920" + strings.Repeat("78", 32)},
		{strings.Repeat("x", 256), "da0100" + strings.Repeat("78", 256)},
		{strings.Repeat("x", 65536), "db00010000" + strings.Repeat("78", 65536)},
		{[]byte{}, "c400"}, {[]byte(nil), "c400"}, {[]byte{1}, "c40101"},
		{make([]byte, 256), "c50100" + strings.Repeat("00", 256)},
		{make([]byte, 65536), "c600010000" + strings.Repeat("00", 65536)},
		{List(nil), "90"}, {List{nil}, "91c0"}, {make(List, 16), "dc0010" + strings.Repeat("c0", 16)},
		{make(List, 65536), "dd00010000" + strings.Repeat("c0", 65536)},
		{Dict(nil), "80"}, {Dict{"b": nil, "a": true}, "82a161c3a162c0"},
		{[]string{"a"}, "91a161"}, {map[string]string{"b": "", "a": "x"}, "82a161a178a162a0"},
		{[]Dict{nil, {"a": false}}, "928081a161c2"},
	}
	for _, tt := range tests {
		got, err := appendMsgPackValue(nil, tt.v, 0)
		if err != nil {
			t.Errorf("%T: %v", tt.v, err)
			continue
		}
		if want := unhex(t, tt.want); string(got) != string(want) {
			t.Errorf("%T %.40v:\n got %.80x\nwant %.80x", tt.v, tt.v, got, want)
		}
	}
	keys := make(Dict, 16)
	for i := range 16 {
		keys[string(rune('a'+i))] = nil
	}
	got, err := appendMsgPackValue(nil, keys, 0)
	if err != nil || string(got[:5]) != "\xde\x00\x10\xa1a" {
		t.Errorf("16-key dict: %.20x, %v", got, err)
	}
}

// TestMsgPackHugeLengthsAllocateLittle: a header declaring a length the
// input cannot hold is rejected before anything of that size is allocated.
func TestMsgPackHugeLengthsAllocateLittle(t *testing.T) {
	inputs := []string{
		"dd ffffffff c0 c0", "df ffffffff a161 01", "db ffffffff 61", "c6 ffffffff 00",
		"dc ffff c0", "de ffff a161 01", "da ffff 61", "c5 ffff 00",
	}
	msgs := make([][]byte, len(inputs))
	for i, h := range inputs {
		msgs[i] = unhex(t, "95 10 01 80 a174 91"+h) // [16, 1, {}, "t", [value]]
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		for _, b := range msgs {
			if _, err := MsgPack.DecodeMessage(b); err == nil {
				t.Fatalf("%x: no error", b)
			}
		}
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("800 rejected inputs allocated %d bytes", n)
	}
}
