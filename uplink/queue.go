package uplink

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// journalRetry is how often a journal that could not be written (a full
// disk) is tried again.
const journalRetry = 250 * time.Millisecond

// queuedEvent is one event waiting to go up: its upstream topic, payload,
// and number in the queue's stream (see [wamp.PubSeqKey]).
type queuedEvent struct {
	topic wamp.URI
	p     wamp.Payload
	seq   wamp.ID
	ppt   wamp.Dict // payload passthru options; nil: none
}

// queueStats is a snapshot of an eventQueue's counters.
type queueStats struct {
	queued     int    // events waiting
	dropped    uint64 // events dropped from the full queue
	memoryOnly int    // events waiting that the journal does not hold (it cannot be written)
	damaged    uint64 // journal records found damaged at open: skipped
}

// eventQueue is the uplink's bounded store-and-forward FIFO. When full, a
// push drops the oldest event and counts it. Events are numbered from 1 in
// a stream with a random ID, which a resend repeats so that an upstream that
// knows [wamp.PubSeqKey] delivers each once.
//
// With a file it keeps a journal (journal.go) from which a restarted
// gateway recovers the events not yet delivered, and their numbering: one
// checked record per event pushed and per event gone. The journal is cut
// back to its header whenever the queue empties, and rewritten (a new file
// renamed over the old one, which stays whole should the rewrite fail) when
// it grows past four times the queue's capacity. It is not synced to disk
// on every write: it survives a process restart, not necessarily a power
// cut. When the journal cannot be written (a full disk), the queue goes on
// in memory, logs and counts the events the journal lacks, and tries every
// journalRetry to rewrite the journal whole, which it does as soon as there
// is room again. Safe for concurrent use.
type eventQueue struct {
	max    int
	log    *slog.Logger
	path   string
	stream wamp.ID // this queue's stream of numbered events (set by newEventQueue)

	mu      sync.Mutex // protects following
	nextSeq wamp.ID    // the number of the next event pushed
	items   []queuedEvent
	base    []queuedEvent // the array items lies in, from its start (see appendLocked)
	dropped uint64
	damaged uint64
	ready   chan struct{} // 1 slot: kicked when an item is pushed
	f       *os.File      // journal (appending), nil when none or closed
	buf     []byte        // the record being written
	size    int64         // bytes of whole records in the journal
	lines   int           // records in the journal
	onDisk  wamp.ID       // the highest number whose record the journal holds
	failing error         // why the journal cannot be written; nil while it is whole
	retry   *time.Timer   // while failing: the next try
}

// newEventQueue returns a queue of at most max events, recovering the
// journal at path when path is not empty. A journal with damaged records
// is kept as path+".damaged" (a hard link, where the file system has
// them) before it is rewritten without them.
func newEventQueue(max int, path string, log *slog.Logger) (*eventQueue, error) {
	q := &eventQueue{max: max, log: log, path: path, ready: make(chan struct{}, 1), stream: wamp.NewGlobalID(), nextSeq: 1}
	if path == "" {
		return q, nil
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("uplink: queue file: %w", err)
	}
	rec := readJournal(data)
	if n := len(rec.items) - max; n > 0 {
		rec.items = rec.items[n:] // drops were counted in the earlier run, or the queue is smaller now
	}
	if len(rec.items) > 0 {
		// Numbers after the last one seen, and after as many more as
		// damaged records may have held: no new event reuses a number the
		// upstream may have delivered.
		q.items, q.base, q.stream = rec.items, rec.items[:0], rec.stream
		q.nextSeq = rec.lastSeq + 1 + wamp.ID(rec.damaged)
		q.onDisk = rec.items[len(rec.items)-1].seq
	}
	if rec.damaged > 0 {
		q.damaged = uint64(rec.damaged)
		kept := path + ".damaged"
		_ = os.Remove(kept)
		if err := os.Link(path, kept); err != nil {
			kept = ""
		}
		log.Error("uplink queue file damaged: records that failed their check are skipped, never delivered; each may have been a reading, lost",
			"file", path, "damaged_records", rec.damaged, "recovered_events", len(rec.items), "kept_as", kept)
	}
	q.f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("uplink: queue file: %w", err)
	}
	q.size = int64(len(data))
	q.mu.Lock()
	if err := q.rewriteLocked(); err != nil {
		q.failLocked(err)
	}
	q.mu.Unlock()
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
	q.pushLocked(ev)
}

