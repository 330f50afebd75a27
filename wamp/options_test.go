package wamp

import (
	"math"
	"reflect"
	"testing"
)

func TestOptInt(t *testing.T) {
	d := Dict{
		"i64": int64(-5), "int": 7, "i8": int8(-8), "u8": uint8(8), "u16": uint16(16), "u32": uint32(32),
		"u64": uint64(64), "bigu": uint64(math.MaxUint64), "f": 1000.0, "frac": 1.5, "f32": float32(2),
		"huge": 1e19, "nan": math.NaN(), "s": "1", "id": ID(9), "nil": nil,
	}
	tests := []struct {
		key  string
		want int64
		ok   bool
	}{
		{"i64", -5, true}, {"int", 7, true}, {"i8", -8, true}, {"u8", 8, true}, {"u16", 16, true},
		{"u32", 32, true}, {"u64", 64, true}, {"bigu", 0, false}, {"f", 1000, true}, {"frac", 0, false},
		{"f32", 2, true}, {"huge", 0, false}, {"nan", 0, false}, {"s", 0, false}, {"id", 9, true},
		{"nil", 0, false}, {"absent", 0, false},
	}
	for _, tt := range tests {
		got, ok := OptInt(d, tt.key)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("OptInt(%q) = %d, %v; want %d, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

func TestToID(t *testing.T) {
	tests := []struct {
		v    any
		want ID
		ok   bool
	}{
		{int64(1), 1, true}, {uint64(MaxID), MaxID, true}, {uint64(MaxID) + 1, 0, false}, {int64(-1), 0, false},
		{float64(1 << 53), MaxID, true}, {1.5, 0, false}, {ID(3), 3, true}, {ID(MaxID + 1), 0, false},
		{uint(4), 4, true}, {int8(5), 5, true}, {int64(0), 0, true}, {"1", 0, false}, {nil, 0, false},
	}
	for _, tt := range tests {
		got, ok := ToID(tt.v)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ToID(%#v) = %d, %v; want %d, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

func TestOptOthers(t *testing.T) {
	d := Dict{
		"s": "x", "u": URI("com.a"), "b": true, "l": List{int64(1)}, "ls": []string{"a"}, "d": Dict{"k": 1},
		"ms": map[string]string{"k": "v"}, "ids": List{int64(1), uint64(2), 3.0}, "badids": List{"x"},
		"strs": List{"a", "b"}, "badstrs": List{1}, "id": int64(12),
	}
	if v, ok := OptString(d, "s"); v != "x" || !ok {
		t.Errorf("OptString: %q %v", v, ok)
	}
	if v, ok := OptURI(d, "u"); v != "com.a" || !ok {
		t.Errorf("OptURI: %q %v", v, ok)
	}
	if _, ok := OptString(d, "b"); ok {
		t.Error("OptString of a bool")
	}
	if v, ok := OptBool(d, "b"); !v || !ok {
		t.Errorf("OptBool: %v %v", v, ok)
	}
	if _, ok := OptBool(d, "s"); ok {
		t.Error("OptBool of a string")
	}
	if v, ok := OptList(d, "l"); !ok || !reflect.DeepEqual(v, List{int64(1)}) {
		t.Errorf("OptList: %v %v", v, ok)
	}
	if v, ok := OptList(d, "ls"); !ok || !reflect.DeepEqual(v, List{"a"}) {
		t.Errorf("OptList of []string: %v %v", v, ok)
	}
	if v, ok := OptDict(d, "d"); !ok || v["k"] != 1 {
		t.Errorf("OptDict: %v %v", v, ok)
	}
	if v, ok := OptDict(d, "ms"); !ok || v["k"] != "v" {
		t.Errorf("OptDict of map[string]string: %v %v", v, ok)
	}
	if _, ok := OptDict(d, "l"); ok {
		t.Error("OptDict of a list")
	}
	if v, ok := OptIDs(d, "ids"); !ok || !reflect.DeepEqual(v, []ID{1, 2, 3}) {
		t.Errorf("OptIDs: %v %v", v, ok)
	}
	if _, ok := OptIDs(d, "badids"); ok {
		t.Error("OptIDs of strings")
	}
	if v, ok := OptStrings(d, "strs"); !ok || !reflect.DeepEqual(v, []string{"a", "b"}) {
		t.Errorf("OptStrings: %v %v", v, ok)
	}
	if _, ok := OptStrings(d, "badstrs"); ok {
		t.Error("OptStrings of ints")
	}
	if v, ok := OptID(d, "id"); v != 12 || !ok {
		t.Errorf("OptID: %v %v", v, ok)
	}
	if _, ok := OptID(nil, "id"); ok {
		t.Error("OptID of a nil dict")
	}
}
