package minirouter

import (
	"log/slog"
	"maps"
	"slices"

	"github.com/edgewamp/edgewamp/wamp"
)

// Event retention (WAMP advanced profile): a PUBLISH with options.retain
// makes its event the topic's retained event, sent to a later subscriber
// that asks with options.get_retained (MQTT's "last known value").
// Retention is best effort and bounded per realm.
const (
	// DefaultMaxRetained is the default number of topics with a retained
	// event per realm.
	DefaultMaxRetained = 1024
	// DefaultMaxRetainedBytes is the default budget of retained payloads
	// per realm (their MessagePack size).
	DefaultMaxRetainedBytes = 1 << 20
)

// retainedEvent is a topic's retained event with what decides who may get
// it: a subscriber receives it only if it would have received the event
// when it was published.
type retainedEvent struct {
	pub       wamp.ID
	payload   wamp.Payload
	details   wamp.Dict // as delivered to exact subscribers (publisher identification, numbering)
	filter    publishFilter
	publisher wamp.ID // for exclude_me
	size      int     // the payload's MessagePack size, counted against the budget
}

// retain keeps the event as topic's retained event, replacing the
// previous one. An event that does not fit in the realm's budget is not
// retained (it was delivered all the same); that is counted and logged.
// rl.mu must be held.
func (rl *realm) retain(s *session, topic wamp.URI, pub wamp.ID, p wamp.Payload, details wamp.Dict, f *publishFilter) {
	size := payloadSize(p)
	old := rl.retained[topic]
	bytes, count := rl.retainedBytes+size, len(rl.retained)+1
	if old != nil {
		bytes -= old.size
		count--
	}
	if bytes > rl.maxRetainedBytes || count > rl.maxRetained {
		n := rl.r.stats.retainRefused.Add(1)
		if line := "event not retained: the realm's retention budget is full"; rl.allowLog(line) {
			rl.logLater(slog.LevelWarn, line, "realm", rl.name,
				"topic", topic, "size", size, "retained_topics", len(rl.retained), "retained_bytes", rl.retainedBytes,
				"total_refused", n)
		}
		return
	}
	if rl.retained == nil {
		rl.retained = make(map[wamp.URI]*retainedEvent)
	}
	rl.retained[topic] = &retainedEvent{pub: pub, payload: p, details: details, filter: *f, publisher: s.id, size: size}
	rl.retainedBytes = bytes
}

// payloadSize returns the MessagePack size of p, the measure of the
// retention budget (whatever the subscribers' serializers).
func payloadSize(p wamp.Payload) int {
	b, err := wamp.MsgPack.AppendMessage(nil, &wamp.Event{Subscription: 1, Publication: 1, Details: wamp.Dict{}, Payload: p})
	if err != nil {
		return 1 << 30 // not encodable: never fits
	}
	return len(b)
}

// sendRetained sends s the retained events of sub's topic, or of every
// topic its pattern matches (in topic order), that s is eligible for, with
// details.retained set. rl.mu must be held.
func (rl *realm) sendRetained(s *session, sub *subscription) {
	var topics []wamp.URI
	if sub.match == wamp.ExactMatch {
		if rl.retained[sub.topic] != nil {
			topics = []wamp.URI{sub.topic}
		}
	} else {
		for t := range rl.retained {
			if sub.match.Match(sub.topic, t) {
				topics = append(topics, t)
			}
		}
		slices.Sort(topics)
	}
	for _, t := range topics {
		re := rl.retained[t]
		if (re.filter.excludeMe && re.publisher == s.id) || !re.filter.allows(s) {
			continue
		}
		d := make(wamp.Dict, len(re.details)+2) // details may be nil
		maps.Copy(d, re.details)
		d["retained"] = true
		if sub.match != wamp.ExactMatch {
			d["topic"] = string(t)
		}
		if err := s.conn.Send(&wamp.Event{Subscription: sub.id, Publication: re.pub, Details: d, Payload: re.payload}); err != nil {
			rl.eventFailed(s, err)
			continue
		}
		rl.r.stats.messagesOut.Add(1)
	}
}
