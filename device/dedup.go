package device

import (
	"sync"
	"sync/atomic"

	"github.com/edgewamp/edgewamp/wamp"
)

// dedupStreams bounds the streams a [Deduplicator] remembers; the least
// recently used is forgotten first.
const dedupStreams = 256

// Deduplicator drops repeated numbered events: events whose details carry
// a [wamp.PubSeqKey] pair (stream, seq) with seq not above the last one
// seen on that stream. Gateways number the events they forward from their
// store-and-forward queue and resend one whose acknowledgement was lost; a
// router that knows the numbering delivers each once, but one that was
// restarted meanwhile, or does not know it, delivers the resent copy too.
// Wrap the handlers of subscriptions that must see each reading once;
// events without the pair pass through. One Deduplicator may wrap several
// handlers (a stream is one gateway queue, whatever the topic) and outlives
// reconnections when the same wrapped handler is used on each session.
// The zero value is ready to use. It is safe for concurrent use.
type Deduplicator struct {
	mu      sync.Mutex
	clock   uint64
	last    map[wamp.ID]dedupEntry // by stream
	repeats atomic.Uint64
}

type dedupEntry struct {
	seq  wamp.ID
	used uint64
}

// NewDeduplicator returns an empty Deduplicator.
func NewDeduplicator() *Deduplicator {
	return &Deduplicator{last: make(map[wamp.ID]dedupEntry)}
}

// Wrap returns a handler that calls h once per numbered event, dropping
// repeats (counted in [Deduplicator.Repeats]), and for every event without
// a number.
func (d *Deduplicator) Wrap(h EventHandler) EventHandler {
	return func(ev *Event) {
		if d.Repeat(ev.Details) {
			return
		}
		h(ev)
	}
}

// Repeat records the numbering in details, if any, and reports whether it
// was seen already (a repeat, counted).
func (d *Deduplicator) Repeat(details wamp.Dict) bool {
	stream, seq, ok, _ := wamp.PubSeq(details)
	if !ok {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last == nil {
		d.last = make(map[wamp.ID]dedupEntry)
	}
	d.clock++
	e, known := d.last[stream]
	if known && seq <= e.seq {
		e.used = d.clock
		d.last[stream] = e
		d.repeats.Add(1)
		return true
	}
	if !known && len(d.last) >= dedupStreams {
		var oldest wamp.ID
		at := ^uint64(0)
		for k, e := range d.last {
			if e.used < at {
				oldest, at = k, e.used
			}
		}
		delete(d.last, oldest)
	}
	d.last[stream] = dedupEntry{seq: seq, used: d.clock}
	return false
}

// Repeats returns how many repeated events were dropped.
func (d *Deduplicator) Repeats() uint64 { return d.repeats.Load() }
