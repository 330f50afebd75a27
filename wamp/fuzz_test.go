package wamp

import (
	"bytes"
	"errors"
	"testing"
)

// seedCorpus returns the golden vectors and the encodings of every sample
// message in serializer s, for the fuzzers and the truncation test.
func seedCorpus(t testing.TB, s Serializer) [][]byte {
	var out [][]byte
	for _, v := range vectors {
		switch s {
		case JSON:
			out = append(out, []byte(v.json), []byte(spaced(v.json)))
		case MsgPack:
			out = append(out, unhex(t, v.msgpack))
		}
	}
	for _, m := range sampleMessages() {
		b, err := s.AppendMessage(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// checkStable decodes b with s; when that succeeds, encoding the message and
// decoding it again must succeed, and encoding once more must give the same
// bytes. It returns the first re-encoding (nil when b does not decode).
func checkStable(t *testing.T, s Serializer, b []byte) []byte {
	t.Helper()
	m1, err := s.DecodeMessage(b)
	if err != nil {
		if !errors.Is(err, ErrProtocolViolation) {
			t.Fatalf("decode error %v does not wrap ErrProtocolViolation", err)
		}
		return nil
	}
	b2, err := s.AppendMessage(nil, m1)
	if err != nil {
		t.Fatalf("re-encoding %#v: %v", m1, err)
	}
	m2, err := s.DecodeMessage(b2)
	if err != nil {
		t.Fatalf("decoding our own encoding %q: %v", b2, err)
	}
	b3, err := s.AppendMessage(nil, m2)
	if err != nil {
		t.Fatalf("re-encoding %#v: %v", m2, err)
	}
	if !bytes.Equal(b2, b3) {
		t.Fatalf("unstable encoding:\n%q\n%q", b2, b3)
	}
	return b2
}

func FuzzJSONDecode(f *testing.F) {
	for _, b := range seedCorpus(f, JSON) {
		f.Add(b)
	}
	f.Add([]byte(`[16,1,{"a":[1.5e300,-0.0,"\ud800","\u0000AA=="]},"t",[],{"k":null}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		b2 := checkStable(t, JSON, b)
		if b2 == nil {
			return
		}
		// What JSON decodes, MessagePack carries unchanged.
		m, _ := JSON.DecodeMessage(b2)
		mp, err := MsgPack.AppendMessage(nil, m)
		if err != nil {
			t.Fatalf("msgpack encoding of %#v: %v", m, err)
		}
		m2, err := MsgPack.DecodeMessage(mp)
		if err != nil {
			t.Fatalf("msgpack decoding %x: %v", mp, err)
		}
		if back, err := JSON.AppendMessage(nil, m2); err != nil || !bytes.Equal(back, b2) {
			t.Fatalf("json → msgpack → json changed %q to %q (%v)", b2, back, err)
		}
	})
}

func FuzzMsgPackDecode(f *testing.F) {
	for _, b := range seedCorpus(f, MsgPack) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, MsgPack, b)
	})
}

// TestTruncated feeds every proper prefix of every seed message to the
// decoders: each must fail cleanly with a protocol violation.
func TestTruncated(t *testing.T) {
	for _, s := range allSerializers() {
		for _, b := range seedCorpus(t, s) {
			if _, err := s.DecodeMessage(b); err != nil {
				continue // a vector we reject on purpose
			}
			for i := range len(b) {
				if m, err := s.DecodeMessage(b[:i]); err == nil || !errors.Is(err, ErrProtocolViolation) {
					t.Fatalf("%s: prefix %q of %q: got %#v, %v", s.Name(), b[:i], b, m, err)
				}
			}
		}
	}
}
