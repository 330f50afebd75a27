package minirouter

import (
	"cmp"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// Event history (WAMP advanced profile): the broker keeps the events
// published to the topics of a realm's history rules, and
// wamp.subscription.get_events(subscription, limit) returns those of the
// topics a subscription matches, so that a subscriber can catch up on what
// it missed (after a reconnect, say). History is kept per topic rule, not
// per subscription, so events published while nobody is subscribed are
// kept too (the spec's "dummy subscriptions" are not needed), and a
// subscription made after a restart finds them.
const (
	// DefaultHistoryLimit is the default number of events a history rule keeps.
	DefaultHistoryLimit = 100
	// DefaultMaxHistoryBytes is the default budget of a realm's history
	// (the events' MessagePack size).
	DefaultMaxHistoryBytes = 1 << 20
	// historyFlushInterval is how often a realm's history is written to
	// its file when it changed.
	historyFlushInterval = time.Second
)

// HistoryRule selects topics whose events the broker keeps for
// wamp.subscription.get_events. An event is kept by the first rule of its
// realm that matches its topic.
type HistoryRule struct {
	// Topic is the URI or pattern; required.
	Topic wamp.URI
	// Match is its match policy: exact (the default, also ""), prefix or wildcard.
	Match wamp.MatchPolicy
	// Limit is the number of events kept (the oldest go first). Default 100.
	Limit int
	// MaxAge, when positive, drops events older than it. Default: no age limit.
	MaxAge time.Duration
}

// HistoryStats describes a realm's event history (see [Router.HistoryStats]).
type HistoryStats struct {
	Events  int    // events kept now
	Bytes   int    // their MessagePack size
	Evicted uint64 // events dropped before their rule's Limit or MaxAge to fit MaxHistoryBytes
	Refused uint64 // events larger than MaxHistoryBytes, never kept
	// FileErrors counts failed writes (and a damaged file found at start).
	FileErrors uint64
}

// storedEvent is one kept event, immutable once stored.
type storedEvent struct {
	seq     uint64 // storage order across the realm's rules
	at      time.Time
	topic   wamp.URI
	pub     wamp.ID
	details wamp.Dict // as delivered to exact subscribers
	payload wamp.Payload
	filter  publishFilter // authid/authrole black and white lists only
	size    int
}

// historyRule is a rule and its events, oldest first.
type historyRule struct {
	HistoryRule
	events []*storedEvent
}

// history is a realm's event history. It is guarded by the realm's mu.
type history struct {
	rules    []*historyRule
	maxBytes int
	bytes    int
	seq      uint64
	file     string // "" for memory only
	dirty    bool   // changed since the last write
	stats    HistoryStats
}

// newHistory checks the rules and returns the realm's history, nil when
// it has no rules.
func newHistory(rc RealmConfig) (*history, error) {
	if len(rc.History) == 0 {
		if rc.HistoryFile != "" {
			return nil, fmt.Errorf("minirouter: realm %s: HistoryFile without History rules", rc.Name)
		}
		return nil, nil
	}
	h := &history{maxBytes: cmp.Or(rc.MaxHistoryBytes, DefaultMaxHistoryBytes), file: rc.HistoryFile}
	for i, r := range rc.History {
		r.Match = cmp.Or(r.Match, wamp.ExactMatch)
		if !validPattern(r.Topic, r.Match) {
			return nil, fmt.Errorf("minirouter: realm %s: history rule %d: invalid topic %q for match %q",
				rc.Name, i, r.Topic, r.Match)
		}
		if r.Limit < 0 || r.MaxAge < 0 || rc.MaxHistoryBytes < 0 {
			return nil, fmt.Errorf("minirouter: realm %s: history rule %d: negative bound", rc.Name, i)
		}
		r.Limit = cmp.Or(r.Limit, DefaultHistoryLimit)
		h.rules = append(h.rules, &historyRule{HistoryRule: r})
	}
	return h, nil
}

// ruleFor returns the first rule matching topic, or nil.
func (h *history) ruleFor(topic wamp.URI) *historyRule {
	for _, r := range h.rules {
		if r.Match.Match(r.Topic, topic) {
			return r
		}
	}
	return nil
}

// recordHistory keeps an event published to topic when a rule wants it.
// Events filtered by session ID (exclude, eligible) are not kept, as the
// spec says: session IDs do not outlive their sessions. rl.mu must be held.
func (rl *realm) recordHistory(topic wamp.URI, pub wamp.ID, p wamp.Payload, details wamp.Dict, f *publishFilter) {
	h := rl.hist
	if h == nil || f.exclude != nil || f.eligible != nil {
		return
	}
	r := h.ruleFor(topic)
	if r == nil {
		return
	}
	ev := &storedEvent{at: time.Now(), topic: topic, pub: pub, details: details, payload: p,
		filter: publishFilter{excludeAuthID: f.excludeAuthID, excludeAuthRole: f.excludeAuthRole,
			eligibleAuthID: f.eligibleAuthID, eligibleAuthRole: f.eligibleAuthRole}}
	ev.size = payloadSize(p) + len(topic)
	if ev.size > h.maxBytes {
		h.stats.Refused++
		if line := "event not kept in history: larger than the realm's MaxHistoryBytes"; rl.allowLog(line) {
			rl.logLater(slog.LevelWarn, line, "realm", rl.name, "topic", topic, "size", ev.size,
				"max_bytes", h.maxBytes, "total_refused", h.stats.Refused)
		}
		return
	}
	h.add(r, ev)
	if evicted := h.fit(); evicted > 0 {
		if line := "history events evicted: the realm's MaxHistoryBytes is full"; rl.allowLog(line) {
			rl.logLater(slog.LevelWarn, line, "realm", rl.name, "evicted", evicted,
				"total_evicted", h.stats.Evicted, "bytes", h.bytes)
		}
	}
}

// add appends ev to r, then applies r's Limit and MaxAge.
func (h *history) add(r *historyRule, ev *storedEvent) {
	h.seq++
	ev.seq = h.seq
	r.events = append(r.events, ev)
	h.bytes += ev.size
	h.stats.Events++
	h.dirty = true
	n := max(len(r.events)-r.Limit, 0)
	if r.MaxAge > 0 {
		cutoff := ev.at.Add(-r.MaxAge)
		for n < len(r.events) && r.events[n].at.Before(cutoff) {
			n++
		}
	}
	h.dropOldest(r, n)
}

// dropOldest removes r's n oldest events.
func (h *history) dropOldest(r *historyRule, n int) {
	if n == 0 {
		return
	}
	for _, ev := range r.events[:n] {
		h.bytes -= ev.size
	}
	h.stats.Events -= n
	r.events = slices.Delete(r.events, 0, n)
	h.dirty = true
}

// fit evicts the realm's oldest events until the history fits its byte
// budget, and returns how many went.
func (h *history) fit() int {
	evicted := 0
	for h.bytes > h.maxBytes {
		var oldest *historyRule
		for _, r := range h.rules {
			if len(r.events) > 0 && (oldest == nil || r.events[0].seq < oldest.events[0].seq) {
				oldest = r
			}
		}
		h.dropOldest(oldest, 1)
		evicted++
	}
	h.stats.Evicted += uint64(evicted)
	return evicted
}

// expire drops the events older than their rule's MaxAge.
func (h *history) expire(now time.Time) {
	for _, r := range h.rules {
		if r.MaxAge <= 0 {
			continue
		}
		n := 0
		for n < len(r.events) && r.events[n].at.Before(now.Add(-r.MaxAge)) {
			n++
		}
		h.dropOldest(r, n)
	}
}

// HistoryStats returns the event history figures of the named realm (zero
// when it has no history rules or does not exist). Safe for concurrent use.
func (r *Router) HistoryStats(realm wamp.URI) HistoryStats {
	rl := r.realms[realm]
	if rl == nil {
		return HistoryStats{}
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.hist == nil {
		return HistoryStats{}
	}
	st := rl.hist.stats
	st.Bytes = rl.hist.bytes
	return st
}
