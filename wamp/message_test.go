package wamp

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// sampleMessages holds one or more instances of every message type, as a
// decoder returns them (empty dicts as Dict{}, values in the value model).
func sampleMessages() []Message {
	details := Dict{"roles": Dict{"caller": Dict{}}, "n": int64(3), "f": 1.5, "ok": true, "none": nil}
	args := List{int64(1), "two", []byte{0, 1, 2}, List{}, Dict{"k": "v"}, int64(-5), uint64(1 << 63)}
	kw := Dict{"a": int64(1), "b": List{"x"}}
	return []Message{
		&Hello{Realm: "realm1", Details: details},
		&Welcome{Session: 9129137332, Details: Dict{}},
		&Abort{Details: Dict{"message": "no"}, Reason: "wamp.error.no_such_realm"},
		&Challenge{AuthMethod: "wampcra", Extra: Dict{"challenge": "xyz"}},
		&Authenticate{Signature: "sig", Extra: Dict{}},
		&Goodbye{Details: Dict{}, Reason: "wamp.close.goodbye_and_out"},
		&ErrorMessage{RequestType: CALL, Request: 7, Details: Dict{}, Error: "com.example.err"},
		&ErrorMessage{RequestType: CALL, Request: 7, Details: Dict{}, Error: "com.example.err", Payload: Payload{Args: args}},
		&ErrorMessage{RequestType: INVOCATION, Request: MaxID, Details: Dict{}, Error: "com.example.err", Payload: Payload{Args: List{}, Kwargs: kw}},
		&Publish{Request: 1, Options: Dict{}, Topic: "com.example.topic"},
		&Publish{Request: 1, Options: Dict{"acknowledge": true}, Topic: "com.example.topic", Payload: Payload{Args: List{int64(1), "hello"}}},
		&Publish{Request: 2, Options: Dict{}, Topic: "t", Payload: Payload{Args: args, Kwargs: kw}},
		&Published{Request: 1, Publication: 4429313566},
		&Subscribe{Request: 3, Options: Dict{"match": "prefix"}, Topic: "com.example"},
		&Subscribed{Request: 3, Subscription: 5512315355},
		&Unsubscribe{Request: 4, Subscription: 5512315355},
		&Unsubscribed{Request: 4},
		&Unsubscribed{Request: 0, Details: Dict{"subscription": int64(5512315355), "reason": "wamp.authentication.lost"}},
		&Event{Subscription: 5512315355, Publication: 4429313566, Details: Dict{}},
		&Event{Subscription: 1, Publication: 2, Details: Dict{"publisher": int64(3)}, Payload: Payload{Args: List{"x"}}},
		&Event{Subscription: 1, Publication: 2, Details: Dict{}, Payload: Payload{Args: List{}, Kwargs: kw}},
		&Call{Request: 7, Options: Dict{}, Procedure: "com.example.add2", Payload: Payload{Args: List{int64(23), int64(7)}}},
		&Call{Request: 8, Options: Dict{"timeout": int64(1000)}, Procedure: "p"},
		&Cancel{Request: 7, Options: Dict{"mode": "kill"}},
		&Result{Request: 7, Details: Dict{}, Payload: Payload{Args: List{int64(30)}}},
		&Result{Request: 7, Details: Dict{"progress": true}},
		&Register{Request: 9, Options: Dict{}, Procedure: "com.example.add2"},
		&Registered{Request: 9, Registration: 2103333224},
		&Unregister{Request: 10, Registration: 2103333224},
		&Unregistered{Request: 10},
		&Unregistered{Request: 0, Details: Dict{"registration": int64(2103333224), "reason": "wamp.error.x"}},
		&Invocation{Request: 6131533, Registration: 9823526, Details: Dict{}, Payload: Payload{Args: List{"a"}, Kwargs: Dict{"b": "c"}}},
		&Interrupt{Request: 6131533, Options: Dict{"mode": "killnowait"}},
		&Yield{Request: 6131533, Options: Dict{}, Payload: Payload{Args: List{int64(1)}}},
		&Yield{Request: 6131533, Options: Dict{"progress": true}},
	}
}

