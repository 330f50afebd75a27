package uplink

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// route routes subscription sub of l with conv at once, as reading its
// SUBSCRIBED after expect(conv) would.
func route(l *localLink, sub wamp.ID, conv func(*wamp.Event) (queuedEvent, bool)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.routeLocked(sub, conv)
}

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
		route(l, 7, func(ev *wamp.Event) (queuedEvent, bool) {
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
		route(l, 7, func(ev *wamp.Event) (queuedEvent, bool) { return queuedEvent{topic: "up.a", p: ev.Payload}, true })
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

// TestLocalLinkOrder: the events of a subscription reach the queue in
// publication order across the moment it is routed: those the broker routed
// while its SUBSCRIBED was still in the pipe, those routed while they were
// being read, and those after, which the link takes directly. Without the
// pipe count (a route taking events at once), "3" would be queued before
// "1" and "2".
func TestLocalLinkOrder(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, journal := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "journal"}[journal], func(t *testing.T) {
			path := ""
			if journal {
				path = filepath.Join(t.TempDir(), "q")
			}
			q, err := newEventQueue(100, path, log)
			if err != nil {
				t.Fatal(err)
			}
			defer q.close()
			r, err := minirouter.New(minirouter.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			l := newLocalLink(q, journal, 100)
			if l.Transport, err = r.ConnectPeerSink(ctx, peer.Config{}, l); err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go l.handOff(ctx)
			ser := l.Transport.Serializer()
			send := func(m wamp.Message) {
				b, err := ser.AppendMessage(nil, m)
				if err == nil {
					err = l.Transport.WriteMessages([][]byte{b})
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			read := func(want wamp.MessageType) {
				b, err := l.ReadMessage()
				if err != nil {
					t.Fatal(err)
				}
				if m, err := ser.DecodeMessage(b); err != nil || m.Type() != want {
					t.Fatalf("read %v (%v), want a %v", m, err, want)
				}
			}
			send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"subscriber": wamp.Dict{}}}})
			read(wamp.WELCOME)

			pt, err := r.Connect(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := device.NewClient(ctx, pt, device.Config{Realm: "realm1"})
			if err != nil {
				t.Fatal(err)
			}
			defer pub.Close()
			publish := func(arg string) {
				if err := pub.Publish(ctx, "a.b", wamp.Payload{Args: wamp.List{arg}}, &device.PublishOptions{Acknowledge: true}); err != nil {
					t.Fatal(err)
				}
			}
			l.expect(func(ev *wamp.Event) (queuedEvent, bool) { return queuedEvent{topic: "up", p: ev.Payload}, true })
			send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{"match": "prefix"}, Topic: "a."})
			// The router takes the SUBSCRIBE on the link's session and the publisher's PUBLISHes in
			// no set order: publish once the subscription exists (its SUBSCRIBED unread).
			for {
				res, err := pub.Call(ctx, "wamp.subscription.match", wamp.Payload{Args: wamp.List{"a.b"}}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Args) > 0 && res.Args[0] != nil {
					break
				}
				time.Sleep(time.Millisecond)
			}
			publish("1") // behind SUBSCRIBED in the pipe: no route yet
			publish("2")
			read(wamp.SUBSCRIBED) // routes the subscription, two of its events in the pipe
			publish("3")          // declined: "1" and "2" are not queued yet
			// A call's RESULT comes after the events: ReadMessage queues them on its way.
			send(&wamp.Call{Request: 2, Options: wamp.Dict{}, Procedure: "wamp.session.count"})
			read(wamp.RESULT)
			publish("4") // taken directly
			publish("5")
			var got []string
			for deadline := time.Now().Add(10 * time.Second); len(got) < 5 && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
				got = got[:0]
				for seq := wamp.ID(0); ; {
					ev, ok := q.after(seq)
					if !ok {
						break
					}
					got, seq = append(got, ev.p.Args[0].(string)), ev.seq
				}
			}
			if want := []string{"1", "2", "3", "4", "5"}; !slices.Equal(got, want) {
				t.Errorf("queued %v, want %v", got, want)
			}
			if n := len(*l.routes.Load()); n != 1 {
				t.Errorf("%d routes, want 1", n)
			}
		})
	}
}
