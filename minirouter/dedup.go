package minirouter

import (
	"crypto/sha256"
	"encoding/binary"
	"log/slog"

	"github.com/edgewamp/edgewamp/wamp"
)

// PubSeqOption is the PUBLISH option with which a forwarding publisher (a
// gateway's uplink, package uplink) numbers its publications,
// [wamp.PubSeqKey]. This router delivers each (publisher, stream, seq)
// once: a PUBLISH whose seq is not above the last one seen for its
// publisher and stream is acknowledged as usual but not delivered, and
// counted in [Stats].PublicationsDeduplicated. The publisher is the
// authid of an authenticated session, and the session itself for an
// anonymous one: a number only ever suppresses a repeat from whoever owns
// the stream, so nobody else can silence it, and an anonymous publisher's
// repeats are recognised within its session only.
//
// Events of an authenticated publisher carry the pair in their details,
// with the stream replaced by a number derived from the authid and the
// stream (see eventStream): stable across router restarts, so that
// subscribers can drop the repeats a restarted router could not recognise
// (see device.Deduplicator), and out of reach of another publisher, whose
// events carry another stream. Events of an anonymous publisher carry no
// pair: none could be told apart from a forgery.
const PubSeqOption = wamp.PubSeqKey

// dedupStreams bounds the streams remembered per realm; the least recently
// used is forgotten first (a gateway that has been away that long resends
// nothing the router could still recognise anyway).
const dedupStreams = 1024

// principal is whose numbered streams a session publishes on: its authid,
// or, for an anonymous session (whose authid is drawn anew on each join
// and says nothing about who it is), the session.
type principal struct {
	authid  string
	session wamp.ID // set for an anonymous session only
}

// dedupKey identifies one numbered stream of publications.
type dedupKey struct {
	principal
	stream wamp.ID
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
// belong to.
func dedupPrincipal(s *session) principal {
	if s.auth.authmethod == "anonymous" {
		return principal{session: s.id}
	}
	return principal{authid: s.auth.authid}
}

// eventStream returns the stream number shown to subscribers for p's
// stream: the first 53 bits of SHA-256(authid, 0, stream), plus one, so
// that two publishers cannot show the same stream short of a second
// preimage. ok is false for an anonymous publisher, whose events carry no
// numbering.
func (p principal) eventStream(stream wamp.ID) (_ wamp.ID, ok bool) {
	if p.session != 0 {
		return 0, false
	}
	h := sha256.New()
	h.Write([]byte(p.authid))
	h.Write(binary.BigEndian.AppendUint64([]byte{0}, uint64(stream)))
	sum := h.Sum(nil)
	return wamp.ID(binary.BigEndian.Uint64(sum)%uint64(wamp.MaxID)) + 1, true
}

// duplicate records seq on (principal, stream) and reports whether it is a
// publication seen already: seq at or below the stream's last.
func (t *dedupTable) duplicate(p principal, stream, seq wamp.ID) bool {
	if t.last == nil {
		t.last = make(map[dedupKey]dedupEntry)
		if t.max == 0 {
			t.max = dedupStreams
		}
	}
	t.clock++
	k := dedupKey{p, stream}
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
