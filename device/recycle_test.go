package device_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestRecycledRecordsUnderLoad runs calls (some cancelled midway) and
// publications (acknowledged and not) from several goroutines at once, so
// that pooled messages and recycled call and request records are reused
// while others are in flight: every answer must be the one to its own
// request, and every publication must arrive intact, once.
func TestRecycledRecordsUnderLoad(t *testing.T) {
	const (
		callers, calls = 6, 150
		pubs, perPub   = 4, 150
	)
	// The router's queue to the subscriber holds every event, so that a
	// subscriber starved of CPU (a loaded CI machine) slows the test down
	// instead of making the router drop unacknowledged events, as it must
	// when a queue is full.
	rt, err := minirouter.New(minirouter.Config{Peer: peer.Config{QueueMessages: 4 * pubs * perPub}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	clients := make([]*device.Client, 3)
	for i := range clients {
		tr, err := rt.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := device.NewClient(ctx, tr, device.Config{Logger: quiet(), EventQueue: 2 * pubs * perPub})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		clients[i] = c
	}
	callee, caller, sub := clients[0], clients[1], clients[2]
	if _, err := callee.Register(ctx, "t.echo", func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
		return inv.Payload, nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	var events atomic.Int64
	allIn := make(chan struct{})
	seen := make(map[string]bool)
	_, err = sub.Subscribe(ctx, "t.topic", func(ev *device.Event) {
		a, _ := ev.Args[0].(string)
		b, _ := ev.Args[1].(string)
		if a == "" || a != b || seen[a] {
			t.Errorf("event %v: torn or repeated", ev.Args)
		}
		seen[a] = true
		if events.Add(1) == pubs*perPub {
			close(allIn)
		}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for g := range callers {
		wg.Go(func() {
			for i := range calls {
				arg := fmt.Sprintf("c%d-%d", g, i)
				cctx, ccancel := context.WithCancel(ctx)
				if g == 0 && i%2 == 0 {
					go ccancel() // races the answer: either outcome is fine, never someone else's
				}
				res, err := caller.Call(cctx, "t.echo", wamp.Payload{Args: wamp.List{arg}}, nil)
				ccancel()
				if errors.Is(err, context.Canceled) {
					continue
				}
				if err != nil {
					t.Errorf("call %s: %v", arg, err)
					return
				}
				if got, _ := res.Args[0].(string); got != arg {
					t.Errorf("call %s answered %v", arg, res.Args)
				}
			}
		})
	}
	for g := range pubs {
		wg.Go(func() {
			o := &device.PublishOptions{Acknowledge: g%2 == 0}
			for i := range perPub {
				arg := fmt.Sprintf("p%d-%d", g, i)
				if err := caller.Publish(ctx, "t.topic", wamp.Payload{Args: wamp.List{arg, arg}}, o); err != nil {
					t.Errorf("publish %s: %v", arg, err)
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-allIn:
	case <-ctx.Done():
		t.Fatalf("%d of %d events arrived (router dropped %d)", events.Load(), pubs*perPub, rt.Stats().EventsDropped)
	}
	if st := sub.Stats(); st.EventsDropped != 0 {
		t.Errorf("EventsDropped = %d", st.EventsDropped)
	}
}
