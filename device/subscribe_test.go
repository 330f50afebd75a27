package device

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgewamp/edgewamp/peer"

	"github.com/edgewamp/edgewamp/wamp"
)

// subscribe subscribes h to topic through the fake router as subscription subID.
func subscribe(t *testing.T, c *Client, r *fakeRouter, topic wamp.URI, h EventHandler, o *SubscribeOptions, subID wamp.ID) *Subscription {
	t.Helper()
	ch := make(chan *Subscription, 1)
	go func() {
		sub, err := c.Subscribe(context.Background(), topic, h, o)
		if err != nil {
			t.Errorf("subscribe: %v", err)
		}
		ch <- sub
	}()
	m := expect[*wamp.Subscribe](r)
	if m.Topic != topic {
		t.Errorf("SUBSCRIBE topic = %q", m.Topic)
	}
	r.send(&wamp.Subscribed{Request: m.Request, Subscription: subID})
	sub := recvWithin(t, ch)
	if sub == nil || sub.ID() != subID || !sub.Active() {
		t.Fatalf("subscription = %+v", sub)
	}
	return sub
}

func TestSubscribeEventsInOrder(t *testing.T) {
	c, r := joined(t, Config{})
	events := make(chan *Event, 100)
	subscribe(t, c, r, "sensor.", func(ev *Event) { events <- ev }, &SubscribeOptions{Match: "prefix"}, 3)
	for i := range 50 {
		r.send(&wamp.Event{Subscription: 3, Publication: wamp.ID(100 + i),
			Details: wamp.Dict{"topic": "sensor.temp", "publisher": int64(9)}, Payload: wamp.Payload{Args: wamp.List{int64(i)}}})
	}
	for i := range 50 {
		ev := recvWithin(t, events)
		if ev.Args[0] != int64(i) || ev.Topic != "sensor.temp" || ev.Publisher != 9 || ev.Publication != wamp.ID(100+i) {
			t.Fatalf("event %d = %+v", i, ev)
		}
	}
	if s := c.Stats(); s.EventsReceived != 50 || s.EventsDropped != 0 {
		t.Errorf("stats = %+v", s)
	}
}

func TestSubscribeOptionsAndError(t *testing.T) {
	c, r := joined(t, Config{})
	errc := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(context.Background(), "a..b", func(*Event) {}, &SubscribeOptions{Match: "wildcard"})
		errc <- err
	}()
	m := expect[*wamp.Subscribe](r)
	if !reflect.DeepEqual(m.Options, wamp.Dict{"match": "wildcard"}) {
		t.Errorf("options = %v", m.Options)
	}
	r.send(&wamp.ErrorMessage{RequestType: wamp.SUBSCRIBE, Request: m.Request, Details: wamp.Dict{}, Error: wamp.ErrNotAuthorized.URI})
	if err := recvWithin(t, errc); !errors.Is(err, wamp.ErrNotAuthorized) {
		t.Errorf("err = %v", err)
	}
}

// A slow event handler never blocks the reader: RESULTs keep flowing, and
// events beyond the queue are dropped and counted.
func TestEventQueueOverflow(t *testing.T) {
	c, r := joined(t, Config{EventQueue: 4})
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	got := make(chan any, 20)
	first := true
	subscribe(t, c, r, "t", func(ev *Event) {
		if first {
			first = false
			entered <- struct{}{}
			<-release
		}
		got <- ev.Args[0]
	}, nil, 3)
	r.send(&wamp.Event{Subscription: 3, Publication: 1, Details: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{int64(0)}}})
	recvWithin(t, entered) // the handler is stuck on event 0
	for i := 1; i <= 10; i++ {
		r.send(&wamp.Event{Subscription: 3, Publication: 1, Details: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{int64(i)}}})
	}
	// The reader is not blocked: a call completes.
	ch := goCall(context.Background(), c, "p", wamp.Payload{}, nil)
	m := expect[*wamp.Call](r)
	r.send(&wamp.Result{Request: m.Request, Details: wamp.Dict{}})
	if res := recvWithin(t, ch); res.err != nil {
		t.Fatal(res.err)
	}
	if d := c.Stats().EventsDropped; d != 6 {
		t.Errorf("EventsDropped = %d, want 6", d)
	}
	close(release)
	var delivered []any
	for range 5 {
		delivered = append(delivered, recvWithin(t, got))
	}
	r.send(&wamp.Event{Subscription: 3, Publication: 1, Details: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{"last"}}})
	delivered = append(delivered, recvWithin(t, got))
	if want := []any{int64(0), int64(1), int64(2), int64(3), int64(4), "last"}; !reflect.DeepEqual(delivered, want) {
		t.Errorf("delivered %v, want %v", delivered, want)
	}
}

