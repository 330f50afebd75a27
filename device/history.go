package device

import (
	"context"
	"fmt"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// HistoryOptions filter [Subscription.History]; nil means every event the
// router keeps for the subscription's topics.
type HistoryOptions struct {
	// Limit, when positive, is the largest number of events returned.
	Limit int
	// AfterPublication, when set, returns only the events published after
	// that one (all of those kept when it is no longer kept): pass the
	// last publication seen to catch up after a reconnect.
	AfterPublication wamp.ID
	// AfterTime, when set, returns only the events published after it.
	AfterTime time.Time
	// Reverse returns the newest first.
	Reverse bool
}

// History asks the router for the events it kept for the subscription's
// topics (wamp.subscription.get_events, the WAMP event history), oldest
// first. Each Event has Subscription s; the router's timestamp is in
// Details["timestamp"]. The subscription handler is not called: the
// caller delivers the events it wants. A router without event history
// answers wamp.error.no_such_procedure.
func (s *Subscription) History(ctx context.Context, o *HistoryOptions) ([]*Event, error) {
	kw := wamp.Dict{}
	if o != nil {
		if o.Limit > 0 {
			kw["limit"] = o.Limit
		}
		if o.AfterPublication != 0 {
			kw["after_publication"] = uint64(o.AfterPublication)
		}
		if !o.AfterTime.IsZero() {
			kw["after_time"] = o.AfterTime.UTC().Format(time.RFC3339Nano)
		}
		if o.Reverse {
			kw["reverse"] = true
		}
	}
	res, err := s.c.Call(ctx, "wamp.subscription.get_events", wamp.Payload{Args: wamp.List{uint64(s.ID())}, Kwargs: kw}, nil)
	if err != nil {
		return nil, fmt.Errorf("device: history of %s: %w", s.Topic, err)
	}
	evs := make([]*Event, 0, len(res.Args))
	for _, v := range res.Args {
		ev, ok := historyEvent(s, v)
		if !ok {
			return nil, fmt.Errorf("device: history of %s: malformed event %v: %w", s.Topic, v, wamp.ErrProtocolViolation)
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// historyEvent reads one event object of get_events' result.
func historyEvent(s *Subscription, v any) (*Event, bool) {
	d, ok := v.(wamp.Dict)
	if !ok {
		return nil, false
	}
	pub, ok := wamp.ToID(d["publication"])
	details, _ := d["details"].(wamp.Dict)
	if details == nil {
		details = wamp.Dict{}
	}
	args, okArgs := d["args"].(wamp.List)
	kwargs, okKwargs := d["kwargs"].(wamp.Dict)
	if !ok || (d["args"] != nil && !okArgs) || (d["kwargs"] != nil && !okKwargs) {
		return nil, false
	}
	if ts, isString := d["timestamp"].(string); isString {
		details["timestamp"] = ts
	}
	ev := &Event{Payload: wamp.Payload{Args: args, Kwargs: kwargs}, Details: details, Topic: s.Topic,
		Publication: pub, Subscription: s}
	if t, isString := details["topic"].(string); isString {
		ev.Topic = wamp.URI(t)
	}
	ev.Publisher, _ = wamp.ToID(details["publisher"])
	return ev, true
}
