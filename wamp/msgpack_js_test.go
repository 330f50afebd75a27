package wamp

import (
	"encoding/hex"
	"errors"
	"reflect"
	"testing"
)

// TestMsgPackJSUndefined: wampy 8.0.2 (msgpackr) sends JavaScript's
// undefined as fixext 1 type 0 (d4 00 00), e.g. in SUBSCRIBE options it did
// not set. Such entries are dropped from dicts and are nil in lists; any
// other extension is still a protocol violation.
func TestMsgPackJSUndefined(t *testing.T) {
	tests := []struct {
		name    string
		hex     string
		want    Message
		wantErr bool
	}{
		{
			// [32, 1, {"match": undefined, "get_retained": undefined}, "com.example.t"], as wampy sent it.
			name: "wampy SUBSCRIBE",
			hex:  "942001de0002a56d61746368d40000ac6765745f72657461696e6564d40000ad636f6d2e6578616d706c652e74",
			want: &Subscribe{Request: 1, Options: Dict{}, Topic: "com.example.t"},
		},
		{
			// [16, 2, {"acknowledge": true, "exclude": undefined}, "t", [1, undefined]]
			name: "undefined in args",
			hex:  "951002" + "82" + "ab61636b6e6f776c65646765c3" + "a76578636c756465d40000" + "a174" + "9201d40000",
			want: &Publish{Request: 2, Options: Dict{"acknowledge": true}, Topic: "t", Payload: Payload{Args: List{int64(1), nil}}},
		},
		{name: "fixext 1 of another type", hex: "942001" + "81a56d61746368d40100" + "a174", wantErr: true},
		{name: "fixext 1 type 0 with data 1", hex: "942001" + "81a56d61746368d40001" + "a174", wantErr: true},
		{name: "fixext 2", hex: "942001" + "81a56d61746368d5000000" + "a174", wantErr: true},
		{name: "undefined as the options dict", hex: "942001d40000a174", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := hex.DecodeString(tt.hex)
			if err != nil {
				t.Fatal(err)
			}
			m, err := MsgPack.DecodeMessage(b)
			if tt.wantErr {
				if !errors.Is(err, ErrProtocolViolation) {
					t.Fatalf("DecodeMessage = %#v, %v; want a protocol violation", m, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, tt.want) {
				t.Errorf("got %#v\nwant %#v", m, tt.want)
			}
		})
	}
}
