package minirouter

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// historyQuery is the filter of one wamp.subscription.get_events call:
// Arguments [subscription, limit?], ArgumentsKw {limit, reverse, topic,
// from_time, after_time, before_time, until_time, from_publication,
// after_publication, before_publication, until_publication}, all ANDed.
type historyQuery struct {
	limit   int // 0: all
	reverse bool
	topic   wamp.URI
	// time bounds; zero: none
	fromTime, afterTime, beforeTime, untilTime time.Time
	// publication bounds; 0: none
	fromPub, afterPub, beforePub, untilPub wamp.ID
}

// parseHistoryQuery reads the call's arguments after the subscription ID;
// msg says what is wrong when ok is false.
func parseHistoryQuery(m *wamp.Call) (q historyQuery, msg string) {
	kw := m.Kwargs
	limit, ok := optInt(kw, "limit", 0)
	if len(m.Args) > 1 && m.Args[1] != nil && kw["limit"] == nil {
		limit, ok = optInt(wamp.Dict{"limit": m.Args[1]}, "limit", 0)
	}
	if !ok {
		return q, "limit must be a positive integer"
	}
	q.limit = int(min(limit, 1<<30))
	var okReverse, okTopic bool
	q.reverse, okReverse = optBool(kw, "reverse", false)
	topic, okTopic := optString(kw, "topic", "")
	if !okReverse || !okTopic {
		return q, "reverse must be a boolean and topic a string"
	}
	q.topic = wamp.URI(topic)
	for _, t := range [...]struct {
		key string
		to  *time.Time
	}{{"from_time", &q.fromTime}, {"after_time", &q.afterTime}, {"before_time", &q.beforeTime}, {"until_time", &q.untilTime}} {
		s, ok := optString(kw, t.key, "")
		if !ok {
			return q, t.key + " must be an RFC 3339 timestamp"
		}
		if s == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return q, t.key + " must be an RFC 3339 timestamp"
		}
		*t.to = v
	}
	for _, p := range [...]struct {
		key string
		to  *wamp.ID
	}{{"from_publication", &q.fromPub}, {"after_publication", &q.afterPub},
		{"before_publication", &q.beforePub}, {"until_publication", &q.untilPub}} {
		v := kw[p.key]
		if v == nil {
			continue
		}
		id, ok := wamp.ToID(v)
		if !ok {
			return q, p.key + " must be a publication ID"
		}
		*p.to = id
	}
	return q, ""
}

// timeOK applies the time bounds.
func (q *historyQuery) timeOK(at time.Time) bool {
	return (q.fromTime.IsZero() || !at.Before(q.fromTime)) &&
		(q.afterTime.IsZero() || at.After(q.afterTime)) &&
		(q.beforeTime.IsZero() || at.Before(q.beforeTime)) &&
		(q.untilTime.IsZero() || !at.After(q.untilTime))
}

// pubBounds cuts evs (in order of occurrence) at the publication bounds.
// A bound whose publication is not (or no longer) in evs does not cut:
// an event evicted or expired since is older than every event kept.
func (q *historyQuery) pubBounds(evs []*storedEvent) []*storedEvent {
	at := func(id wamp.ID) int {
		return slices.IndexFunc(evs, func(ev *storedEvent) bool { return ev.pub == id })
	}
	if i := at(q.fromPub); q.fromPub != 0 && i >= 0 {
		evs = evs[i:]
	}
	if i := at(q.afterPub); q.afterPub != 0 && i >= 0 {
		evs = evs[i+1:]
	}
	if i := at(q.untilPub); q.untilPub != 0 && i >= 0 {
		evs = evs[:i+1]
	}
	if i := at(q.beforePub); q.beforePub != 0 && i >= 0 {
		evs = evs[:i]
	}
	return evs
}

// query returns the kept events of the topics sub matches that s may see,
// filtered and ordered as q asks. rl.mu must be held.
func (h *history) query(sub *subscription, s *session, q *historyQuery, now time.Time) []*storedEvent {
	h.expire(now)
	var evs []*storedEvent
	for _, r := range h.rules {
		for _, ev := range r.events {
			if sub.match.Match(sub.topic, ev.topic) && (q.topic == "" || q.topic == ev.topic) &&
				ev.filter.allows(s) && q.timeOK(ev.at) {
				evs = append(evs, ev)
			}
		}
	}
	sortBySeq(evs)
	evs = q.pubBounds(evs)
	if q.reverse {
		slices.Reverse(evs)
	}
	if q.limit > 0 && len(evs) > q.limit {
		evs = evs[:q.limit]
	}
	return evs
}

// subscriptionGetEvents implements wamp.subscription.get_events: the
// caller must also be allowed to subscribe to the subscription's topic.
// The result's Arguments are the events, each {timestamp, subscription,
// publication, details, args, kwargs}; an empty list when the realm keeps
// no history for those topics.
func subscriptionGetEvents(rl *realm, s *session, m *wamp.Call) wamp.Message {
	sub, e := subscriptionOf(rl, m)
	if e != nil {
		return e
	}
	if !rl.authorize(s, ActionSubscribe, sub.topic, sub.match) {
		return notAuthorized(wamp.CALL, m.Request, ActionSubscribe, sub.topic)
	}
	q, msg := parseHistoryQuery(m)
	if msg != "" {
		return badMetaArgument(m, msg)
	}
	list := wamp.List{}
	if rl.hist != nil {
		for _, ev := range rl.hist.query(sub, s, &q, time.Now()) {
			list = append(list, historyItem(sub, ev))
		}
	}
	return &wamp.Result{Request: m.Request, Details: wamp.Dict{}, Payload: wamp.Payload{Args: list}}
}

// historyItem is one event of get_events' result.
func historyItem(sub *subscription, ev *storedEvent) wamp.Dict {
	d := maps.Clone(ev.details)
	if d == nil {
		d = wamp.Dict{}
	}
	if sub.match != wamp.ExactMatch {
		d["topic"] = string(ev.topic)
	}
	item := wamp.Dict{
		"timestamp":    ev.at.UTC().Format(time.RFC3339Nano),
		"subscription": uint64(sub.id),
		"publication":  uint64(ev.pub),
		"details":      d,
	}
	if ev.payload.Args != nil {
		item["args"] = ev.payload.Args
	}
	if ev.payload.Kwargs != nil {
		item["kwargs"] = ev.payload.Kwargs
	}
	return item
}

// sortBySeq puts events in order of occurrence.
func sortBySeq(evs []*storedEvent) {
	slices.SortFunc(evs, func(a, b *storedEvent) int { return cmp.Compare(a.seq, b.seq) })
}
