//go:build !edgewamp_nomarshal

package wamp

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// Differential tests: the own MessagePack encoder and decoder against the
// reference of msgpack_ref_test.go (the serializer as it was, on
// github.com/vmihailenco/msgpack/v5's primitives).

func refDecodeValue(b []byte) (any, int, error) {
	r := refReader{b: b}
	r.r.Reset(b)
	r.dec = msgpack.NewDecoder(&r.r)
	v, err := r.value(0)
	if _, ok := v.(refUndefined); ok {
		v = undefinedMark{}
	}
	return v, r.pos(), err
}

func refEncodeValue(v any) ([]byte, error) {
	w := refWriter{}
	w.enc = msgpack.NewEncoder(&w.out)
	w.value(v, 0)
	return w.out.b, w.err
}

// sameValue reports whether a and b are the same value of the value model:
// the same types throughout, floats with the same bits (so NaN equals NaN).
func sameValue(a, b any) bool {
	switch a := a.(type) {
	case float64:
		b, ok := b.(float64)
		return ok && math.Float64bits(a) == math.Float64bits(b)
	case []byte:
		b, ok := b.([]byte)
		return ok && bytes.Equal(a, b) && (a == nil) == (b == nil)
	case List:
		b, ok := b.(List)
		if !ok || len(a) != len(b) || (a == nil) != (b == nil) {
			return false
		}
		for i := range a {
			if !sameValue(a[i], b[i]) {
				return false
			}
		}
		return true
	case Dict:
		b, ok := b.(Dict)
		if !ok || len(a) != len(b) || (a == nil) != (b == nil) {
			return false
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	case nil, bool, string, int64, uint64, undefinedMark:
		return a == b
	}
	return false
}

// checkDiff holds the own decoder and encoder to the reference on input b,
// both as a single value and as a whole message.
func checkDiff(t *testing.T, b []byte) {
	t.Helper()
	v1, n1, err1 := newDecodeValue(b)
	v2, n2, err2 := refDecodeValue(b)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("value %x: own decoder: %#v, %v; reference: %#v, %v", b, v1, err1, v2, err2)
	}
	if err1 != nil && !errors.Is(err1, ErrProtocolViolation) {
		t.Fatalf("value %x: error %v does not wrap ErrProtocolViolation", b, err1)
	}
	if err1 == nil {
		if n1 != n2 || !sameValue(v1, v2) {
			t.Fatalf("value %x: own decoder read %d bytes as %#v, reference %d bytes as %#v", b, n1, v1, n2, v2)
		}
		if _, ok := v1.(undefinedMark); !ok {
			checkDiffEncode(t, v1)
		}
	}

	m1, err1 := MsgPack.DecodeMessage(b)
	m2, err2 := refDecodeMessage(b)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("message %x: own decoder: %#v, %v; reference: %#v, %v", b, m1, err1, m2, err2)
	}
	if err1 != nil {
		return
	}
	// Messages compare by their encodings: each decoded value has one
	// encoding, so equal bytes mean equal messages.
	e1, err1 := MsgPack.AppendMessage(nil, m1)
	e2, err2 := refAppendMessage(nil, m2)
	e3, err3 := refAppendMessage(nil, m1)
	if err1 != nil || err2 != nil || err3 != nil || m1.Type() != m2.Type() || !bytes.Equal(e1, e2) || !bytes.Equal(e1, e3) {
		t.Fatalf("message %x: own %s encodes to %x (%v), reference %s to %x (%v), reference of own %x (%v)",
			b, m1.Type(), e1, err1, m2.Type(), e2, err2, e3, err3)
	}
}

// checkDiffEncode holds the own encoder to the reference on value v: the
// same bytes, or both an error.
func checkDiffEncode(t *testing.T, v any) {
	t.Helper()
	got, err1 := appendMsgPackValue(nil, v, 0)
	want, err2 := refEncodeValue(v)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("encoding %#v: own encoder: %x, %v; reference: %x, %v", v, got, err1, want, err2)
	}
	if err1 == nil && !bytes.Equal(got, want) {
		t.Fatalf("encoding %#v:\n got %x\nwant %x", v, got, want)
	}
}

// diffSeeds are the golden vectors, the sample messages and one value of
// every format family, whole and cut short.
func diffSeeds(t testing.TB) [][]byte {
	out := seedCorpus(t, MsgPack)
	for _, tt := range wireDecodeTests {
		out = append(out, unhex(t, tt.hex))
	}
	return out
}

func TestMsgPackDiffDecode(t *testing.T) {
	checkSeedsAndMutants(t, rand.New(rand.NewPCG(1, 2)), diffSeeds(t), checkDiff)
}

