//go:build !edgewamp_nocbor && !edgewamp_nomarshal

package wamp

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// Differential tests: the own CBOR encoder and decoder against
// github.com/fxamacker/cbor/v2 (a test-only dependency), set to the same
// rules: tags, simple values other than false, true, null and undefined,
// duplicate keys, non-text keys and invalid UTF-8 refused; 64 levels of
// nesting; Dict keys sorted as RFC 8949 section 4.2.1 says; floats at their
// own width. Undefined, which fxamacker decodes as nil, is looked for in the
// raw items, so that a dict entry holding it is dropped as the own decoder
// drops it.

// refCBORDecModes returns fxamacker decoding modes for a value (64 levels)
// and for a message (65: the message array around its fields).
var refCBORValueDec, refCBORMessageDec = func() (cbor.DecMode, cbor.DecMode) {
	sv, err := cbor.NewSimpleValueRegistryFromDefaults(func(r *cbor.SimpleValueRegistry) error {
		for v := range 256 {
			if v < 20 || v > 31 {
				if err := cbor.WithRejectedSimpleValue(cbor.SimpleValue(v))(r); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	opts := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:  maxDepth,
		MaxArrayElements: math.MaxInt32,
		MaxMapPairs:      math.MaxInt32,
		IndefLength:      cbor.IndefLengthAllowed,
		TagsMd:           cbor.TagsForbidden,
		IntDec:           cbor.IntDecConvertNone,
		DefaultMapType:   reflect.TypeFor[Dict](),
		UTF8:             cbor.UTF8RejectInvalid,
		SimpleValues:     sv,
	}
	value, err := opts.DecMode()
	if err != nil {
		panic(err)
	}
	opts.MaxNestedLevels = maxDepth + 1
	message, err := opts.DecMode()
	if err != nil {
		panic(err)
	}
	return value, message
}()

var refCBOREnc = func() cbor.EncMode {
	em, err := cbor.EncOptions{
		Sort:          cbor.SortBytewiseLexical,
		ShortestFloat: cbor.ShortestFloatNone,
		NaNConvert:    cbor.NaNConvertNone,
		InfConvert:    cbor.InfConvertNone,
		IndefLength:   cbor.IndefLengthForbidden,
		NilContainers: cbor.NilContainerAsEmpty,
		Time:          cbor.TimeRFC3339Nano,
	}.EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

var errRefUnsupported = errors.New("not in the value model")

// refCBORDecode decodes the first item of b with fxamacker and returns it
// in the value model, and how many bytes it took.
func refCBORDecode(dm cbor.DecMode, b []byte) (any, int, error) {
	var v any
	rest, err := dm.UnmarshalFirst(b, &v)
	if err != nil {
		return nil, 0, err
	}
	n := len(b) - len(rest)
	if bytes.Equal(b[:n], []byte{cborUndefined}) {
		return undefinedMark{}, n, nil
	}
	v, err = refCBORValue(dm, b[:n])
	return v, n, err
}

// refCBORValue turns the well-formed item raw into the value model: arrays
// and maps item by item, so that undefined can be told from null.
func refCBORValue(dm cbor.DecMode, raw []byte) (any, error) {
	switch raw[0] & cborMajorMask {
	case cborArray:
		var items []cbor.RawMessage
		if err := dm.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
		l := make(List, len(items))
		for i, it := range items {
			if !bytes.Equal(it, []byte{cborUndefined}) {
				var err error
				if l[i], err = refCBORValue(dm, it); err != nil {
					return nil, err
				}
			}
		}
		return l, nil
	case cborMap:
		// Keys as any: decoded into a string, null and undefined would
		// quietly become "".
		var items map[any]cbor.RawMessage
		if err := dm.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
		d := make(Dict, len(items))
		for key, it := range items {
			k, ok := key.(string)
			if !ok {
				return nil, fmt.Errorf("key %#v is not a string", key)
			}
			if !bytes.Equal(it, []byte{cborUndefined}) {
				var err error
				if d[k], err = refCBORValue(dm, it); err != nil {
					return nil, err
				}
			}
		}
		return d, nil
	}
	var v any
	if err := dm.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), nil
		}
	case big.Int, *big.Int:
		return nil, errRefUnsupported
	}
	return v, nil
}

// refListReader implements msgReader over a message fxamacker decoded.
type refListReader struct {
	l List
	i int
}

func (r *refListReader) next() (any, error) {
	if r.i >= len(r.l) {
		return nil, errors.New("no field left")
	}
	r.i++
	return r.l[r.i-1], nil
}

func (r *refListReader) more() (bool, error) { return r.i < len(r.l), nil }

func (r *refListReader) id() (ID, error) {
	v, err := r.next()
	switch v := v.(type) {
	case int64:
		if v >= 0 && v <= int64(MaxID) {
			return ID(v), err
		}
	case float64:
		if v == math.Trunc(v) && v >= 0 && v <= float64(MaxID) {
			return ID(v), err
		}
	}
	return 0, fmt.Errorf("not an ID: %#v (%v)", v, err)
}

func (r *refListReader) str() (string, error) {
	v, err := r.next()
	if s, ok := v.(string); ok {
		return s, err
	}
	return "", fmt.Errorf("not a string: %#v (%v)", v, err)
}

func (r *refListReader) dict() (Dict, error) {
	v, err := r.next()
	if d, ok := v.(Dict); ok {
		return d, err
	}
	return nil, fmt.Errorf("not a dict: %#v (%v)", v, err)
}

func (r *refListReader) list() (List, error) {
	v, err := r.next()
	if l, ok := v.(List); ok {
		return l, err
	}
	return nil, fmt.Errorf("not a list: %#v (%v)", v, err)
}

// refCBORDecodeMessage decodes a whole message with fxamacker.
func refCBORDecodeMessage(b []byte) (Message, error) {
	v, n, err := refCBORDecode(refCBORMessageDec, b)
	if err != nil {
		return nil, err
	}
	l, ok := v.(List)
	if !ok || len(l) == 0 || n != len(b) {
		return nil, fmt.Errorf("not a message: %#v, %d of %d bytes", v, n, len(b))
	}
	r := &refListReader{l: l}
	code, err := r.id()
	if err != nil {
		return nil, err
	}
	return decodeFields(&coder{r: r, prefix: "ref"}, code)
}

// refListWriter implements msgWriter by building the message as a List for
// fxamacker to encode.
type refListWriter struct{ l List }

func (w *refListWriter) begin()        { w.l = List{} }
func (w *refListWriter) uint(v uint64) { w.l = append(w.l, v) }
func (w *refListWriter) str(s string)  { w.l = append(w.l, s) }
func (w *refListWriter) dict(d Dict)   { w.l = append(w.l, d) }
func (w *refListWriter) list(l List)   { w.l = append(w.l, l) }
func (w *refListWriter) end(int)       {}
func (w *refListWriter) failed() error { return nil }

func refCBORAppendMessage(m Message) ([]byte, error) {
	w := &refListWriter{}
	if err := encodeMessage(&coder{w: w}, m); err != nil {
		return nil, err
	}
	return refCBOREnc.Marshal(w.l)
}

// checkCBORDiff holds the own decoder and encoder to fxamacker on input b,
// as a single value and as a whole message: the same acceptance, the same
// bytes read, the same value.
func checkCBORDiff(t *testing.T, b []byte) {
	t.Helper()
	v1, n1, err1 := cborDecodeValue(b)
	v2, n2, err2 := refCBORDecode(refCBORValueDec, b)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("value %x: own decoder: %#v, %v; fxamacker: %#v, %v", b, v1, err1, v2, err2)
	}
	if err1 != nil && !errors.Is(err1, ErrProtocolViolation) {
		t.Fatalf("value %x: error %v does not wrap ErrProtocolViolation", b, err1)
	}
	if err1 == nil {
		if n1 != n2 || !sameValue(v1, v2) {
			t.Fatalf("value %x: own decoder read %d bytes as %#v, fxamacker %d bytes as %#v", b, n1, v1, n2, v2)
		}
		if _, ok := v1.(undefinedMark); !ok {
			checkCBORDiffEncode(t, v1)
		}
	}

	m1, err1 := CBOR.DecodeMessage(b)
	m2, err2 := refCBORDecodeMessage(b)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("message %x: own decoder: %#v, %v; fxamacker: %#v, %v", b, m1, err1, m2, err2)
	}
	if err1 != nil {
		return
	}
	// Messages compare by their encodings: each decoded value has one
	// encoding, so equal bytes mean equal messages.
	e1, err1 := CBOR.AppendMessage(nil, m1)
	e2, err2 := refCBORAppendMessage(m2)
	e3, err3 := refCBORAppendMessage(m1)
	if err1 != nil || err2 != nil || err3 != nil || m1.Type() != m2.Type() || !bytes.Equal(e1, e2) || !bytes.Equal(e1, e3) {
		t.Fatalf("message %x: own %s encodes to %x (%v), fxamacker %s to %x (%v), fxamacker of own %x (%v)",
			b, m1.Type(), e1, err1, m2.Type(), e2, err2, e3, err3)
	}
}

