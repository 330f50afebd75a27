package minirouter

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// TestEventQueueFile checks the bounded FIFO and its journal: a queue
// reopened from its file holds the events not yet taken, in order, binary
// payloads included; overflow drops the oldest and counts them.
func TestEventQueueFile(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	path := filepath.Join(t.TempDir(), "q")
	q, err := newEventQueue(3, path, log)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		q.push(queuedEvent{topic: wamp.URI(fmt.Sprint("t.", i)), p: wamp.Payload{Args: wamp.List{i, []byte{byte(i)}}}})
	}
	if n, dropped := q.len(); n != 3 || dropped != 2 {
		t.Fatalf("len %d dropped %d, want 3 2", n, dropped)
	}
	q.pop()
	q.close()

	q2, err := newEventQueue(3, path, log)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		ev, ok := q2.peek()
		if !ok {
			break
		}
		got = append(got, fmt.Sprint(ev.topic, ev.p.Args))
		q2.pop()
	}
	if fmt.Sprint(got) != "[t.3[3 [3]] t.4[4 [4]]]" {
		t.Errorf("recovered %v", got)
	}
	q2.close()
	q3, err := newEventQueue(3, path, log)
	if err != nil {
		t.Fatal(err)
	}
	defer q3.close()
	if n, _ := q3.len(); n != 0 {
		t.Errorf("emptied queue reopened with %d events", n)
	}
	// Many pushes and pops keep the journal bounded (rewritten).
	for i := range 100 {
		q3.push(queuedEvent{topic: "t.x", p: wamp.Payload{Args: wamp.List{i}}})
		if i%2 == 0 {
			q3.pop()
		}
	}
	if q3.lines > 4*3+16+1 {
		t.Errorf("journal has %d lines", q3.lines)
	}
	if n, _ := q3.len(); n != 3 {
		t.Errorf("len %d", n)
	}
}