// pushAll pushes the events of evs in order.
func (q *eventQueue) pushAll(evs []queuedEvent) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, ev := range evs {
		q.pushLocked(ev)
	}
}

// pushLocked is push with q.mu held.
func (q *eventQueue) pushLocked(ev queuedEvent) {
	ev.seq = q.nextSeq
	q.nextSeq++
	if len(q.items) >= q.max {
		q.removeOldestLocked()
		q.dropped++
		if q.dropped == 1 || q.dropped%1000 == 0 {
			q.log.Warn("uplink queue full: oldest events dropped", "dropped", q.dropped)
		}
	}
	q.appendLocked(ev)
	if q.writable() {
		b, err := appendPushRecord(q.buf[:0], q.stream, ev)
		if err == nil && q.writeLocked(b) {
			q.onDisk = ev.seq
		}
	} else if n := q.memoryOnlyLocked(); n > 0 && n%1000 == 0 {
		q.log.Warn("uplink queue file still cannot be written", "file", q.path, "memory_only", n, "err", q.failing)
	}
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// keptQueued is the largest array (in events) an emptied queue keeps for
// the next events: a gateway forwarding thousands of readings a second
// empties its queue at every acknowledgement and fills it again at once.
const keptQueued = 512

// appendLocked appends ev to q.items. When the waiting events have reached
// the end of their array and the events removed before them left at least
// half of it free, they move to its front first: a queue that keeps filling
// and draining reuses one array. q.mu must be held.
func (q *eventQueue) appendLocked(ev queuedEvent) {
	if n := len(q.items); n == cap(q.items) && n > 0 && n <= cap(q.base)/2 {
		copy(q.base[:n], q.items)
		clear(q.base[n:cap(q.base)]) // the moved events' old places
		q.items = q.base[:n]
	}
	if len(q.items) < cap(q.items) {
		q.items = append(q.items, ev)
		return
	}
	q.items = append(q.items, ev) // a bigger array
	q.base = q.items[:0]
}

// removeOldestLocked removes the oldest event and journals it; when the
// queue is empty then, or the journal too long, the journal is rewritten.
// q.mu must be held.
func (q *eventQueue) removeOldestLocked() {
	seq := q.items[0].seq
	q.items[0] = queuedEvent{}
	q.items = q.items[1:]
	if len(q.items) == 0 {
		if cap(q.base) > keptQueued {
			q.base = nil
		}
		q.items = q.base[:0]
	}
	if !q.writable() {
		return
	}
	switch {
	case len(q.items) == 0:
		// Nothing is left: the journal is cut back to its header.
		if err := q.f.Truncate(int64(len(journalHeader) + 1)); err != nil {
			q.failLocked(err)
			return
		}
		q.size, q.lines = int64(len(journalHeader)+1), 0
	case !q.writeLocked(appendLeftRecord(q.buf[:0], seq)):
	case q.lines > 4*q.max+16:
		if err := q.rewriteLocked(); err != nil {
			q.failLocked(err)
		}
	}
}

// writable reports whether records are appended to the journal now. q.mu
// must be held.
func (q *eventQueue) writable() bool { return q.f != nil && q.failing == nil }

// writeLocked appends b, one record, to the journal; it reports false,
// having started failing, when it could not. q.mu must be held.
func (q *eventQueue) writeLocked(b []byte) bool {
	q.buf = b[:0]
	n, err := q.f.Write(b)
	if err != nil {
		if n > 0 {
			_ = q.f.Truncate(q.size) // no half record
		}
		q.failLocked(err)
		return false
	}
	q.size += int64(n)
	q.lines++
	return true
}

// failLocked notes that the journal cannot be written and schedules a
// retry. q.mu must be held.
func (q *eventQueue) failLocked(err error) {
	q.failing = err
	q.log.Error("uplink queue file cannot be written: events are kept in memory only until it can",
		"file", q.path, "memory_only", q.memoryOnlyLocked(), "err", err)
	q.retry = time.AfterFunc(journalRetry, q.retryJournal)
}

// retryJournal tries to rewrite the journal that could not be written.
func (q *eventQueue) retryJournal() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.f == nil || q.failing == nil {
		return
	}
	n := q.memoryOnlyLocked()
	if err := q.rewriteLocked(); err != nil {
		q.retry.Reset(journalRetry)
		return
	}
	q.log.Info("uplink queue file written again: every queued event is in it", "file", q.path,
		"queued", len(q.items), "were_memory_only", n, "err_was", q.failing)
	q.failing = nil
}