// checkCBORDiffEncode holds the own encoder to fxamacker on value v: the
// same bytes, or both an error. The depth limit is the own encoder's alone.
func checkCBORDiffEncode(t *testing.T, v any) {
	t.Helper()
	got, err1 := appendCBORValue(nil, v, 0)
	if errors.Is(err1, errCBORDepth) {
		return
	}
	want, err2 := refCBOREnc.Marshal(v)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("encoding %#v: own encoder: %x, %v; fxamacker: %x, %v", v, got, err1, want, err2)
	}
	if err1 == nil && !bytes.Equal(got, want) {
		t.Fatalf("encoding %#v:\n got %x\nwant %x", v, got, want)
	}
}

// cborDiffSeeds are the sample messages, the wire tests' items and the
// messages of TestCBORMessages.
func cborDiffSeeds(t testing.TB) [][]byte {
	out := seedCorpus(t, CBOR)
	for _, tt := range cborWireTests {
		out = append(out, unhex(t, tt.hex))
	}
	for _, h := range []string{
		"9f1001bf6b61636b6e6f776c65646765f5ff61749f6178ffff",
		"85fb4030000000000000f93c00a16b61636b6e6f776c65646765f561748161" + "78",
		"851001a26161f7616201617481f7",
		"8618301a000f4240a0726e6f2e737563682e70726f636564757265f97e00a1616182f97c00fa7fc00001",
	} {
		out = append(out, unhex(t, h))
	}
	return out
}

