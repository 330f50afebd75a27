package minirouter_test

import (
	"context"
	"fmt"
	"log"
	"sync"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// funcSink is an EventSink that answers with take and records the
// topics and first arguments of the events it takes.
type funcSink struct {
	take func() (bool, error)
	mu   sync.Mutex
	got  []string
}

func (s *funcSink) TakeEvent(ev *wamp.Event) (bool, error) {
	taken, err := s.take()
	if taken && err == nil {
		s.mu.Lock()
		s.got = append(s.got, fmt.Sprintf("%v:%v", ev.Details["topic"], ev.Args[0]))
		s.mu.Unlock()
	}
	return taken, err
}

func (s *funcSink) taken() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

// rawJoin joins realm1 over t and returns the session's connection.
func rawJoin(tb testing.TB, t wamp.Transport) *peer.Conn {
	tb.Helper()
	c := peer.New(t, peer.Config{})
	tb.Cleanup(func() { c.Close(nil) })
	if m, err := hello(c); err != nil || m.Type() != wamp.WELCOME {
		tb.Fatalf("join: %v %v", m, err)
	}
	return c
}

// hello says HELLO to realm1 on c and returns the answer.
func hello(c *peer.Conn) (wamp.Message, error) {
	if err := c.Send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.ClientRoles()}}); err != nil {
		return nil, err
	}
	return c.Recv()
}

// recvType reads the next message and fails unless it is of type want.
func recvType(tb testing.TB, c *peer.Conn, want wamp.MessageType) wamp.Message {
	tb.Helper()
	m, err := c.Recv()
	if err != nil || m.Type() != want {
		tb.Fatalf("got %v (%v), want %v", m, err, want)
	}
	return m
}

// TestConnectPeerSink: the EVENTs a sink takes do not come over the
// session's transport and count as sent; the ones it declines do; the
// ones it refuses count as dropped.
func TestConnectPeerSink(t *testing.T) {
	for _, tc := range []struct {
		name          string
		take          func() (bool, error)
		overTransport bool
		dropped       uint64
	}{
		{"taken", func() (bool, error) { return true, nil }, false, 0},
		{"declined", func() (bool, error) { return false, nil }, true, 0},
		{"refused", func() (bool, error) { return true, peer.ErrQueueFull }, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := minirouter.New(minirouter.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			ctx := context.Background()
			sink := &funcSink{take: tc.take}
			st, err := r.ConnectPeerSink(ctx, peer.Config{}, sink)
			if err != nil {
				t.Fatal(err)
			}
			sub := rawJoin(t, st)
			pt, err := r.Connect(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pub := rawJoin(t, pt)
			sub.Send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{"match": "prefix"}, Topic: "a."})
			recvType(t, sub, wamp.SUBSCRIBED)
			out0 := r.Stats().MessagesOut
			pub.Send(&wamp.Publish{Request: 2, Options: wamp.Dict{"acknowledge": true}, Topic: "a.b", Payload: wamp.Payload{Args: wamp.List{"x"}}})
			recvType(t, pub, wamp.PUBLISHED)
			// A call after the event: its RESULT comes over the transport
			// after the EVENT, if the EVENT came that way.
			sub.Send(&wamp.Call{Request: 3, Options: wamp.Dict{}, Procedure: "wamp.session.count"})
			if tc.overTransport {
				ev := recvType(t, sub, wamp.EVENT).(*wamp.Event)
				if ev.Args[0] != "x" || ev.Details["topic"] != "a.b" {
					t.Errorf("EVENT %+v", ev)
				}
			}
			recvType(t, sub, wamp.RESULT)
			if got, want := len(sink.taken()), map[bool]int{true: 0, false: 1}[tc.overTransport || tc.dropped > 0]; got != want {
				t.Errorf("sink took %v, want %d", sink.taken(), want)
			}
			if got := r.Stats().EventsDropped; got != tc.dropped {
				t.Errorf("EventsDropped %d, want %d", got, tc.dropped)
			}
			if tc.name == "taken" && r.Stats().MessagesOut-out0 < 3 { // PUBLISHED, the EVENT, RESULT
				t.Errorf("MessagesOut grew by %d, want at least 3", r.Stats().MessagesOut-out0)
			}
		})
	}
}

// A bridge in the same process takes the EVENTs of its session's
// subscriptions as the broker routes them, unencoded.
func ExampleRouter_ConnectPeerSink() {
	r, err := minirouter.New(minirouter.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	sink := &funcSink{take: func() (bool, error) { return true, nil }}
	st, err := r.ConnectPeerSink(ctx, peer.Config{}, sink)
	if err != nil {
		log.Fatal(err)
	}
	c := peer.New(st, peer.Config{})
	defer c.Close(nil)
	hello(c)
	c.Send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{"match": "prefix"}, Topic: "sensor."})
	c.Recv() // SUBSCRIBED

	pt, err := r.Connect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	p := peer.New(pt, peer.Config{})
	defer p.Close(nil)
	hello(p)
	for i := range 3 {
		p.Send(&wamp.Publish{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Topic: "sensor.temp", Payload: wamp.Payload{Args: wamp.List{20 + i}}})
	}
	for len(sink.taken()) < 3 {
		time.Sleep(time.Millisecond)
	}
	fmt.Println(sink.taken())
	// Output:
	// [sensor.temp:20 sensor.temp:21 sensor.temp:22]
}
