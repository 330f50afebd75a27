package uplink

import (
	"log/slog"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// TestEventQueueReusesArray checks that a queue which keeps filling and
// draining, as a forwarding uplink's does, keeps its events in order while
// they move to the front of their array, and allocates nothing once its
// array is big enough.
func TestEventQueueReusesArray(t *testing.T) {
	q, err := newEventQueue(1000, "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var pushed, popped wamp.ID // the numbers of the last event pushed and taken
	for round := range 200 {
		for range 1 + round%37 {
			q.push(queuedEvent{topic: "t"})
			pushed++
		}
		// Take all but a few: what is left moves to the front when the
		// array's end is reached.
		for popped < pushed-wamp.ID(round%5) {
			ev, ok := q.after(popped)
			if !ok || ev.seq != popped+1 {
				t.Fatalf("round %d: after %d: %v %v, want event %d", round, popped, ev.seq, ok, popped+1)
			}
			popped++
			q.popThrough(popped)
		}
		if n, _ := q.len(); n != int(pushed-popped) {
			t.Fatalf("round %d: %d events waiting, want %d", round, n, pushed-popped)
		}
	}
	if c := cap(q.items); c > 2*40 {
		t.Errorf("array of %d events for at most 40 waiting: the freed room was not reused", c)
	}
	allocs := testing.AllocsPerRun(100, func() {
		for range 30 {
			q.push(queuedEvent{topic: "t"})
			pushed++
		}
		q.popThrough(pushed - 3)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per fill and drain, want 0", allocs)
	}
}
