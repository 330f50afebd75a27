package minirouter

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// subscription is one (topic, match) pair and its subscribers; all sessions
// subscribing to the same pair share its ID (WAMP spec).
type subscription struct {
	id          wamp.ID
	topic       wamp.URI
	match       wamp.MatchPolicy
	subscribers []*session // in subscription order
	created     time.Time
}

// errorFor builds the ERROR answer to a request.
func errorFor(t wamp.MessageType, req wamp.ID, uri wamp.URI, msg string) *wamp.ErrorMessage {
	e := &wamp.ErrorMessage{RequestType: t, Request: req, Details: wamp.Dict{}, Error: uri}
	if msg != "" {
		e.Args = wamp.List{msg}
	}
	return e
}

// validPattern checks a topic or procedure URI for its match policy:
// exact URIs have no empty component, wildcard patterns may have some, and
// a prefix is a non-empty URI that may end in an empty component ("a.b.").
func validPattern(u wamp.URI, match wamp.MatchPolicy) bool {
	switch match {
	case wamp.ExactMatch:
		return wamp.ValidURI(u, false, false)
	case wamp.PrefixMatch:
		return u != "" && wamp.ValidURI(u, false, true)
	case wamp.WildcardMatch:
		return u != "" && wamp.ValidURI(u, false, true)
	}
	return false
}

// subscribe handles SUBSCRIBE.
func (rl *realm) subscribe(s *session, m *wamp.Subscribe) {
	match, ok := optMatch(m.Options)
	if !ok {
		s.reply(errorFor(wamp.SUBSCRIBE, m.Request, wamp.ErrInvalidArgument.URI, "unknown match policy"))
		return
	}
	getRetained, ok := optBool(m.Options, "get_retained", false)
	if !ok {
		s.reply(errorFor(wamp.SUBSCRIBE, m.Request, wamp.ErrInvalidArgument.URI, "malformed get_retained"))
		return
	}
	if !validPattern(m.Topic, match) {
		s.reply(errorFor(wamp.SUBSCRIBE, m.Request, wamp.ErrInvalidURI.URI, "invalid topic"))
		return
	}
	if !rl.authorize(s, ActionSubscribe, m.Topic, match) {
		s.reply(notAuthorized(wamp.SUBSCRIBE, m.Request, ActionSubscribe, m.Topic))
		return
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if s.detached {
		return
	}
	sub, ok := rl.subs.get(m.Topic, match)
	mine := s.tables().subs
	if already := ok && mine[sub.id] != nil; !already && len(mine) >= rl.r.cfg.MaxSubscriptions {
		rl.r.stats.limitRefusals.Add(1)
		s.reply(errorFor(wamp.SUBSCRIBE, m.Request, wamp.ErrUnavailable.URI,
			fmt.Sprintf("limit: %d subscriptions per session", rl.r.cfg.MaxSubscriptions)))
		return
	}
	if !(ok && mine[sub.id] != nil) && !rl.chargeEntry(s, wamp.SUBSCRIBE, m.Request, m.Topic) {
		return
	}
	created := !ok
	if created {
		sub = &subscription{id: newID(rl.subByID), topic: m.Topic, match: match, created: time.Now()}
		rl.subs.put(m.Topic, match, sub)
		rl.subByID[sub.id] = sub
	}
	_, already := mine[sub.id]
	if !already {
		sub.subscribers = append(sub.subscribers, s)
		s.putSub(sub)
	}
	if s.reply(&wamp.Subscribed{Request: m.Request, Subscription: sub.id}) && getRetained {
		rl.sendRetained(s, sub)
	}
	if created {
		rl.metaEvent(s, "wamp.subscription.on_create", uint64(s.id), subscriptionDetails(sub))
	}
	if !already {
		rl.metaEvent(s, "wamp.subscription.on_subscribe", uint64(s.id), uint64(sub.id))
	}
}

// unsubscribe handles UNSUBSCRIBE.
func (rl *realm) unsubscribe(s *session, m *wamp.Unsubscribe) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	sub := s.tables().subs[m.Subscription]
	if sub == nil {
		s.reply(errorFor(wamp.UNSUBSCRIBE, m.Request, wamp.ErrNoSuchSubscription.URI, ""))
		return
	}
	delete(s.tabs.subs, sub.id)
	rl.releaseEntry(s, sub.topic)
	rl.dropSubscriber(sub, s)
	s.reply(&wamp.Unsubscribed{Request: m.Request})
}