func TestCBORDiffDecode(t *testing.T) {
	checkSeedsAndMutants(t, rand.New(rand.NewPCG(5, 6)), cborDiffSeeds(t), checkCBORDiff)
}

// FuzzCBORDiff holds the own decoder to fxamacker on any input (and, for
// what both accept, the own encoder too). Seeds beside cborDiffSeeds are in
// testdata/fuzz/FuzzCBORDiff.
func FuzzCBORDiff(f *testing.F) {
	for _, b := range cborDiffSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkCBORDiff(t, b)
	})
}

// noUintptr replaces the uintptrs in v, which fxamacker does not encode,
// with uint64s (TestCBOREncode checks the own encoding of uintptr).
func noUintptr(v any) any {
	switch v := v.(type) {
	case uintptr:
		return uint64(v)
	case List:
		for i := range v {
			v[i] = noUintptr(v[i])
		}
	case Dict:
		for k := range v {
			v[k] = noUintptr(v[k])
		}
	case []Dict:
		for _, d := range v {
			noUintptr(d)
		}
	}
	return v
}

func TestCBORDiffEncode(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 3000 {
		checkCBORDiffEncode(t, noUintptr(randValue(rng, 0)))
	}
	big := make(Dict, 70000)
	for i := range 70000 {
		big[itoa(uint64(i))] = nil
	}
	for _, v := range []any{
		big, make(List, 70000), math.NaN(), math.Inf(-1), float32(math.Inf(1)), math.Copysign(0, -1),
		time.Date(2026, 11, 24, 5, 0, 0, 123, time.FixedZone("x", 3600)),
		struct{ A, B int }{1, 2}, map[string]int{"a": 1, "bb": 2}, []int{1, 2},
	} {
		checkCBORDiffEncode(t, v)
	}
}
