package uplink

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestLocalLinkTakeEvent: the local link queues the EVENTs of routed
// subscriptions (straight away without a journal, through the bounded
// hand-off with one), declines the others (they come through the pipe),
// refuses what the full hand-off cannot hold and everything once closed.
func TestLocalLinkTakeEvent(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, journal := range []bool{false, true} {
		path := ""
		if journal {
			path = filepath.Join(t.TempDir(), "q")
		}
		q, err := newEventQueue(10, path, log)
		if err != nil {
			t.Fatal(err)
		}
		l := newLocalLink(q, journal, 2)
		l.route(7, func(ev *wamp.Event) (queuedEvent, bool) {
			return queuedEvent{topic: "up." + wamp.URI(ev.Details["topic"].(string)), p: ev.Payload}, ev.Args[0] != "skip"
		})
		ev := func(sub wamp.ID, arg string) *wamp.Event {
			return &wamp.Event{Subscription: sub, Details: wamp.Dict{"topic": "a"}, Payload: wamp.Payload{Args: wamp.List{arg}}}
		}
		type res struct {
			taken bool
			err   error
		}
		take := func(e *wamp.Event) res { taken, err := l.TakeEvent(e); return res{taken, err} }
		rows := []struct {
			ev   *wamp.Event
			want res
		}{
			{ev(8, "x"), res{false, nil}}, // not routed
			{ev(7, "1"), res{true, nil}},
			{ev(7, "skip"), res{true, nil}}, // not for the upstream
			{ev(7, "2"), res{true, nil}},
		}
		if journal { // the hand-off holds 2 until handOff runs
			rows = append(rows, struct {
				ev   *wamp.Event
				want res
			}{ev(7, "3"), res{true, peer.ErrQueueFull}})
		}
		for i, row := range rows {
			if got := take(row.ev); got.taken != row.want.taken || !errors.Is(got.err, row.want.err) {
				t.Errorf("journal %v row %d: got %+v, want %+v", journal, i, got, row.want)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); l.handOff(ctx) }()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if n, _ := q.len(); n == 2 {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("journal %v: %d queued, want 2", journal, n)
			}
		}
		cancel()
		<-done
		first, _ := q.after(0)
		if first.topic != "up.a" || first.p.Args[0] != "1" {
			t.Errorf("journal %v: first queued %+v", journal, first)
		}
		l.closed.Store(true)
		if got := take(ev(7, "4")); !errors.Is(got.err, peer.ErrClosed) {
			t.Errorf("journal %v: after close got %+v, want ErrClosed", journal, got)
		}
		q.close()
	}
}

// TestHandOffDrains: when the uplink stops, the events still in the hand-off go into the queue (and its
// journal) before it closes, and the hand-off refuses any more (counted by the router as not delivered)
// rather than keep them where nothing moves them.
func TestHandOffDrains(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for i := range 20 { // handOff's select may see the stop before the kick: each try races them
		q, err := newEventQueue(10, filepath.Join(t.TempDir(), "q"), log)
		if err != nil {
			t.Fatal(err)
		}
		l := newLocalLink(q, true, 4)
		l.route(7, func(ev *wamp.Event) (queuedEvent, bool) { return queuedEvent{topic: "up.a", p: ev.Payload}, true })
		for _, arg := range []string{"1", "2"} {
			if _, err := l.TakeEvent(&wamp.Event{Subscription: 7, Details: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{arg}}}); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		l.handOff(ctx)
		if n, _ := q.len(); n != 2 {
			t.Fatalf("try %d: %d events queued after the stop, want 2", i, n)
		}
		if _, err := l.TakeEvent(&wamp.Event{Subscription: 7, Details: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{"3"}}}); !errors.Is(err, peer.ErrClosed) {
			t.Fatalf("try %d: an event after the stop: %v, want ErrClosed", i, err)
		}
		q.close()
	}
}
