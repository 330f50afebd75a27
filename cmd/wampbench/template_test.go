package main

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

var serializers = []wamp.Serializer{wamp.MsgPack, wamp.JSON}

// TestTemplatePatch checks that a patched PUBLISH decodes to the ID and
// timestamp patched in, and that the receive-side peeks find them.
func TestTemplatePatch(t *testing.T) {
	for _, s := range serializers {
		t.Run(s.Name(), func(t *testing.T) {
			tp, err := newTemplate(s, &wamp.Publish{Request: templateID, Options: wamp.Dict{}, Topic: "a.b",
				Payload: wamp.Payload{Args: wamp.List{payloadString(64)}}}, true)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range []struct {
				id wamp.ID
				ts int64
			}{{idBase + 1, 0}, {idBase + 123456789, int64(3 * time.Second)}, {wamp.MaxID - 1, 1<<62 + 5}} {
				b := tp.appendTo([]byte("junk"), v.id, v.ts)[4:]
				m, err := s.DecodeMessage(b)
				if err != nil {
					t.Fatalf("decode patched: %v", err)
				}
				p := m.(*wamp.Publish)
				if p.Request != v.id || len(p.Args[0].(string)) != 64 {
					t.Errorf("patched request %d, payload %q; want %d", p.Request, p.Args[0], v.id)
				}
				if ts, ok := parseTS(b); !ok || ts != v.ts {
					t.Errorf("parseTS = %d, %v; want %d", ts, ok, v.ts)
				}
				typ, at, ok := peekType(b, s.Binary())
				if !ok || typ != wamp.PUBLISH {
					t.Fatalf("peekType = %v, %v", typ, ok)
				}
				if id, ok := peekID(b, at, s.Binary()); !ok || id != v.id {
					t.Errorf("peekID = %d, %v; want %d", id, ok, v.id)
				}
			}
		})
	}
}

// TestPeekEvent checks the receive-side peeks on messages encoded by the
// serializers, IDs of every width included.
func TestPeekEvent(t *testing.T) {
	for _, s := range serializers {
		for _, id := range []wamp.ID{1, 127, 128, 255, 256, 65535, 65536, 1 << 32, wamp.MaxID} {
			b, err := s.AppendMessage(nil, &wamp.Result{Request: id, Details: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{"r"}}})
			if err != nil {
				t.Fatal(err)
			}
			typ, at, ok := peekType(b, s.Binary())
			if !ok || typ != wamp.RESULT {
				t.Fatalf("%s: peekType(%q) = %v, %v", s.Name(), b, typ, ok)
			}
			if got, ok := peekID(b, at, s.Binary()); !ok || got != id {
				t.Errorf("%s: peekID = %d, %v; want %d", s.Name(), got, ok, id)
			}
		}
	}
	for _, b := range []string{"", "[", "{}", "[x,", "[36]", "[ 36 ,1]"} {
		typ, _, ok := peekType([]byte(b), false)
		if ok != (b == "[ 36 ,1]") || (ok && typ != wamp.EVENT) {
			t.Errorf("peekType(%q) = %v, %v", b, typ, ok)
		}
	}
	if _, _, ok := peekType([]byte{0x81, 0x24}, true); ok {
		t.Error("peekType accepted a msgpack map")
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	if h.summary() != nil {
		t.Fatal("empty histogram has a summary")
	}
	vals := make([]int64, 0, 10000)
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		v := int64(r.ExpFloat64() * 100e3) // mean 100 µs
		vals = append(vals, v)
		h.record(v)
	}
	sorted := append([]int64(nil), vals...)
	slices.Sort(sorted)
	for _, q := range []float64{0.5, 0.9, 0.99} {
		exact := float64(sorted[int(q*float64(len(sorted)))-1])
		got := float64(h.quantile(q))
		if got < exact*0.97 || got > exact*1.03 {
			t.Errorf("quantile(%v) = %v, exact %v", q, got, exact)
		}
	}
	if time.Duration(h.max) != time.Duration(sorted[len(sorted)-1]) || h.quantile(1) != time.Duration(h.max) {
		t.Errorf("max %d, quantile(1) %v, want %d", h.max, h.quantile(1), sorted[len(sorted)-1])
	}
	for i := range histBuckets - 1 {
		if lo := bucketLow(i); bucketOf(lo) != i || bucketLow(i+1) <= lo {
			t.Fatalf("bucket %d: low %d maps to %d", i, lo, bucketOf(lo))
		}
	}
	var m histogram
	m.merge(&h)
	m.merge(&h)
	if m.n != 2*h.n || m.quantile(0.5) != h.quantile(0.5) {
		t.Errorf("merge: n %d p50 %v; want %d %v", m.n, m.quantile(0.5), 2*h.n, h.quantile(0.5))
	}
}
