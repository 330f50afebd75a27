package wamp

import (
	"net/url"
	"strings"
	"testing"
)

func TestSerializerFor(t *testing.T) {
	tests := []struct {
		url  string
		opt  Serializer
		def  Serializer
		want Serializer
		err  string
	}{
		{url: "rs://h:1", def: MsgPack, want: MsgPack},
		{url: "rs://h:1", def: nil, want: nil},
		{url: "rs://h:1", opt: JSON, def: MsgPack, want: JSON},
		{url: "rs://h:1?serializer=msgpack", opt: JSON, def: JSON, want: MsgPack},
		{url: "ws://h/ws?serializer=json", def: MsgPack, want: JSON},
		{url: "ws://h/ws?serializer=wamp.2.msgpack", want: MsgPack},
		{url: "rs://h:1?serializer=ubjson", opt: JSON, err: `unknown serializer "ubjson" (want json, msgpack or cbor)`},
	}
	if CBOR != nil {
		tests = append(tests, struct {
			url  string
			opt  Serializer
			def  Serializer
			want Serializer
			err  string
		}{url: "rs://h:1?serializer=cbor", opt: JSON, want: CBOR})
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DialOptions{Serializer: tt.opt}.SerializerFor(u, tt.def)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("= %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestSerializerNamed(t *testing.T) {
	for name, want := range map[string]Serializer{"json": JSON, "wamp.2.msgpack": MsgPack} {
		if s, err := SerializerNamed(name); err != nil || s != want {
			t.Errorf("SerializerNamed(%q) = %v, %v", name, s, err)
		}
	}
	if _, err := SerializerNamed("ubjson"); err == nil || err.Error() != `unknown serializer "ubjson" (want json, msgpack or cbor)` {
		t.Errorf("SerializerNamed(ubjson) error = %v", err)
	}
}
