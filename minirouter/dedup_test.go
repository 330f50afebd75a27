package minirouter

import (
	"fmt"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// TestPublishNumberedOnce publishes numbered events, some of them resent:
// each number is delivered once (with the pair in the EVENT's details),
// every PUBLISH is acknowledged, repeats are counted, and unnumbered events
// and other streams are untouched.
func TestPublishNumberedOnce(t *testing.T) {
	r := newTestRouter(t, Config{})
	sub := joinClient(t, r, allRoles())
	pub := joinClient(t, r, allRoles())
	sub.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "sensor.temp"})
	expect[*wamp.Subscribed](sub)

	type step struct {
		stream, seq int // 0: unnumbered
		delivered   bool
	}
	steps := []step{{7, 1, true}, {7, 2, true}, {7, 2, false}, {7, 1, false}, {0, 0, true}, {8, 1, true}, {7, 3, true}, {7, 3, false}, {7, 9, true}}
	for i, s := range steps {
		opts := wamp.Dict{"acknowledge": true}
		if s.stream != 0 {
			opts[PubSeqOption] = wamp.List{s.stream, s.seq}
		}
		pub.send(&wamp.Publish{Request: wamp.ID(i + 1), Options: opts, Topic: "sensor.temp", Payload: wamp.Payload{Args: wamp.List{i}}})
		if p := expect[*wamp.Published](pub); p.Request != wamp.ID(i+1) {
			t.Fatalf("step %d: PUBLISHED for request %d", i, p.Request)
		}
	}
	// a marker published last: everything delivered before it came first
	pub.send(&wamp.Publish{Request: 100, Options: wamp.Dict{}, Topic: "sensor.temp", Payload: wamp.Payload{Args: wamp.List{"end"}}})
	var got []string
	for {
		ev := expect[*wamp.Event](sub)
		if ev.Args[0] == "end" {
			break
		}
		stream, seq, ok, _ := wamp.PubSeq(ev.Details)
		got = append(got, fmt.Sprintf("%v:%d/%d:%v", ev.Args[0], stream, seq, ok))
	}
	var want []string
	for i, s := range steps {
		if s.delivered {
			want = append(want, fmt.Sprintf("%d:%d/%d:%v", i, s.stream, s.seq, s.stream != 0))
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("delivered %v\nwant      %v", got, want)
	}
	if n := r.Stats().PublicationsDeduplicated; n != 3 {
		t.Errorf("PublicationsDeduplicated = %d, want 3", n)
	}
}

func TestPublishNumberedMalformed(t *testing.T) {
	r := newTestRouter(t, Config{})
	pub := joinClient(t, r, allRoles())
	for i, v := range []any{"x", wamp.List{1}, wamp.List{0, 1}, wamp.List{1, -1}} {
		pub.send(&wamp.Publish{Request: wamp.ID(i + 1), Options: wamp.Dict{"acknowledge": true, PubSeqOption: v}, Topic: "t"})
		pub.expectError(wamp.ErrInvalidArgument.URI)
	}
}

func TestDedupTableBounded(t *testing.T) {
	tb := dedupTable{max: 3}
	for s := wamp.ID(1); s <= 3; s++ {
		tb.duplicate("a", s, 5)
	}
	tb.duplicate("a", 1, 6) // 1 is fresh again; 2 is the oldest
	if tb.duplicate("a", 4, 1) || len(tb.last) != 3 {
		t.Fatalf("new stream: %d remembered", len(tb.last))
	}
	if !tb.duplicate("a", 1, 6) || !tb.duplicate("a", 3, 5) {
		t.Error("streams 1 and 3 forgotten")
	}
	if tb.duplicate("b", 1, 6) {
		t.Error("another principal's stream 1 taken for a repeat")
	}
}
