package wamp

import "testing"

func TestSerializerLookup(t *testing.T) {
	tests := []struct {
		id     SerializerID
		name   string
		binary bool
	}{
		{SerializerJSON, "json", false},
		{SerializerMsgPack, "msgpack", true},
		{SerializerCBOR, "cbor", true},
	}
	for _, tt := range tests {
		s, ok := SerializerByID(tt.id)
		if tt.id == SerializerCBOR && CBOR == nil { // built with edgewamp_nocbor
			if ok || s != nil {
				t.Errorf("SerializerByID(%d) = %v, %v in a build without CBOR", tt.id, s, ok)
			}
			for _, n := range []string{tt.name, "wamp.2." + tt.name} {
				if s, ok := SerializerByName(n); ok || s != nil {
					t.Errorf("SerializerByName(%q) = %v, %v in a build without CBOR", n, s, ok)
				}
			}
			continue
		}
		if !ok || s.ID() != tt.id || s.Name() != tt.name || s.Binary() != tt.binary {
			t.Errorf("SerializerByID(%d) = %v, %v", tt.id, s, ok)
		}
		for _, n := range []string{tt.name, "wamp.2." + tt.name} {
			if s2, ok := SerializerByName(n); !ok || s2 != s {
				t.Errorf("SerializerByName(%q) = %v, %v", n, s2, ok)
			}
		}
	}
	for _, id := range []SerializerID{0, 4, 255} {
		if s, ok := SerializerByID(id); ok || s != nil {
			t.Errorf("SerializerByID(%d) = %v, %v", id, s, ok)
		}
	}
	for _, n := range []string{"", "ubjson", "JSON", "CBOR", "wamp.2.ubjson"} {
		if s, ok := SerializerByName(n); ok || s != nil {
			t.Errorf("SerializerByName(%q) = %v, %v", n, s, ok)
		}
	}
}
