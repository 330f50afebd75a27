package wamp

import "testing"

// smallPublish is [16, 1, {}, "com.example.topic", [1, "hello"]].
func smallPublish() *Publish {
	return &Publish{Request: 1, Options: Dict{}, Topic: "com.example.topic", Payload: Payload{Args: List{int64(1), "hello"}}}
}

func BenchmarkEncodePublish(b *testing.B) {
	for _, s := range allSerializers() {
		b.Run(s.Name(), func(b *testing.B) {
			m := smallPublish()
			buf := make([]byte, 0, 256)
			out, _ := s.AppendMessage(nil, m)
			b.SetBytes(int64(len(out)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = s.AppendMessage(buf[:0], m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodePublish(b *testing.B) {
	for _, s := range allSerializers() {
		b.Run(s.Name(), func(b *testing.B) {
			in, err := s.AppendMessage(nil, smallPublish())
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.DecodeMessage(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestEncodePublishAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	richer := &Event{Subscription: 1, Publication: 2,
		Details: Dict{"publisher": int64(3), "topic": "com.example.t", "retained": false},
		Payload: Payload{Args: List{1.5, []byte{1, 2}, List{"x", nil}}, Kwargs: Dict{"unit": "C", "n": uint16(4)}}}
	for _, s := range allSerializers() {
		for _, m := range []Message{smallPublish(), richer} {
			buf := make([]byte, 0, 512)
			allocs := testing.AllocsPerRun(100, func() {
				buf, _ = s.AppendMessage(buf[:0], m)
			})
			if allocs != 0 {
				t.Errorf("%s: encoding %s into a reused buffer: %v allocs, want 0", s.Name(), m.Type(), allocs)
			}
		}
	}
}

// bigEvent is an EVENT with details and a payload of about n bytes.
func bigEvent(n int) *Event {
	args := make(List, 0, n/16)
	for i := range n / 16 {
		args = append(args, Dict{"i": int64(i), "v": 21.5})
	}
	return &Event{Subscription: 5512315355, Publication: 4429313566,
		Details: Dict{"publisher": int64(1234), "topic": "com.example.sensor.temp"},
		Payload: Payload{Args: args, Kwargs: Dict{"unit": "C"}}}
}

func BenchmarkEncodeEvent(b *testing.B) {
	for _, size := range []int{256, 4096} {
		for _, s := range allSerializers() {
			b.Run(s.Name()+"/"+itoa(uint64(size)), func(b *testing.B) {
				m := bigEvent(size)
				buf, err := s.AppendMessage(nil, m)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(buf)))
				b.ReportAllocs()
				for b.Loop() {
					buf, _ = s.AppendMessage(buf[:0], m)
				}
			})
		}
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	for _, size := range []int{256, 4096} {
		for _, s := range allSerializers() {
			b.Run(s.Name()+"/"+itoa(uint64(size)), func(b *testing.B) {
				in, err := s.AppendMessage(nil, bigEvent(size))
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(in)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.DecodeMessage(in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