func TestEventHandlerPanic(t *testing.T) {
	c, r := joined(t, Config{})
	events := make(chan any, 2)
	subscribe(t, c, r, "t", func(ev *Event) {
		if ev.Args[0] == "boom" {
			panic("boom")
		}
		events <- ev.Args[0]
	}, nil, 3)
	r.send(&wamp.Event{Subscription: 3, Publication: 1, Details: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{"boom"}}})
	r.send(&wamp.Event{Subscription: 3, Publication: 2, Details: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{"ok"}}})
	if v := recvWithin(t, events); v != "ok" {
		t.Errorf("got %v", v)
	}
}

func TestUnsubscribe(t *testing.T) {
	c, r := joined(t, Config{})
	events := make(chan *Event, 10)
	sub := subscribe(t, c, r, "t", func(ev *Event) { events <- ev }, nil, 3)
	errc := make(chan error, 1)
	go func() { errc <- sub.Unsubscribe(context.Background()) }()
	m := expect[*wamp.Unsubscribe](r)
	if m.Subscription != 3 {
		t.Errorf("UNSUBSCRIBE = %+v", m)
	}
	r.send(&wamp.Unsubscribed{Request: m.Request})
	if err := recvWithin(t, errc); err != nil {
		t.Fatal(err)
	}
	if sub.Active() {
		t.Error("still active")
	}
	// A late event is ignored; the next subscription still works.
	r.send(&wamp.Event{Subscription: 3, Publication: 1, Details: wamp.Dict{}})
	subscribe(t, c, r, "u", func(ev *Event) { events <- ev }, nil, 4)
	r.send(&wamp.Event{Subscription: 4, Publication: 2, Details: wamp.Dict{}})
	if ev := recvWithin(t, events); ev.Topic != "u" {
		t.Errorf("event on %q", ev.Topic)
	}
}

func TestRouterRevokesSubscription(t *testing.T) {
	c, r := joined(t, Config{})
	sub := subscribe(t, c, r, "t", func(ev *Event) {}, nil, 3)
	r.send(&wamp.Unsubscribed{Request: 0, Details: wamp.Dict{"subscription": int64(3), "reason": "wamp.close.killed"}})
	// Round trip to be sure the reader handled it.
	ch := goCall(context.Background(), c, "p", wamp.Payload{}, nil)
	m := expect[*wamp.Call](r)
	r.send(&wamp.Result{Request: m.Request, Details: wamp.Dict{}})
	recvWithin(t, ch)
	if sub.Active() {
		t.Error("revoked subscription still active")
	}
}

func TestPublish(t *testing.T) {
	c, r := joined(t, Config{})
	err := c.Publish(context.Background(), "sensor.temp", wamp.Payload{Args: wamp.List{21.5}},
		&PublishOptions{IncludeMe: true, Exclude: []wamp.ID{3}, Eligible: []wamp.ID{4, 5}, DiscloseMe: true,
			Extra: wamp.Dict{"_seq_x": wamp.List{7, 8}, "disclose_me": false, "exclude_me": true}})
	if err != nil {
		t.Fatal(err)
	}
	m := expect[*wamp.Publish](r)
	want := wamp.Dict{"exclude_me": false, "exclude": wamp.List{int64(3)}, "eligible": wamp.List{int64(4), int64(5)}, "disclose_me": true,
		"_seq_x": wamp.List{int64(7), int64(8)}}
	if m.Topic != "sensor.temp" || m.Args[0] != 21.5 || !reflect.DeepEqual(m.Options, want) {
		t.Errorf("PUBLISH = %+v, want options %v", m, want)
	}
	if err := c.Publish(context.Background(), "t", wamp.Payload{}, nil); err != nil {
		t.Fatal(err)
	}
	if m := expect[*wamp.Publish](r); len(m.Options) != 0 {
		t.Errorf("options = %v, want none", m.Options)
	}
	// Without IncludeMe, exclude_me is sent only when Extra has it.
	if err := c.Publish(context.Background(), "t", wamp.Payload{}, &PublishOptions{Extra: wamp.Dict{"exclude_me": true}}); err != nil {
		t.Fatal(err)
	}
	if m := expect[*wamp.Publish](r); !reflect.DeepEqual(m.Options, wamp.Dict{"exclude_me": true}) {
		t.Errorf("options = %v, want exclude_me true", m.Options)
	}
	if s := c.Stats(); s.Published != 3 {
		t.Errorf("Published = %d", s.Published)
	}
}

