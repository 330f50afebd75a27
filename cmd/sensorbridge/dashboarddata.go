package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// procedureList lists the first realm's registrations, {"procedure",
// "match", "callees": [session IDs]} each, ordered by procedure, asked of
// the router's meta API through sensorbridge's own session (which may call
// everything); nil while that session is not joined or on an error.
func (gw *gateway) procedureList(ctx context.Context) wamp.List {
	c := gw.local.Load()
	if c == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	res, err := c.Call(ctx, "wamp.registration.list", wamp.Payload{}, nil)
	if err != nil || len(res.Args) == 0 {
		return nil
	}
	lists, _ := res.Args[0].(wamp.Dict)
	var out wamp.List
	for _, match := range []string{"exact", "prefix", "wildcard"} {
		ids, _ := lists[match].(wamp.List)
		for _, id := range ids {
			get, err := c.Call(ctx, "wamp.registration.get", wamp.Payload{Args: wamp.List{id}}, nil)
			if err != nil || len(get.Args) == 0 {
				continue // unregistered meanwhile
			}
			d, _ := get.Args[0].(wamp.Dict)
			callees := wamp.List{}
			if cs, err := c.Call(ctx, "wamp.registration.list_callees", wamp.Payload{Args: wamp.List{id}}, nil); err == nil && len(cs.Args) > 0 {
				callees, _ = cs.Args[0].(wamp.List)
			}
			out = append(out, wamp.Dict{"procedure": d["uri"], "match": match, "callees": callees})
		}
	}
	slices.SortFunc(out, func(a, b any) int {
		pa, _ := a.(wamp.Dict)["procedure"].(string)
		pb, _ := b.(wamp.Dict)["procedure"].(string)
		return strings.Compare(pa, pb)
	})
	return out
}

// serialList lists each serial line's link counters, for /stats and the
// page.
func (gw *gateway) serialList() wamp.List {
	out := wamp.List{}
	for _, l := range gw.listeners {
		st, ok := l.SerialStats()
		if !ok {
			continue
		}
		out = append(out, wamp.Dict{"url": l.URL(), "frames_in": st.FramesIn, "frames_out": st.FramesOut,
			"bytes_in": st.BytesIn, "bytes_out": st.BytesOut, "crc_errors": st.CRCErrors, "cobs_errors": st.COBSErrors,
			"retransmissions": st.Retransmissions, "duplicates": st.Duplicates, "peer_restarts": st.Restarts,
			"handshakes": st.Handshakes, "resets": st.Resets})
	}
	return out
}