// checkSeedsAndMutants runs check on each seed, every proper prefix of it
// and a few hundred mutants of it (bytes flipped, set to any value).
func checkSeedsAndMutants(t *testing.T, rng *rand.Rand, seeds [][]byte, check func(*testing.T, []byte)) {
	for _, b := range seeds {
		check(t, b)
		for i := range len(b) {
			check(t, b[:i])
		}
		for range 200 {
			m := bytes.Clone(b)
			if len(m) == 0 {
				m = append(m, 0)
			}
			for range 1 + rng.IntN(3) {
				i := rng.IntN(len(m))
				if rng.IntN(2) == 0 {
					m[i] ^= byte(1 << rng.IntN(8))
				} else {
					m[i] = byte(rng.IntN(256))
				}
			}
			check(t, m)
		}
	}
}

func FuzzMsgPackDiff(f *testing.F) {
	for _, b := range diffSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDiff(t, b)
	})
}

// randValue returns a random value of the value model and of the other Go
// types the encoder takes, with integers, lengths and floats drawn mostly
// from the boundaries between MessagePack's forms.
func randValue(rng *rand.Rand, depth int) any {
	ints := []int64{0, 1, 31, 32, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
		-1, -31, -32, -33, -127, -128, -129, math.MinInt16, math.MinInt16 - 1, math.MinInt32, math.MinInt32 - 1, math.MinInt64}
	lens := []int{0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536}
	n := func() int64 {
		if rng.IntN(4) == 0 {
			return int64(rng.Uint64())
		}
		return ints[rng.IntN(len(ints))]
	}
	length := func(limit int) int {
		if l := lens[rng.IntN(len(lens))]; l <= limit {
			return l
		}
		return rng.IntN(limit + 1)
	}
	if depth >= 4 {
		return n()
	}
	switch rng.IntN(24) {
	case 0:
		return nil
	case 1:
		return rng.IntN(2) == 0
	case 2:
		return strings.Repeat("é", length(1<<17)/2)
	case 3:
		return n()
	case 4:
		return uint64(n())
	case 5:
		return []float64{0, math.Copysign(0, -1), 1.5, math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64,
			math.SmallestNonzeroFloat64, rng.NormFloat64()}[rng.IntN(9)]
	case 6:
		return bytes.Repeat([]byte{0xc1}, length(1<<17))
	case 7:
		l := make(List, length(1<<17))
		for i := range min(len(l), 20) {
			l[i] = randValue(rng, depth+1)
		}
		return l
	case 8:
		d := Dict{}
		for i := range length(40) {
			d[itoa(uint64(i))+"k"] = randValue(rng, depth+1)
		}
		return d
	case 9:
		return int(n())
	case 10:
		return int8(n())
	case 11:
		return int16(n())
	case 12:
		return int32(n())
	case 13:
		return uint(n())
	case 14:
		return uint8(n())
	case 15:
		return uint16(n())
	case 16:
		return uint32(n())
	case 17:
		return uintptr(n())
	case 18:
		return float32(rng.NormFloat64())
	case 19:
		return ID(uint64(n()) & uint64(MaxID))
	case 20:
		return URI(strings.Repeat("u.", length(300)))
	case 21:
		s := make([]string, length(40))
		for i := range s {
			s[i] = strings.Repeat("s", length(300))
		}
		return s
	case 22:
		m := map[string]string{}
		for i := range length(40) {
			m[strings.Repeat("k", i)] = itoa(uint64(i))
		}
		return m
	default:
		return []Dict{{"a": randValue(rng, depth+2)}, nil, {}}
	}
}

func TestMsgPackDiffEncode(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		checkDiffEncode(t, randValue(rng, 0))
	}
	deep := List{}
	for range maxDepth + 1 {
		deep = List{deep}
	}
	big := make(Dict, 70000)
	for i := range 70000 {
		big[itoa(uint64(i))] = nil
	}
	for _, v := range []any{
		deep, deep[0], Dict{"d": deep[0].(List)[0]}, big, make(List, 70000),
		time.Date(2026, 11, 24, 5, 0, 0, 123, time.FixedZone("x", 3600)), time.Time{},
		struct{ A, B int }{1, 2}, map[string]int{"a": 1}, []int{1, 2},
	} {
		checkDiffEncode(t, v)
	}
}

// FuzzMsgPackEncodeDiff draws random values from the fuzzer's seeds.
func FuzzMsgPackEncodeDiff(f *testing.F) {
	for i := range 8 {
		f.Add(uint64(i), uint64(i*i))
	}
	f.Fuzz(func(t *testing.T, s1, s2 uint64) {
		checkDiffEncode(t, randValue(rand.New(rand.NewPCG(s1, s2)), 0))
	})
}
