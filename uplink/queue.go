package uplink

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"

	"github.com/edgewamp/edgewamp/wamp"
)

// queuedEvent is one event waiting to go up: its upstream topic, payload,
// and number in the queue's stream (see [wamp.PubSeqKey]).
type queuedEvent struct {
	topic wamp.URI
	p     wamp.Payload
	seq   wamp.ID
}

// eventQueue is the uplink's bounded store-and-forward FIFO. When full, a
// push drops the oldest event and counts it. Events are numbered from 1 in
// a stream with a random ID, which a resend repeats so that an upstream that
// knows [wamp.PubSeqKey] delivers each once. With a file it keeps a journal
// ("+" and an encoded PUBLISH per pushed event, with its stream and number in
// the options, "-" per event taken out, one per line) from which a restarted
// gateway recovers the events not yet delivered, and their numbering; the journal is truncated whenever the queue empties and
// rewritten when it grows past four times the queue's capacity. It is not
// synced to disk on every write: it survives a process restart, not
// necessarily a power cut. A journal write error is logged and the queue
// goes on in memory only. Safe for concurrent use.
type eventQueue struct {
	max    int
	log    *slog.Logger
	stream wamp.ID // this queue's stream of numbered events (set by newEventQueue)

	mu      sync.Mutex // protects following
	nextSeq wamp.ID    // the number of the next event pushed
	items   []queuedEvent
	dropped uint64
	ready   chan struct{} // 1 slot: kicked when an item is pushed
	f       *os.File      // journal, nil when none (or after a write error)
	w       *bufio.Writer
	lines   int // lines in the journal
}

// newEventQueue returns a queue of at most max events, recovering the
// journal at path when path is not empty.
func newEventQueue(max int, path string, log *slog.Logger) (*eventQueue, error) {
	q := &eventQueue{max: max, log: log, ready: make(chan struct{}, 1), stream: wamp.NewGlobalID(), nextSeq: 1}
	if path == "" {
		return q, nil
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("uplink: queue file: %w", err)
	}
	for line := range bytes.Lines(data) {
		line = bytes.TrimSuffix(line, []byte("\n"))
		switch {
		case len(line) == 1 && line[0] == '-':
			if len(q.items) > 0 {
				q.items = q.items[1:]
			}
		case len(line) > 1 && line[0] == '+':
			m, err := wamp.JSON.DecodeMessage(line[1:])
			pub, ok := m.(*wamp.Publish)
			if err != nil || !ok {
				log.Warn("uplink queue file: bad line skipped", "file", path)
				continue
			}
			ev := queuedEvent{topic: pub.Topic, p: pub.Payload}
			if stream, seq, ok, _ := wamp.PubSeq(pub.Options); ok {
				// the stream goes on: resent events keep their numbers
				q.stream, ev.seq = stream, seq
				q.nextSeq = seq + 1
			} else {
				ev.seq = q.nextSeq // a journal from before numbering
				q.nextSeq++
			}
			q.pushLocked(ev)
		}
	}
	if len(q.items) == 0 {
		// nothing can be resent: a fresh stream
		q.stream, q.nextSeq = wamp.NewGlobalID(), 1
	}
	q.dropped = 0 // drops while replaying were counted in the earlier run
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("uplink: queue file: %w", err)
	}
	q.f, q.w = f, bufio.NewWriter(f)
	if err := q.rewriteLocked(); err != nil {
		f.Close()
		return nil, fmt.Errorf("uplink: queue file: %w", err)
	}
	if len(q.items) > 0 {
		q.ready <- struct{}{}
	}
	return q, nil
}

// push numbers ev and appends it, dropping the oldest event when the queue
// is full.
func (q *eventQueue) push(ev queuedEvent) {
	q.mu.Lock()
	defer q.mu.Unlock()
	ev.seq = q.nextSeq
	q.nextSeq++
	q.pushLocked(ev)
	if q.w != nil {
		b, err := q.appendJournal(ev)
		if err == nil {
			b = append(b, '\n')
			_, err = q.w.Write(b)
		}
		q.journaled(err)
	}
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// pushLocked appends ev in memory. q.mu must be held.
func (q *eventQueue) pushLocked(ev queuedEvent) {
	if len(q.items) >= q.max {
		q.items[0] = queuedEvent{}
		q.items = q.items[1:]
		q.dropped++
		if q.w != nil {
			_, err := q.w.WriteString("-\n")
			q.journaled(err)
		}
		if q.dropped == 1 || q.dropped%1000 == 0 {
			q.log.Warn("uplink queue full: oldest events dropped", "dropped", q.dropped)
		}
	}
	q.items = append(q.items, ev)
}

// peek returns the oldest event without removing it.
func (q *eventQueue) peek() (queuedEvent, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return queuedEvent{}, false
	}
	return q.items[0], true
}

// pop removes the oldest event (the one peek returned, delivered).
func (q *eventQueue) pop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return
	}
	q.items[0] = queuedEvent{}
	q.items = q.items[1:]
	if len(q.items) == 0 {
		q.items = nil
	}
	if q.w == nil {
		return
	}
	if len(q.items) == 0 {
		q.journaled(q.rewriteLocked())
		return
	}
	_, err := q.w.WriteString("-\n")
	q.journaled(err)
}

// journaled counts a journal line, flushes it, and rewrites the journal
// when it has grown too long; on error the journal is abandoned. q.mu must
// be held.
func (q *eventQueue) journaled(err error) {
	if q.w == nil {
		return
	}
	if err == nil {
		q.lines++
		err = q.w.Flush()
	}
	if err == nil && q.lines > 4*q.max+16 {
		err = q.rewriteLocked()
	}
	if err != nil {
		q.log.Error("uplink queue file failed; the queue goes on in memory only", "err", err)
		q.f.Close()
		q.f, q.w = nil, nil
	}
}

// rewriteLocked replaces the journal's content by the current items. q.mu
// must be held.
func (q *eventQueue) rewriteLocked() error {
	if err := q.f.Truncate(0); err != nil {
		return err
	}
	if _, err := q.f.Seek(0, 0); err != nil {
		return err
	}
	q.w.Reset(q.f)
	q.lines = 0
	for _, ev := range q.items {
		b, err := q.appendJournal(ev)
		if err != nil {
			return err
		}
		if _, err := q.w.Write(append(b, '\n')); err != nil {
			return err
		}
		q.lines++
	}
	return q.w.Flush()
}

// appendJournal returns the journal line of ev without its newline: "+"
// and a PUBLISH carrying ev's stream and number.
func (q *eventQueue) appendJournal(ev queuedEvent) ([]byte, error) {
	return wamp.JSON.AppendMessage([]byte{'+'}, &wamp.Publish{Request: 1, Options: q.pubSeq(ev), Topic: ev.topic, Payload: ev.p})
}

// pubSeq returns the options that number ev (see [wamp.PubSeqKey]).
func (q *eventQueue) pubSeq(ev queuedEvent) wamp.Dict {
	return wamp.Dict{wamp.PubSeqKey: wamp.List{uint64(q.stream), uint64(ev.seq)}}
}

// len returns the number of events waiting and the number dropped.
func (q *eventQueue) len() (int, uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items), q.dropped
}

// close closes the journal (its content stays for the next run).
func (q *eventQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.f != nil {
		q.w.Flush()
		q.f.Close()
		q.f, q.w = nil, nil
	}
}
