package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// statsProcedure is the procedure, in the first realm, that returns the
// gateway's counters (an uplink rule may export it upstream).
const statsProcedure wamp.URI = "sensorbridge.stats"

// serveStats registers statsProcedure through an in-process session and
// serves it until ctx is done or the router shuts down. ul may be nil.
func serveStats(ctx context.Context, r *minirouter.Router, ul *minirouter.Uplink, realm wamp.URI, log *slog.Logger) {
	t, err := r.Connect(ctx)
	if err != nil {
		return
	}
	c, err := device.NewClient(ctx, t, device.Config{Realm: realm, Logger: log})
	if err != nil {
		log.Error("stats procedure: join", "err", err)
		return
	}
	defer c.Close()
	_, err = c.Register(ctx, statsProcedure, func(context.Context, *device.Invocation) (wamp.Payload, error) {
		return wamp.Payload{Kwargs: statsDict(r, ul)}, nil
	}, nil)
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

// statsDict is the statsProcedure result: {"router": {...}, "uplink": {...}}.
func statsDict(r *minirouter.Router, ul *minirouter.Uplink) wamp.Dict {
	s := r.Stats()
	d := wamp.Dict{"router": wamp.Dict{
		"sessions":            s.Sessions,
		"sessions_total":      s.SessionsTotal,
		"messages_in":         s.MessagesIn,
		"messages_out":        s.MessagesOut,
		"events_dropped":      s.EventsDropped,
		"invocations_refused": s.InvocationsRefused,
		"protocol_violations": s.ProtocolViolations,
		"slow_disconnects":    s.SlowDisconnects,
		"calls_timed_out":     s.CallsTimedOut,
		"handshake_failures":  s.HandshakeFailures,
	}}
	if ul != nil {
		u := ul.Stats()
		d["uplink"] = wamp.Dict{
			"state":          u.State,
			"joins":          u.Joins,
			"reconnects":     u.Reconnects,
			"dial_errors":    u.DialErrors,
			"apply_errors":   u.ApplyErrors,
			"queued":         u.Queued,
			"queue_dropped":  u.QueueDropped,
			"events_up":      u.EventsUp,
			"events_down":    u.EventsDown,
			"publish_errors": u.PublishErrors,
			"calls_in":       u.CallsIn,
			"calls_out":      u.CallsOut,
			"exported":       u.Exported,
		}
	}
	return d
}
