package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

func TestParseInvocation(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		want    invocation
		wantErr bool
	}{
		{name: "plain call", argv: []string{"rs://h:1", "a.b", "1", "true", `"x"`, "word"},
			want: invocation{url: "rs://h:1", uri: "a.b", uris: []wamp.URI{"a.b"}, args: wamp.List{int64(1), true, "x", "word"}, realm: "realm1", timeout: 10 * time.Second}},
		{name: "flags before", argv: []string{"-realm", "r2", "-timeout", "2s", "rs://h:1", "a.b"},
			want: invocation{url: "rs://h:1", uri: "a.b", uris: []wamp.URI{"a.b"}, realm: "r2", timeout: 2 * time.Second}},
		{name: "flag after positionals", argv: []string{"rs://h:1", "a.b", "-n", "3"},
			want: invocation{url: "rs://h:1", uri: "a.b", uris: []wamp.URI{"a.b"}, realm: "realm1", timeout: 10 * time.Second, count: 3}},
		{name: "negative numbers are arguments", argv: []string{"rs://h:1", "a.b", "-5", "-1.5"},
			want: invocation{url: "rs://h:1", uri: "a.b", uris: []wamp.URI{"a.b"}, args: wamp.List{int64(-5), -1.5}, realm: "realm1", timeout: 10 * time.Second}},
		{name: "double dash ends flags", argv: []string{"rs://h:1", "a.b", "--", "-n"},
			want: invocation{url: "rs://h:1", uri: "a.b", uris: []wamp.URI{"a.b"}, args: wamp.List{"-n"}, realm: "realm1", timeout: 10 * time.Second}},
		{name: "json values", argv: []string{"rs://h:1", "a.b", `[1,"two"]`, `{"k":2.5}`, "null"},
			want: invocation{url: "rs://h:1", uri: "a.b", uris: []wamp.URI{"a.b"}, args: wamp.List{[]any{int64(1), "two"}, map[string]any{"k": 2.5}, nil}, realm: "realm1", timeout: 10 * time.Second}},
		{name: "json edge cases", argv: []string{"rs://h:1", "a.b", "18446744073709551615", "1e3", " 7 ", `"\u0000AQI="`, "1 2", "", "{", `"x`},
			want: invocation{url: "rs://h:1", uri: "a.b", uris: []wamp.URI{"a.b"}, args: wamp.List{uint64(18446744073709551615), 1000.0, int64(7), []byte{1, 2}, "1 2", "", "{", `"x`},
				realm: "realm1", timeout: 10 * time.Second}},
		{name: "auth flags", argv: []string{"rs://h:1", "a.b", "-authid", "dev1", "-ticket", "t", "-secret", "s", "-key", "k.key"},
			want: invocation{url: "rs://h:1", uri: "a.b", uris: []wamp.URI{"a.b"}, realm: "realm1", timeout: 10 * time.Second,
				auth: device.Credentials{AuthID: "dev1", Ticket: "t", Secret: "s", CryptosignKeyFile: "k.key"}}},
		{name: "serializer into URL", argv: []string{"-serializer", "json", "rs://h:1", "a.b"},
			want: invocation{url: "rs://h:1?serializer=json", uri: "a.b", uris: []wamp.URI{"a.b"}, realm: "realm1", timeout: 10 * time.Second}},
		{name: "cbor serializer", argv: []string{"-serializer", "cbor", "rs://h:1", "a.b"}, wantErr: wamp.CBOR == nil,
			want: invocation{url: "rs://h:1?serializer=cbor", uri: "a.b", uris: []wamp.URI{"a.b"}, realm: "realm1", timeout: 10 * time.Second}},
		{name: "unknown serializer", argv: []string{"-serializer", "xml", "rs://h:1", "a.b"}, wantErr: true},
		{name: "missing uri", argv: []string{"rs://h:1"}, wantErr: true},
		{name: "bad uri", argv: []string{"rs://h:1", "a b"}, wantErr: true},
		{name: "bad url", argv: []string{"localhost", "a.b"}, wantErr: true},
		{name: "unknown flag", argv: []string{"-x", "rs://h:1", "a.b"}, wantErr: true},
		{name: "negative count", argv: []string{"rs://h:1", "a.b", "-n", "-1"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseInvocation("call", tt.argv, 2)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseInvocation(%q) = %+v, want an error", tt.argv, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseInvocation(%q): %v", tt.argv, err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("parseInvocation(%q)\n got %+v\nwant %+v", tt.argv, *got, tt.want)
			}
		})
	}
}
