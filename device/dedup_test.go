package device

import (
	"fmt"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

func numbered(stream, seq int) wamp.Dict {
	return wamp.Dict{wamp.PubSeqKey: wamp.List{int64(stream), int64(seq)}}
}

func TestDeduplicator(t *testing.T) {
	steps := []struct {
		details wamp.Dict
		repeat  bool
	}{
		{nil, false},
		{wamp.Dict{"topic": "a"}, false},
		{numbered(1, 1), false},
		{numbered(1, 2), false},
		{numbered(1, 2), true},  // resent
		{numbered(1, 1), true},  // older
		{numbered(2, 1), false}, // another stream
		{numbered(1, 5), false}, // a gap (dropped at the source) is no repeat
		{numbered(1, 4), true},
		{wamp.Dict{wamp.PubSeqKey: "bad"}, false}, // malformed: passed through
		{nil, false},
	}
	var d Deduplicator // the zero value works
	repeats := 0
	for i, s := range steps {
		if got := d.Repeat(s.details); got != s.repeat {
			t.Errorf("step %d (%v): Repeat = %v, want %v", i, s.details, got, s.repeat)
		}
		if s.repeat {
			repeats++
		}
	}
	if d.Repeats() != uint64(repeats) {
		t.Errorf("Repeats = %d, want %d", d.Repeats(), repeats)
	}
}

func TestDeduplicatorForgetsOldestStream(t *testing.T) {
	d := NewDeduplicator()
	for s := 1; s <= dedupStreams; s++ {
		d.Repeat(numbered(s, 10))
	}
	d.Repeat(numbered(1, 11)) // stream 1 used again: stream 2 is now the oldest
	d.Repeat(numbered(dedupStreams+1, 1))
	if len(d.last) != dedupStreams {
		t.Fatalf("%d streams remembered, want %d", len(d.last), dedupStreams)
	}
	if d.Repeat(numbered(2, 10)) {
		t.Error("stream 2 should have been forgotten")
	}
	if !d.Repeat(numbered(1, 11)) || !d.Repeat(numbered(4, 10)) { // (re-adding 2 forgot 3)
		t.Error("streams 1 and 4 should be remembered")
	}
}

func TestDeduplicatorWrap(t *testing.T) {
	var got []int
	d := NewDeduplicator()
	h := d.Wrap(func(ev *Event) { got = append(got, int(ev.Args[0].(int64))) })
	for _, seq := range []int{1, 2, 2, 3, 1, 4} {
		h(&Event{Payload: wamp.Payload{Args: wamp.List{int64(seq)}}, Details: numbered(9, seq)})
	}
	if fmt.Sprint(got) != "[1 2 3 4]" || d.Repeats() != 2 {
		t.Errorf("handled %v with %d repeats, want [1 2 3 4] with 2", got, d.Repeats())
	}
}
