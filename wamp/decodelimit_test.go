package wamp

import (
	"bytes"
	"errors"
	"runtime"
	"testing"
)

// hello1MiB builds a HELLO whose details hold "x": a list of elem repeated
// to about 1 MiB, for each serializer.
func hello1MiB(s Serializer, elem []byte) []byte {
	n := (1 << 20) / len(elem)
	var b []byte
	switch s {
	case JSON:
		b = append(b, `[1,"realm1",{"x":[`...)
		for i := range n {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, elem...)
		}
		return append(b, "]}]"...)
	case MsgPack:
		b = append(b, 0x93, 0x01, 0xa6, 'r', 'e', 'a', 'l', 'm', '1', 0x81, 0xa1, 'x', 0xdd, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	default: // CBOR
		b = append(b, 0x83, 0x01, 0x66, 'r', 'e', 'a', 'l', 'm', '1', 0xa1, 0x61, 'x', 0x9a, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, bytes.Repeat(elem, n)...)
}

// nestedHeads builds a 1 MiB HELLO whose details hold 60 nested list heads,
// each announcing about the whole message, then nils.
func nestedHeads(s Serializer) []byte {
	var b []byte
	head := []byte{0xdd, 0x00, 0x0f, 0xff, 0x00} // msgpack array32 of 1,048,320
	b = append(b, 0x93, 0x01, 0xa6, 'r', 'e', 'a', 'l', 'm', '1', 0x81, 0xa1, 'x')
	fill := byte(0xc0)
	if s != MsgPack {
		head = []byte{0x9a, 0x00, 0x0f, 0xff, 0x00}
		b = append(b[:0], 0x83, 0x01, 0x66, 'r', 'e', 'a', 'l', 'm', '1', 0xa1, 0x61, 'x')
		fill = 0xf6
	}
	for range 60 {
		b = append(b, head...)
	}
	return append(b, bytes.Repeat([]byte{fill}, 1<<20-len(b))...)
}

// allocated returns the bytes allocated by f, and its error.
func allocated(f func() error) (uint64, error) {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	err := f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc, err
}

// TestDecodeBudget decodes hostile messages of about 1 MiB (lists of empty
// dicts or lists, nested heads announcing the whole message) and checks
// that they fail as protocol violations having allocated at most about
// the allowance, while real data (lists of readings, small numbers) of the
// same size decodes.
func TestDecodeBudget(t *testing.T) {
	if !decodeBudgeted {
		t.Skip("built with edgewamp_nodecodebudget")
	}
	type ser struct {
		s                    Serializer
		emptyDict, emptyList []byte
		tinyDict, reading    []byte
	}
	sers := []ser{
		{JSON, []byte("{}"), []byte("[]"), []byte(`{"a":1}`), []byte(`{"temp":21.5,"ts":1712345678}`)},
		{MsgPack, []byte{0x80}, []byte{0x90}, []byte{0x81, 0xa1, 'a', 0x01},
			[]byte{0x82, 0xa4, 't', 'e', 'm', 'p', 0xcb, 0x40, 0x35, 0x80, 0, 0, 0, 0, 0, 0xa2, 't', 's', 0xce, 0x66, 0x10, 0x8c, 0x4e}},
	}
	if CBOR != nil {
		sers = append(sers, ser{CBOR, []byte{0xa0}, []byte{0x80}, []byte{0xa1, 0x61, 'a', 0x01},
			[]byte{0xa2, 0x64, 't', 'e', 'm', 'p', 0xfb, 0x40, 0x35, 0x80, 0, 0, 0, 0, 0, 0x62, 't', 's', 0x1a, 0x66, 0x10, 0x8c, 0x4e}})
	}
	for _, c := range sers {
		for _, tc := range []struct {
			name string
			msg  []byte
			ok   bool
		}{
			{"empty dicts", hello1MiB(c.s, c.emptyDict), false},
			{"empty lists", hello1MiB(c.s, c.emptyList), c.s == JSON}, // [] and a comma: 3 bytes for 40
			{"one-letter dicts", hello1MiB(c.s, c.tinyDict), false},
			{"readings", hello1MiB(c.s, c.reading), true},
			{"small numbers", hello1MiB(c.s, []byte("1")), true},
		} {
			var m Message
			alloc, err := allocated(func() (err error) { m, err = c.s.DecodeMessage(tc.msg); return err })
			t.Logf("%s %s: %d KiB: allocated %d KiB (%.1f×): %v", c.s.Name(), tc.name, len(tc.msg)>>10, alloc>>10, float64(alloc)/float64(len(tc.msg)), err)
			if tc.ok != (err == nil) {
				t.Errorf("%s %s: %v, want ok %v", c.s.Name(), tc.name, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrProtocolViolation) {
				t.Errorf("%s %s: %v, want a protocol violation", c.s.Name(), tc.name, err)
			}
			if limit := uint64(2 * decodeAllowance(len(tc.msg))); !tc.ok && alloc > limit {
				t.Errorf("%s %s: allocated %d KiB, more than %d KiB", c.s.Name(), tc.name, alloc>>10, limit>>10)
			}
			runtime.KeepAlive(m)
		}
		if c.s == JSON {
			continue
		}
		msg := nestedHeads(c.s)
		alloc, err := allocated(func() error { _, err := c.s.DecodeMessage(msg); return err })
		t.Logf("%s nested heads: allocated %d KiB (%.1f×): %v", c.s.Name(), alloc>>10, float64(alloc)/float64(len(msg)), err)
		if !errors.Is(err, ErrProtocolViolation) || alloc > uint64(2*decodeAllowance(len(msg))) {
			t.Errorf("%s nested heads: allocated %d KiB: %v; want a protocol violation within %d KiB", c.s.Name(), alloc>>10, err, 2*decodeAllowance(len(msg))>>10)
		}
	}
}
