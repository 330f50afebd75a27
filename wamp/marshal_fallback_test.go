//go:build !edgewamp_nomarshal

package wamp

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// Go types outside the value model go through msgpack.Marshal and
// encoding/json in default builds.
func TestMarshalFallback(t *testing.T) {
	type point struct {
		X int `json:"x" msgpack:"x"`
	}
	for _, v := range []any{point{3}, &point{4}, map[string]int{"a": 1}, []int{1, 2}, [2]bool{true}} {
		got, err := appendMsgPackValue(nil, v, 0)
		want, err2 := msgpack.Marshal(v)
		if err != nil || err2 != nil || !bytes.Equal(got, want) {
			t.Errorf("msgpack %T: got %x, %v; want %x, %v", v, got, err, want, err2)
		}
		got, err = appendJSONValue(nil, v, 0)
		want, err2 = json.Marshal(v)
		if err != nil || err2 != nil || !bytes.Equal(got, want) {
			t.Errorf("json %T: got %s, %v; want %s, %v", v, got, err, want, err2)
		}
	}
	b, err := JSON.AppendMessage(nil, &Call{Request: 2, Procedure: "p", Payload: Payload{Args: List{point{3}, json.RawMessage(` {"r":1}`)}}})
	if want := `[48,2,{},"p",[{"x":3}, {"r":1}]]`; err != nil || string(b) != want {
		t.Errorf("got %s, %v; want %s", b, err, want)
	}
	if b, err := JSON.AppendMessage(nil, &Call{Request: 2, Procedure: "p", Payload: Payload{Args: List{json.RawMessage(`{`)}}}); err == nil {
		t.Errorf("invalid json.RawMessage encoded: %s", b)
	}
	if b, err := MsgPack.AppendMessage(nil, &Call{Request: 2, Procedure: "p", Payload: Payload{Args: List{func() {}}}}); err == nil {
		t.Errorf("a func encoded: %x", b)
	}
}

// TestJSONTimeAsEncodingJSON: a time.Time is encoded without encoding/json,
// exactly as json.Marshal writes it (and not at all where it fails).
func TestJSONTimeAsEncodingJSON(t *testing.T) {
	for _, ts := range []time.Time{
		time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 24, 5, 0, 0, 120, time.FixedZone("", -9000)),
		{}, time.Unix(1<<40, 0), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)),
	} {
		got, err := appendJSONValue([]byte("x"), ts, 0)
		want, err2 := json.Marshal(ts)
		if (err == nil) != (err2 == nil) || err == nil && string(got) != "x"+string(want) {
			t.Errorf("%v: got %s, %v; want %s, %v", ts, got, err, want, err2)
		}
	}
}