// dropSubscriber removes s from sub, and sub from the realm when it is left
// without subscribers. rl.mu must be held.
func (rl *realm) dropSubscriber(sub *subscription, s *session) {
	if i := slices.Index(sub.subscribers, s); i >= 0 {
		sub.subscribers = slices.Delete(sub.subscribers, i, i+1)
	}
	rl.metaEvent(s, "wamp.subscription.on_unsubscribe", uint64(s.id), uint64(sub.id))
	if len(sub.subscribers) == 0 {
		rl.subs.del(sub.topic, sub.match)
		delete(rl.subByID, sub.id)
		rl.metaEvent(s, "wamp.subscription.on_delete", uint64(s.id), uint64(sub.id))
	}
}

// publishFilter holds PUBLISH's publisher exclusion and subscriber
// black/white listing options. A nil eligible list means everyone.
type publishFilter struct {
	excludeMe        bool
	exclude          []wamp.ID
	excludeAuthID    []string
	excludeAuthRole  []string
	eligible         []wamp.ID
	eligibleAuthID   []string
	eligibleAuthRole []string
}

// parsePublishFilter reads the filter options; ok is false when one has
// the wrong type.
func parsePublishFilter(o wamp.Dict) (f publishFilter, ok bool) {
	var oks [7]bool
	f.excludeMe, oks[0] = optBool(o, "exclude_me", true)
	f.exclude, oks[1] = optIDs(o, "exclude")
	f.excludeAuthID, oks[2] = optStrings(o, "exclude_authid")
	f.excludeAuthRole, oks[3] = optStrings(o, "exclude_authrole")
	f.eligible, oks[4] = optIDs(o, "eligible")
	f.eligibleAuthID, oks[5] = optStrings(o, "eligible_authid")
	f.eligibleAuthRole, oks[6] = optStrings(o, "eligible_authrole")
	return f, !slices.Contains(oks[:], false)
}

// allows reports whether the filter lets s receive the event (exclusion
// wins over eligibility).
func (f *publishFilter) allows(s *session) bool {
	if slices.Contains(f.exclude, s.id) ||
		slices.Contains(f.excludeAuthID, s.auth.authid) ||
		slices.Contains(f.excludeAuthRole, s.auth.authrole) {
		return false
	}
	return (f.eligible == nil || slices.Contains(f.eligible, s.id)) &&
		(f.eligibleAuthID == nil || slices.Contains(f.eligibleAuthID, s.auth.authid)) &&
		(f.eligibleAuthRole == nil || slices.Contains(f.eligibleAuthRole, s.auth.authrole))
}

// publish handles PUBLISH: one EVENT per matching subscription to each of
// its eligible subscribers, encoded once per (subscription, serializer).
func (rl *realm) publish(s *session, m *wamp.Publish) {
	ack, _ := optBool(m.Options, "acknowledge", false)
	fail := func(uri wamp.URI, msg string) {
		if ack {
			s.reply(errorFor(wamp.PUBLISH, m.Request, uri, msg))
			return
		}
		// The publisher asked for no answer: counted and logged instead.
		total := rl.r.stats.publishesRefused.Add(1)
		if line := "unacknowledged PUBLISH refused"; rl.allowLog(line) {
			rl.logLater(slog.LevelWarn, line, "realm", rl.name, "session", s.id,
				"topic", string(m.Topic), "error", string(uri), "reason", msg, "total_refused", total)
		}
	}
	if !wamp.ValidURI(m.Topic, false, false) {
		fail(wamp.ErrInvalidURI.URI, "invalid topic")
		return
	}
	if reservedURI(m.Topic) {
		fail(wamp.ErrInvalidURI.URI, reservedTopic)
		return
	}
	o, ok := parsePublishOptions(m.Options)
	if !ok {
		fail(wamp.ErrInvalidArgument.URI, "malformed publish options")
		return
	}
	var msg string
	if o.ppt, msg = pptOf(m.Options, &m.Payload); msg != "" {
		fail(wamp.ErrInvalidArgument.URI, msg)
		return
	}
	if !rl.authorize(s, ActionPublish, m.Topic, wamp.ExactMatch) {
		if ack {
			s.reply(notAuthorized(wamp.PUBLISH, m.Request, ActionPublish, m.Topic))
		}
		return
	}
	s.meta.published(m.Topic)
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if s.detached {
		return
	}
	if o.numbered && rl.dedup.duplicate(dedupPrincipal(s), o.stream, o.seq) {
		rl.duplicatePublication(s, m, o.stream, o.seq)
		if ack {
			s.reply(&wamp.Published{Request: m.Request, Publication: wamp.NewGlobalID()})
		}
		return
	}
	pub := rl.publishLocked(s, m.Topic, m.Payload, &o)
	if ack {
		s.reply(&wamp.Published{Request: m.Request, Publication: pub})
	}
}

// publishOptions are the PUBLISH options the broker acts on.
type publishOptions struct {
	filter      publishFilter
	disclose    bool      // disclose_me
	retain      bool      // retain: keep as the topic's retained event
	numbered    bool      // PubSeqOption present
	stream, seq wamp.ID   // its pair
	ppt         wamp.Dict // payload passthru options, copied into the details
}