func TestPublishAcknowledged(t *testing.T) {
	c, r := joined(t, Config{})
	errc := make(chan error, 1)
	go func() {
		errc <- c.Publish(context.Background(), "t", wamp.Payload{}, &PublishOptions{Acknowledge: true})
	}()
	m := expect[*wamp.Publish](r)
	if m.Options["acknowledge"] != true {
		t.Errorf("options = %v", m.Options)
	}
	r.send(&wamp.Published{Request: m.Request, Publication: 77})
	if err := recvWithin(t, errc); err != nil {
		t.Fatal(err)
	}
	go func() {
		errc <- c.Publish(context.Background(), "t", wamp.Payload{}, &PublishOptions{Acknowledge: true})
	}()
	m = expect[*wamp.Publish](r)
	r.send(&wamp.ErrorMessage{RequestType: wamp.PUBLISH, Request: m.Request, Details: wamp.Dict{}, Error: wamp.ErrNotAuthorized.URI})
	if err := recvWithin(t, errc); !errors.Is(err, wamp.ErrNotAuthorized) {
		t.Errorf("err = %v", err)
	}
}

// An unacknowledged publish waits only for room in the send queue, never
// for the network: with a router that stops reading, publishes succeed until
// the queue is full, then wait until ctx is done.
func TestPublishWaitsForQueueRoomOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := peer.Pipe(wamp.JSON, 0)
		rc := peer.New(b, peer.Config{})
		defer rc.Close(nil)
		joinc := make(chan *Client, 1)
		go func() {
			c, err := NewClient(context.Background(), a, Config{Logger: quietLogger(), Peer: peer.Config{QueueMessages: 4}})
			if err != nil {
				t.Error(err)
			}
			joinc <- c
		}()
		if m, err := rc.Recv(); err != nil || m.Type() != wamp.HELLO {
			t.Fatalf("got %v, %v", m, err)
		}
		rc.Send(&wamp.Welcome{Session: 1, Details: wamp.Dict{}})
		c := <-joinc
		defer c.Close()
		// The router no longer reads: the pipe buffers 64 messages, then the
		// writer blocks and the send queue (4) fills.
		n := 0
		for ; n < 1000; n++ {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err := c.Publish(ctx, "t", wamp.Payload{}, nil)
			cancel()
			if errors.Is(err, context.DeadlineExceeded) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if n < 64 || n > 64+4+2 {
			t.Errorf("%d publishes went through before the queue was full", n)
		}
	})
}

// Two local subscriptions to one topic share the router's subscription ID:
// both get every event, and only the last Unsubscribe reaches the router.
func TestSubscribeTwiceSameTopic(t *testing.T) {
	c, r := joined(t, Config{})
	a, b := make(chan any, 4), make(chan any, 4)
	subA := subscribe(t, c, r, "t", func(ev *Event) { a <- ev.Args[0] }, nil, 3)
	subB := subscribe(t, c, r, "t", func(ev *Event) { b <- ev.Args[0] }, nil, 3)
	r.send(&wamp.Event{Subscription: 3, Publication: 1, Details: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{"one"}}})
	if recvWithin(t, a) != "one" || recvWithin(t, b) != "one" {
		t.Fatal("event not delivered to both")
	}
	if err := subA.Unsubscribe(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.send(&wamp.Event{Subscription: 3, Publication: 2, Details: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{"two"}}})
	if v := recvWithin(t, b); v != "two" {
		t.Fatalf("b got %v", v)
	}
	errc := make(chan error, 1)
	go func() { errc <- subB.Unsubscribe(context.Background()) }()
	// The first message the router sees since is this UNSUBSCRIBE.
	m := expect[*wamp.Unsubscribe](r)
	if m.Subscription != 3 {
		t.Errorf("UNSUBSCRIBE %+v", m)
	}
	r.send(&wamp.Unsubscribed{Request: m.Request})
	if err := recvWithin(t, errc); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-a:
		t.Errorf("unsubscribed handler got %v", v)
	default:
	}
}