// memoryOnlyLocked returns how many waiting events the journal lacks. q.mu
// must be held.
func (q *eventQueue) memoryOnlyLocked() int {
	if q.f == nil || q.failing == nil {
		return 0
	}
	n := 0
	for i := len(q.items) - 1; i >= 0 && q.items[i].seq > q.onDisk; i-- {
		n++
	}
	return n
}

// rewriteLocked replaces the journal by one holding the current items: it
// writes path+".tmp" and renames it over the journal, which stays as it
// was when that fails. q.mu must be held.
func (q *eventQueue) rewriteLocked() error {
	tmp := q.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	size, err := q.writeItems(f)
	if err == nil {
		err = os.Rename(tmp, q.path)
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	q.f.Close()
	q.f, q.size, q.lines = f, size, len(q.items)
	if len(q.items) > 0 {
		q.onDisk = q.items[len(q.items)-1].seq
	}
	return nil
}

// writeItems writes the journal header and the records of the current
// items to f, in writes of about 64 KiB, and returns the bytes written.
func (q *eventQueue) writeItems(f *os.File) (int64, error) {
	b := append(q.buf[:0], journalHeader+"\n"...)
	var size int64
	for i := range q.items {
		var err error
		if b, err = appendPushRecord(b, q.stream, q.items[i]); err != nil {
			return 0, err
		}
		if len(b) >= 64<<10 || i == len(q.items)-1 {
			n, err := f.Write(b)
			if size += int64(n); err != nil {
				return 0, err
			}
			b = b[:0]
		}
	}
	if len(q.items) == 0 {
		n, err := f.Write(b)
		if size += int64(n); err != nil {
			return 0, err
		}
	}
	if cap(b) <= 128<<10 {
		q.buf = b[:0]
	} else {
		q.buf = nil
	}
	return size, nil
}

// pubSeqOf returns the options that number ev in stream.
func pubSeqOf(stream wamp.ID, ev queuedEvent) wamp.Dict {
	d := wamp.Dict{wamp.PubSeqKey: wamp.List{uint64(stream), uint64(ev.seq)}}
	for k, v := range ev.ppt {
		d[k] = v
	}
	return d
}

// stats returns the queue's counters.
func (q *eventQueue) stats() queueStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return queueStats{queued: len(q.items), dropped: q.dropped, memoryOnly: q.memoryOnlyLocked(), damaged: q.damaged}
}

// len returns the number of events waiting and the number dropped.
func (q *eventQueue) len() (int, uint64) {
	st := q.stats()
	return st.queued, st.dropped
}

// close closes the journal (its content stays for the next run).
func (q *eventQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.retry != nil {
		q.retry.Stop()
	}
	if q.f != nil {
		q.f.Close()
		q.f = nil
	}
}

// after returns the oldest event numbered above seq.
func (q *eventQueue) after(seq wamp.ID) (queuedEvent, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	i, _ := slices.BinarySearchFunc(q.items, seq+1, func(ev queuedEvent, s wamp.ID) int { return cmp.Compare(ev.seq, s) })
	if i == len(q.items) {
		return queuedEvent{}, false
	}
	return q.items[i], true
}

// popThrough removes the oldest events numbered seq or less: the event
// numbered seq has been delivered (or refused), and the ones before it
// already were, or were dropped from the full queue meanwhile.
func (q *eventQueue) popThrough(seq wamp.ID) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) > 0 && q.items[0].seq <= seq {
		q.removeOldestLocked()
	}
}
