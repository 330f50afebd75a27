package minirouter

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// MaxTopicsListed is how many distinct topics [SessionInfo.Topics] lists
// per session: the first ones it published to. Publications to other
// topics are counted in [SessionInfo.OtherTopicPublications].
const MaxTopicsListed = 32

// Transport kinds of [SessionInfo.Transport] set by the router itself.
const (
	// TransportInProcess is the kind of a session of [Router.Connect] and
	// [Router.ConnectPeer].
	TransportInProcess = "inproc"
)

// transportKey is the context key of [WithTransport].
type transportKey struct{}

// WithTransport returns a copy of ctx that names the transport kind of the
// sessions attached with it ("rs", "rss", "unix", "ws", "wss", "uni",
// "serial": a listener's URL scheme), which [Router.Attach] records as
// [SessionInfo.Transport]. A listener makes one such context and attaches
// all its sessions with it; it carries no deadline or cancellation of its
// own.
func WithTransport(ctx context.Context, kind string) context.Context {
	return context.WithValue(ctx, transportKey{}, &kind) // its sessions keep the pointer (see sessionMeta)
}

// transportOf returns the kind WithTransport put in ctx, or nil.
func transportOf(ctx context.Context) *string {
	kind, _ := ctx.Value(transportKey{}).(*string)
	return kind
}

// sessionMeta is what a session's [SessionInfo] shows beyond its identity:
// the transport kind and join time (set before the session is visible,
// then read-only) and the topics it published to. The topic set is
// written only by the session's reader (outside realm.mu) and replaced
// whole when it grows, so readers load it without a lock; the routing path
// pays a map lookup and, past the listed topics, an atomic add.
type sessionMeta struct {
	kind   *string                  // WithTransport's, shared by the sessions of a listener; nil: none
	since  int64                    // Unix nanoseconds of the join
	topics atomic.Pointer[topicSet] // nil until the first publication
}

// topicSet is an immutable set of topics, in the order first published,
// and, once full, the count of publications to other topics.
type topicSet struct {
	has    map[wamp.URI]struct{}
	order  []string
	others atomic.Uint64 // publications to topics not listed (the set is full: never replaced again)
}

// start starts the meta of a session joining now over kind.
func (m *sessionMeta) start(kind *string) {
	m.kind, m.since = kind, time.Now().UnixNano()
}

// published notes a publication to topic that the broker accepted (a
// valid topic the session may publish to). Only the session's reader
// calls it.
func (m *sessionMeta) published(topic wamp.URI) {
	cur := m.topics.Load()
	if cur != nil {
		if _, ok := cur.has[topic]; ok {
			return
		}
		if len(cur.order) >= MaxTopicsListed {
			cur.others.Add(1)
			return
		}
	}
	next := &topicSet{has: make(map[wamp.URI]struct{}, 1)}
	if cur != nil {
		next.order = make([]string, len(cur.order), len(cur.order)+1)
		copy(next.order, cur.order)
		for t := range cur.has {
			next.has[t] = struct{}{}
		}
	}
	t := strings.Clone(string(topic)) // not tied to the message's memory
	next.has[wamp.URI(t)] = struct{}{}
	next.order = append(next.order, t)
	m.topics.Store(next)
}

// fill copies the meta into info.
func (m *sessionMeta) fill(info *SessionInfo) {
	if m.kind != nil {
		info.Transport = *m.kind
	}
	info.Since = time.Unix(0, m.since)
	if ts := m.topics.Load(); ts != nil {
		info.Topics = slices.Clone(ts.order)
		info.OtherTopicPublications = ts.others.Load()
	}
}
