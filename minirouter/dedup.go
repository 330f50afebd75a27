package minirouter

import (
	"log/slog"

	"github.com/edgewamp/edgewamp/wamp"
)

// PubSeqOption is the PUBLISH option with which a forwarding publisher (a
// gateway's uplink, package uplink) numbers its publications,
// [wamp.PubSeqKey]. This router
// delivers each (publisher, stream, seq) once: a PUBLISH whose seq is
// not above the last one seen for its publisher (authid; one for all
// anonymous sessions) and stream is acknowledged as
// usual but not delivered, and counted in [Stats].PublicationsDeduplicated.
// Delivered events carry the pair in their details, for subscribers to drop
// the repeats a restarted router could not recognise (see
// device.Deduplicator).
const PubSeqOption = wamp.PubSeqKey

// dedupStreams bounds the streams remembered per realm; the least recently
// used is forgotten first (a gateway that has been away that long resends
// nothing the router could still recognise anyway).
const dedupStreams = 1024

// dedupKey identifies one numbered stream of publications. The principal
// keeps one from suppressing another's events with a stream it has seen in
// an EVENT's details.
type dedupKey struct {
	principal string
	stream    wamp.ID
}

// dedupEntry is the last seq seen on a stream and when (a tick of the
// table's clock).
type dedupEntry struct {
	seq  wamp.ID
	used uint64
}

// dedupTable remembers the last seq of each stream, for at most max
// streams. It is guarded by its realm's mu.
type dedupTable struct {
	max   int
	clock uint64
	last  map[dedupKey]dedupEntry
}

// dedupPrincipal returns whose streams a session's numbered publications
// belong to: its authid, or "anonymous" for every anonymous session (their
// authids are drawn anew on each join, and a gateway resends after a
// rejoin; in a realm open to anonymous publishers, anyone may publish
// anything anyway).
func dedupPrincipal(s *session) string {
	if s.auth.authmethod == "anonymous" {
		return "anonymous"
	}
	return s.auth.authid
}

// duplicate records seq on (principal, stream) and reports whether it is a
// publication seen already: seq at or below the stream's last.
func (t *dedupTable) duplicate(principal string, stream, seq wamp.ID) bool {
	if t.last == nil {
		t.last = make(map[dedupKey]dedupEntry)
		if t.max == 0 {
			t.max = dedupStreams
		}
	}
	t.clock++
	k := dedupKey{principal, stream}
	e, known := t.last[k]
	if known && seq <= e.seq {
		e.used = t.clock
		t.last[k] = e
		return true
	}
	if !known && len(t.last) >= t.max {
		t.evictOldest()
	}
	t.last[k] = dedupEntry{seq: seq, used: t.clock}
	return false
}

// evictOldest forgets the least recently used stream. It scans the table,
// which only happens when a new stream arrives at a full table.
func (t *dedupTable) evictOldest() {
	var oldest dedupKey
	first := true
	var at uint64
	for k, e := range t.last {
		if first || e.used < at {
			oldest, at, first = k, e.used, false
		}
	}
	delete(t.last, oldest)
}

// duplicatePublication counts and logs (rate-limited) a numbered PUBLISH
// that was not delivered because it repeated one delivered already.
// rl.mu must be held.
func (rl *realm) duplicatePublication(s *session, m *wamp.Publish, stream, seq wamp.ID) {
	total := rl.r.stats.deduplicated.Add(1)
	if line := "repeated publication acknowledged, not delivered again"; rl.allowLog(line) {
		rl.logLater(slog.LevelInfo, line, "realm", rl.name,
			"session", s.id, "authid", s.auth.authid, "topic", m.Topic, "stream", stream, "seq", seq,
			"total_deduplicated", total)
	}
}
