package main

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/uplink"
	"github.com/edgewamp/edgewamp/wamp"
)

// statsProcedure is the procedure, in the first realm, that returns the
// gateway's counters (an uplink rule may export it upstream).
const statsProcedure wamp.URI = "sensorbridge.stats"

// gateway is what the stats procedure and the dashboard report on.
type gateway struct {
	r         *minirouter.Router
	ul        *uplink.Uplink // nil without an uplink
	uplinkURL string         // the upstream router's URL, shown on the page
	listeners []*listen.Listener
	started   time.Time
	local     atomic.Pointer[device.Client] // the stats procedure's session, once joined
	realm     minirouter.RealmConfig        // the first realm, as the router has it
	history   []wamp.URI                    // the realms with event history rules
}

// serveStats registers statsProcedure and permissionsProcedure through an
// in-process session (with creds) and serves them until ctx is done or the
// router shuts down.
func serveStats(ctx context.Context, gw *gateway, realm wamp.URI, creds device.Credentials, log *slog.Logger) {
	t, err := gw.r.Connect(ctx)
	if err != nil {
		return
	}
	c, err := device.NewClient(ctx, t, device.Config{Realm: realm, Logger: log, Auth: creds})
	if err != nil {
		log.Error("stats procedure: join", "err", err)
		return
	}
	defer c.Close()
	gw.local.Store(c)
	defer gw.local.CompareAndSwap(c, nil)
	// The permissions procedure first: whoever sees the stats procedure
	// registered finds it too.
	_, err = c.Register(ctx, permissionsProcedure, gw.permissions, &device.RegisterOptions{DiscloseCaller: true})
	if err == nil {
		_, err = c.Register(ctx, statsProcedure, func(context.Context, *device.Invocation) (wamp.Payload, error) {
			return wamp.Payload{Kwargs: gw.statsDict()}, nil
		}, nil)
	}
	if err != nil {
		if !errors.Is(err, device.ErrSessionClosed) && ctx.Err() == nil {
			log.Error("stats procedure: register", "err", err)
		}
		return
	}
	select {
	case <-ctx.Done():
	case <-c.Done():
	}
}

// routerDict is the router's part of /stats: every field of
// minirouter.Stats (TestEveryRouterStatShown checks).
func routerDict(s *minirouter.Stats) wamp.Dict {
	return wamp.Dict{
		"sessions":                  s.Sessions,
		"sessions_total":            s.SessionsTotal,
		"messages_in":               s.MessagesIn,
		"messages_out":              s.MessagesOut,
		"events_dropped":            s.EventsDropped,
		"invocations_refused":       s.InvocationsRefused,
		"protocol_violations":       s.ProtocolViolations,
		"slow_disconnects":          s.SlowDisconnects,
		"calls_timed_out":           s.CallsTimedOut,
		"handshake_failures":        s.HandshakeFailures,
		"auth_failures":             s.AuthFailures,
		"auth_throttled":            s.AuthThrottled,
		"authorization_denials":     s.AuthorizationDenials,
		"limit_refusals":            s.LimitRefusals,
		"requests_held":             s.RequestsHeld,
		"publishes_paced":           s.PublishesPaced,
		"publications_deduplicated": s.PublicationsDeduplicated,
		"publishes_refused":         s.PublishesRefused,
		"retain_refused":            s.RetainRefused,
		"testaments_published":      s.TestamentsPublished,
		"stream_chunks_dropped":     s.StreamChunksDropped,
		"budget_refusals":           s.BudgetRefusals,
		"long_uris":                 s.LongURIs,
		"memory_held":               s.MemoryHeld,
	}
}

// statsDict is the statsProcedure result: {"router": {...}, "listeners":
// [...], "uplink": {...}, "uptime_seconds": n}.
func (gw *gateway) statsDict() wamp.Dict {
	s := gw.r.Stats()
	listeners := make(wamp.List, len(gw.listeners))
	for i, l := range gw.listeners {
		listeners[i] = listenerDict(l)
	}
	d := wamp.Dict{"listeners": listeners, "serial": gw.serialList(), "uptime_seconds": int64(time.Since(gw.started).Seconds()), "router": routerDict(&s)}
	if len(gw.history) > 0 {
		h := wamp.Dict{}
		for _, realm := range gw.history {
			st := gw.r.HistoryStats(realm)
			h[string(realm)] = wamp.Dict{"events": int64(st.Events), "bytes": int64(st.Bytes), "evicted": st.Evicted,
				"refused": st.Refused, "file_errors": st.FileErrors}
		}
		d["history"] = h
	}
	if gw.ul != nil {
		u := gw.ul.Stats()
		d["uplink"] = wamp.Dict{
			"url":                gw.uplinkURL,
			"state":              u.State,
			"joins":              u.Joins,
			"reconnects":         u.Reconnects,
			"dial_errors":        u.DialErrors,
			"apply_errors":       u.ApplyErrors,
			"queued":             u.Queued,
			"queue_dropped":      u.QueueDropped,
			"queue_memory_only":  u.QueueMemoryOnly,
			"queue_file_damaged": u.QueueFileDamaged,
			"events_up":          u.EventsUp,
			"events_down":        u.EventsDown,
			"publish_errors":     u.PublishErrors,
			"calls_in":           u.CallsIn,
			"calls_out":          u.CallsOut,
			"exported":           u.Exported,
			"last_error":         u.LastError,
			"last_error_time":    timeOrEmpty(u.LastErrorTime),
		}
	}
	return d
}

// sessionsList lists the sessions joined now, for the dashboard, ordered
// by realm and session ID.
func (gw *gateway) sessionsList() wamp.List {
	ss := gw.r.Sessions()
	slices.SortFunc(ss, func(a, b minirouter.SessionInfo) int {
		if c := strings.Compare(string(a.Realm), string(b.Realm)); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	out := make(wamp.List, len(ss))
	for i, s := range ss {
		topics := make(wamp.List, len(s.Topics))
		for j, t := range s.Topics {
			topics[j] = t
		}
		out[i] = wamp.Dict{"id": s.ID, "realm": s.Realm, "authid": s.AuthID, "authrole": s.AuthRole,
			"authmethod": s.AuthMethod, "remote": s.RemoteAddr, "events_dropped": s.EventsDropped,
			"transport": s.Transport, "since": timeOrEmpty(s.Since), "messages_in": s.MessagesIn,
			"messages_out": s.MessagesOut, "topics": topics, "other_topic_publications": s.OtherTopicPublications}
	}
	return out
}

// timeOrEmpty formats t for JSON (RFC 3339, UTC), or "" for the zero time.
func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
