package wamp

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestParseJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    any
		wantErr bool
	}{
		{in: ` {"a": [1, -2, 1.5, "x", true, null], "b": {}} `, want: Dict{"a": List{int64(1), int64(-2), 1.5, "x", true, nil}, "b": Dict{}}},
		{in: `18446744073709551615`, want: uint64(18446744073709551615)},
		{in: `"\u0000AQI="`, want: []byte{1, 2}},
		{in: `"\u0000!!"`, wantErr: true},
		{in: `{"a":1} x`, wantErr: true},
		{in: `{"a":1,}`, wantErr: true},
		{in: ``, wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseJSON([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseJSON(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseJSON(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseJSONErrorLine(t *testing.T) {
	in := []byte("{\n  \"a\": 1,\n  \"b\": tru\n}")
	_, err := ParseJSON(in)
	var se *JSONSyntaxError
	if !errors.As(err, &se) || !errors.Is(err, ErrProtocolViolation) {
		t.Fatalf("ParseJSON error %v (%T), want a *JSONSyntaxError wrapping ErrProtocolViolation", err, err)
	}
	if got := se.Line(in); got != 3 {
		t.Errorf("error line %d (offset %d), want 3", got, se.Offset)
	}
}

func TestAppendJSONRoundTrip(t *testing.T) {
	v := Dict{"z": List{int64(1), "two", 3.5, []byte{0xff}}, "a": nil}
	b, err := AppendJSON(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":null,"z":[1,"two",3.5,"\u0000/w=="]}`; string(b) != want {
		t.Fatalf("AppendJSON = %s, want %s", b, want)
	}
	back, err := ParseJSON(b)
	if err != nil || !reflect.DeepEqual(back, v) {
		t.Fatalf("ParseJSON(AppendJSON(v)) = %#v, %v; want %#v", back, err, v)
	}
}

func ExampleParseJSON() {
	v, err := ParseJSON([]byte(`{"interval": "5s", "pins": [17, 27]}`))
	if err != nil {
		panic(err)
	}
	cfg := v.(Dict)
	fmt.Println(cfg["interval"], cfg["pins"])
	// Output: 5s [17 27]
}
