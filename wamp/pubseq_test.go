package wamp

import "testing"

func TestPubSeq(t *testing.T) {
	tests := []struct {
		name        string
		d           Dict
		stream, seq ID
		ok, valid   bool
	}{
		{"absent", Dict{"acknowledge": true}, 0, 0, false, true},
		{"nil dict", nil, 0, 0, false, true},
		{"json numbers", Dict{PubSeqKey: List{float64(7), float64(1)}}, 7, 1, true, true},
		{"msgpack ints", Dict{PubSeqKey: List{uint64(MaxID), int64(3)}}, MaxID, 3, true, true},
		{"ids", Dict{PubSeqKey: []ID{5, 6}}, 5, 6, true, true},
		{"one element", Dict{PubSeqKey: List{int64(5)}}, 0, 0, false, false},
		{"three elements", Dict{PubSeqKey: List{int64(5), int64(6), int64(7)}}, 0, 0, false, false},
		{"zero stream", Dict{PubSeqKey: List{int64(0), int64(6)}}, 0, 0, false, false},
		{"zero seq", Dict{PubSeqKey: List{int64(5), int64(0)}}, 0, 0, false, false},
		{"over MaxID", Dict{PubSeqKey: List{uint64(MaxID) + 1, int64(1)}}, 0, 0, false, false},
		{"string", Dict{PubSeqKey: "5,6"}, 0, 0, false, false},
		{"strings in list", Dict{PubSeqKey: List{"5", "6"}}, 0, 0, false, false},
		{"null", Dict{PubSeqKey: nil}, 0, 0, false, false},
	}
	for _, tt := range tests {
		stream, seq, ok, valid := PubSeq(tt.d)
		if stream != tt.stream || seq != tt.seq || ok != tt.ok || valid != tt.valid {
			t.Errorf("%s: PubSeq = %d, %d, %v, %v; want %d, %d, %v, %v", tt.name, stream, seq, ok, valid, tt.stream, tt.seq, tt.ok, tt.valid)
		}
	}
}

func TestPubSeqKeyForm(t *testing.T) {
	// the spec's form for implementation-specific keys: _[a-z0-9_]{3,}
	k := PubSeqKey
	if len(k) < 4 || k[0] != '_' {
		t.Fatalf("%q does not start with _ and 3 more characters", k)
	}
	for _, c := range k[1:] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			t.Fatalf("%q has %q", k, c)
		}
	}
}