func allSerializers() []Serializer {
	var out []Serializer
	for _, id := range []SerializerID{SerializerJSON, SerializerMsgPack, SerializerCBOR} {
		if s, ok := SerializerByID(id); ok {
			out = append(out, s)
		}
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	for _, s := range allSerializers() {
		for _, m := range sampleMessages() {
			t.Run(s.Name()+"/"+m.Type().String(), func(t *testing.T) {
				b, err := s.AppendMessage(nil, m)
				if err != nil {
					t.Fatalf("encode: %v", err)
				}
				got, err := s.DecodeMessage(b)
				if err != nil {
					t.Fatalf("decode %q: %v", b, err)
				}
				if !reflect.DeepEqual(got, m) {
					t.Fatalf("round trip of %q:\n got %#v\nwant %#v", b, got, m)
				}
				// Appending to a non-empty buffer keeps what was there.
				b2, err := s.AppendMessage([]byte("xyz"), m)
				if err != nil || string(b2[:3]) != "xyz" || string(b2[3:]) != string(b) {
					t.Fatalf("append to a buffer: %q, %v", b2, err)
				}
			})
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	cyclic := List{nil}
	cyclic[0] = cyclic
	tests := []struct {
		name     string
		m        Message
		jsonOnly bool
	}{
		{name: "nil message"},
		{name: "nil pointer", m: (*Publish)(nil)},
		{"NaN", &Publish{Request: 1, Topic: "t", Payload: Payload{Args: List{nanValue()}}}, true}, // msgpack can carry NaN
		{name: "cyclic", m: &Publish{Request: 1, Topic: "t", Payload: Payload{Args: cyclic}}},
		{name: "unencodable", m: &Publish{Request: 1, Topic: "t", Payload: Payload{Args: List{make(chan int)}}}},
	}
	for _, s := range allSerializers() {
		for _, tt := range tests {
			if tt.jsonOnly && s != JSON {
				continue
			}
			t.Run(s.Name()+"/"+tt.name, func(t *testing.T) {
				b, err := s.AppendMessage([]byte("ab"), tt.m)
				if err == nil {
					t.Fatalf("no error, encoded %q", b)
				}
				if string(b) != "ab" {
					t.Fatalf("buffer changed on error: %q", b)
				}
				if errors.Is(err, ErrProtocolViolation) {
					t.Fatalf("encode error %v wraps protocol_violation", err)
				}
			})
		}
	}
}

func TestEncodeTime(t *testing.T) {
	ts := time.Date(2026, 11, 23, 23, 59, 1, 500, time.UTC)
	for _, s := range allSerializers() {
		b, err := s.AppendMessage(nil, &Publish{Request: 1, Topic: "t", Payload: Payload{Args: List{ts}}})
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.DecodeMessage(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.(*Publish).Args[0]; got != "2026-11-23T23:59:01.0000005Z" {
			t.Errorf("%s: time.Time encoded as %#v", s.Name(), got)
		}
	}
}

// foreignMessage implements Message outside the codec's message types.
type foreignMessage struct{}

func (foreignMessage) Type() MessageType { return EVENT }

// TestMessageTypes checks the codec's lists of message types against the
// codes: every named code has its type in newMessage and nilMessage (and in
// sampleMessages, so TestRoundTrip covers it), and a nil pointer of any type
// or a foreign Message is an encoding error that leaves the buffer alone.
func TestMessageTypes(t *testing.T) {
	sampled := map[MessageType]bool{}
	for _, m := range sampleMessages() {
		sampled[m.Type()] = true
	}
	for code := range 256 {
		mt := MessageType(code)
		proto, fresh := nilMessage(mt), newMessage(mt)
		named := mt.String() != "UNKNOWN("+itoa(uint64(code))+")"
		if named != (proto != nil) || named != (fresh != nil) {
			t.Errorf("code %d: named %v, nilMessage %T, newMessage %T", code, named, proto, fresh)
		}
		if proto == nil || fresh == nil {
			continue
		}
		if proto.Type() != mt || fresh.Type() != mt {
			t.Errorf("code %d: nilMessage %T, newMessage %T", code, proto, fresh)
		}
		if !sampled[mt] {
			t.Errorf("%s has no sample message", mt)
		}
		for _, s := range allSerializers() {
			b, err := s.AppendMessage([]byte("ab"), proto)
			if want := fmt.Sprintf("wamp: cannot encode a nil %T", proto); err == nil || err.Error() != want || string(b) != "ab" {
				t.Errorf("%s: encoding a nil %T: %q, %v; want %q", s.Name(), proto, b, err, want)
			}
		}
	}
	for _, s := range allSerializers() {
		if b, err := s.AppendMessage(nil, foreignMessage{}); err == nil {
			t.Errorf("%s: encoding a foreign message gave %q", s.Name(), b)
		}
	}
}

// TestDecodePublishAllocs holds decoding a small PUBLISH to the allocations
// of its values: the message, the Options dict, the topic and the Args list
// with its string.
func TestDecodePublishAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	for _, s := range allSerializers() {
		in, err := s.AppendMessage(nil, smallPublish())
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := s.DecodeMessage(in); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 6 {
			t.Errorf("%s: decoding %q: %v allocs, want at most 6", s.Name(), in, allocs)
		}
	}
}
