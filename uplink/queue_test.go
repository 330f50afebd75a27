package uplink

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

// TestEventQueueNumbering checks the queue's numbering: events are numbered
// from 1 in the queue's stream; a queue reopened from its file keeps the
// stream and the numbers of the events it recovers, and numbers on from
// them; a queue reopened empty starts a new stream.
func TestEventQueueNumbering(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	path := filepath.Join(t.TempDir(), "q")
	q, err := newEventQueue(10, path, log)
	if err != nil {
		t.Fatal(err)
	}
	stream := q.stream
	for range 3 {
		q.push(queuedEvent{topic: "t"})
	}
	q.pop() // 1 delivered
	q.close()

	q2, err := newEventQueue(10, path, log)
	if err != nil {
		t.Fatal(err)
	}
	q2.push(queuedEvent{topic: "t"})
	var seqs []wamp.ID
	for {
		ev, ok := q2.peek()
		if !ok {
			break
		}
		s, seq, ok, _ := wamp.PubSeq(pubSeqOf(q2.stream, ev))
		if !ok || s != stream || seq != ev.seq {
			t.Fatalf("pubSeqOf(%d) = %d/%d, want %d/%d", ev.seq, s, seq, stream, ev.seq)
		}
		seqs = append(seqs, ev.seq)
		q2.pop()
	}
	if q2.stream != stream || fmt.Sprint(seqs) != "[2 3 4]" {
		t.Errorf("reopened: stream %d (was %d), numbers %v, want [2 3 4]", q2.stream, stream, seqs)
	}
	q2.close()

	q3, err := newEventQueue(10, path, log)
	if err != nil {
		t.Fatal(err)
	}
	defer q3.close()
	if q3.stream == stream || q3.nextSeq != 1 {
		t.Errorf("reopened empty: stream %d (was %d), next %d; want a new stream from 1", q3.stream, stream, q3.nextSeq)
	}
}