// parsePublishOptions reads PUBLISH options; ok is false when one has the
// wrong type.
func parsePublishOptions(opts wamp.Dict) (o publishOptions, ok bool) {
	f, ok1 := parsePublishFilter(opts)
	disclose, ok2 := optBool(opts, "disclose_me", false)
	stream, seq, numbered, ok3 := wamp.PubSeq(opts)
	retain, ok4 := optBool(opts, "retain", false)
	o = publishOptions{filter: f, disclose: disclose, retain: retain, numbered: numbered, stream: stream, seq: seq}
	return o, ok1 && ok2 && ok3 && ok4
}

// publishLocked delivers an event published by s to every matching
// subscription, keeps it as the topic's retained event when asked, and
// returns its publication ID. rl.mu must be held.
func (rl *realm) publishLocked(s *session, topic wamp.URI, p wamp.Payload, o *publishOptions) wamp.ID {
	var details wamp.Dict // nil while empty (encoded as {}): most readings have none
	if len(o.ppt) > 0 || o.numbered || o.disclose {
		details = make(wamp.Dict, len(o.ppt)+3)
	}
	for k, v := range o.ppt {
		details[k] = v
	}
	if o.numbered {
		if stream, ok := dedupPrincipal(s).eventStream(o.stream); ok {
			details[PubSeqOption] = wamp.List{uint64(stream), uint64(o.seq)}
		}
	}
	if o.disclose {
		details["publisher"] = uint64(s.id)
		details["publisher_authid"] = s.auth.authid
		details["publisher_authrole"] = s.auth.authrole
	}
	pub := wamp.NewGlobalID()
	// One EVENT, and one copy of the details naming the topic, serve every
	// matching subscription (see eventScratch).
	ev, own := rl.takeEvent()
	ev.Publication, ev.Payload = pub, p
	var withTopic wamp.Dict // details plus "topic", for pattern subscriptions
	rl.subs.each(topic, func(sub *subscription, match wamp.MatchPolicy) bool {
		ev.Subscription, ev.Details = sub.id, details
		if match != wamp.ExactMatch {
			if withTopic == nil {
				withTopic = rl.topicDetails(own, details, topic)
			}
			ev.Details = withTopic
		}
		rl.deliver(s, sub, ev, &o.filter)
		return true
	})
	rl.putEvent(own)
	if o.retain {
		rl.retain(s, topic, pub, p, details, &o.filter)
	}
	rl.recordHistory(topic, pub, p, details, &o.filter)
	return pub
}

// deliver sends ev to the subscribers of sub that the filter allows,
// encoding it once per serializer into a pooled buffer that the
// subscribers' queues share (peer.Shared). rl.mu must be held.
func (rl *realm) deliver(from *session, sub *subscription, ev *wamp.Event, f *publishFilter) {
	var cache [4]*peer.Shared // encoded ev by serializer ID (JSON = 1, MessagePack = 2)
	for _, to := range sub.subscribers {
		if (to == from && f.excludeMe) || !f.allows(to) || rl.sank(to, ev) {
			continue
		}
		ser := to.conn.Serializer()
		id := int(ser.ID())
		var sh *peer.Shared
		if id < len(cache) {
			sh = cache[id]
		}
		if sh == nil {
			sh = peer.NewShared()
			if err := sh.Encode(ser, ev); err != nil {
				sh.Release()
				if line := "EVENT not encodable"; rl.allowLog(line) {
					rl.logLater(slog.LevelWarn, line, "topic", sub.topic, "serializer", ser.Name(), "err", err)
				}
				continue
			}
			if id < len(cache) {
				cache[id] = sh
			}
		}
		err := to.conn.SendShared(sh)
		if id >= len(cache) {
			sh.Release()
		}
		if err != nil {
			rl.eventFailed(to, err)
			continue
		}
		rl.r.stats.messagesOut.Add(1)
	}
	for _, sh := range cache {
		if sh != nil {
			sh.Release()
		}
	}
}

// eventFailed applies the slow-consumer policy to an EVENT that could not
// be queued for s. rl.mu must be held.
func (rl *realm) eventFailed(s *session, err error) {
	switch {
	case errors.Is(err, peer.ErrClosed):
		return
	case errors.Is(err, peer.ErrQueueFull) && rl.disconnectSlow:
		s.slow("EVENT not deliverable: outbound queue full")
		return
	}
	n := s.dropped.Add(1)
	total := rl.r.stats.eventsDropped.Add(1)
	if line := "EVENTs dropped"; rl.allowLog(line) {
		rl.logLater(slog.LevelWarn, line, "realm", rl.name, "session", s.id, "remote", s.conn.RemoteAddr(),
			"session_dropped", n, "total_dropped", total, "reason", err)
	}
}
