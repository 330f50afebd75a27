package uplink_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/uplink"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestUplinkUpstreamRestart stops the upstream while a device publishes:
// the readings wait in the queue (the oldest dropped and counted beyond its
// size), and when the upstream returns on the same port the uplink rejoins,
// resyncs the exported procedure and delivers the queue in order.
func TestUplinkUpstreamRestart(t *testing.T) {
	for _, kind := range []string{"rs", "ws"} {
		t.Run(kind, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			up := startUpstream(t, kind, "", nil)
			cfg := siteRules
			cfg.URL = up.url()
			cfg.QueueSize = 30
			gw := startGateway(t, cfg)
			d := join(t, ctx, gw.r, "realm1")
			if _, err := d.Register(ctx, "light.get", func(context.Context, *device.Invocation) (wamp.Payload, error) {
				return wamp.Payload{Args: wamp.List{"on"}}, nil
			}, nil); err != nil {
				t.Fatal(err)
			}
			eventually(t, ctx, "joined and exported", func() bool {
				st := gw.ul.Stats()
				if testing.Verbose() {
					t.Logf("%+v", st)
				}
				return st.State == uplink.Joined && st.Exported == 1
			})

			up.stopf()
			eventually(t, ctx, "uplink notices the loss", func() bool {
				return gw.ul.Stats().State != uplink.Joined
			})
			const sent = 50
			for i := range sent {
				if err := d.Publish(ctx, "sensor.temp", wamp.Payload{Args: wamp.List{i}}, nil); err != nil {
					t.Fatal(err)
				}
			}
			eventually(t, ctx, "queued", func() bool { // the last events may still be on their way to the queue
				st := gw.ul.Stats()
				return st.Queued == cfg.QueueSize && st.QueueDropped == sent-uint64(cfg.QueueSize)
			})
			if st := gw.ul.Stats(); st.QueueDropped != sent-uint64(cfg.QueueSize) || st.EventsUp != 0 || st.PublishErrors != 0 {
				t.Errorf("QueueDropped %d, want %d; stats %+v", st.QueueDropped, sent-cfg.QueueSize, st)
			}

			// The upstream returns, with a subscriber ready before the port opens.
			events := make(chan *device.Event, 100)
			var x *device.Client
			restarted := time.Now()
			up2 := startUpstream(t, kind, up.addr, func(r *minirouter.Router) {
				x = join(t, ctx, r, "cloud")
				if _, err := x.Subscribe(ctx, "com.acme.site7.sensor.temp", func(ev *device.Event) { events <- ev }, nil); err != nil {
					t.Fatal(err)
				}
			})
			_ = up2
			for i := sent - cfg.QueueSize; i < sent; i++ {
				select {
				case ev := <-events:
					if ev.Args[0] != int64(i) {
						t.Fatalf("after restart got %v, want %d", ev.Args, i)
					}
				case <-ctx.Done():
					t.Fatalf("reading %d not delivered after the restart", i)
				}
			}
			eventually(t, ctx, "light.get callable again", func() bool {
				_, err := x.Call(ctx, "com.acme.site7.light.get", wamp.Payload{}, nil)
				return err == nil
			})
			t.Logf("callable again %v after the upstream returned", time.Since(restarted).Round(time.Millisecond))
			// The upstream delivers an event before its PUBLISHED reaches
			// the uplink, which only then takes it off the queue.
			eventually(t, ctx, "queue emptied", func() bool {
				st := gw.ul.Stats()
				return st.Queued == 0 && st.EventsUp == uint64(cfg.QueueSize)
			})
			st := gw.ul.Stats()
			if st.Joins < 2 || st.Reconnects < 1 || st.Queued != 0 || st.EventsUp != uint64(cfg.QueueSize) || st.PublishErrors != 0 {
				t.Errorf("stats %+v", st)
			}
			select {
			case ev := <-events:
				t.Errorf("extra event %v", ev.Args)
			case <-time.After(50 * time.Millisecond):
			}
			// A local call of an imported procedure fails cleanly while nobody serves it upstream.
			if _, err := d.Call(ctx, "cloud.none", wamp.Payload{}, nil); !errors.Is(err, wamp.ErrNoSuchProcedure) {
				t.Errorf("cloud.none: %v", err)
			}
		})
	}
}

// TestUplinkFault kills the upstream while a device publishes 10,000
// readings at a steady rate, restarts it, and checks that every reading
// arrives once, in order, and how soon the device's procedure is callable
// again. An event whose PUBLISHED was lost with the dying upstream is sent
// again to the new one, which cannot know it was delivered: the
// subscriber's device.Deduplicator drops that repeat by its number.
func TestUplinkFault(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := make(chan int64, 20000)
	var dedup device.Deduplicator // one for the subscriber's sessions on both upstreams
	subscribe := func(r *minirouter.Router) *device.Client {
		x := joinQueue(t, ctx, r, "cloud", 20000)
		if _, err := x.Subscribe(ctx, "com.acme.site7.sensor.temp", dedup.Wrap(func(ev *device.Event) {
			got <- ev.Args[0].(int64)
		}), nil); err != nil {
			t.Fatal(err)
		}
		return x
	}
	up := startUpstreamConfig(t, "rs", "", siteUpstream, func(r *minirouter.Router) { subscribe(r) })
	cfg := siteRules
	cfg.Auth = siteAuth // events carry a numbering the subscriber can trust
	cfg.URL = up.url()
	cfg.QueueSize = 20000
	gw := startGateway(t, cfg)
	d := join(t, ctx, gw.r, "realm1")
	if _, err := d.Register(ctx, "light.get", func(context.Context, *device.Invocation) (wamp.Payload, error) {
		return wamp.Payload{Args: wamp.List{"on"}}, nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "joined and exported", func() bool {
		st := gw.ul.Stats()
		return st.State == uplink.Joined && st.Exported == 1
	})

	const sent = 10000
	tick := time.NewTicker(200 * time.Microsecond)
	defer tick.Stop()
	callable := make(chan time.Duration, 1)
	for i := range sent {
		<-tick.C
		if err := d.Publish(ctx, "sensor.temp", wamp.Payload{Args: wamp.List{i}}, nil); err != nil {
			t.Fatal(err)
		}
		switch i {
		case 3000:
			up.stopf()
		case 6000:
			restarted := time.Now()
			var x2 *device.Client
			startUpstreamConfig(t, "rs", up.addr, siteUpstream, func(r *minirouter.Router) { x2 = subscribe(r) })
			go func() {
				for ctx.Err() == nil {
					if _, err := x2.Call(ctx, "com.acme.site7.light.get", wamp.Payload{}, nil); err == nil {
						callable <- time.Since(restarted)
						return
					}
					time.Sleep(5 * time.Millisecond)
				}
			}()
		}
	}
	seen := make(map[int64]int, sent)
	var last int64 = -1
	dups, disorder := 0, 0
	for len(seen) < sent {
		select {
		case v := <-got:
			seen[v]++
			if seen[v] > 1 {
				dups++
			} else if v < last {
				disorder++
			}
			last = max(last, v)
		case <-ctx.Done():
			var missing []int64
			for i := range int64(sent) {
				if seen[i] == 0 && len(missing) < 20 {
					missing = append(missing, i)
				}
			}
			t.Fatalf("received %d distinct readings of %d; missing %v; stats %+v", len(seen), sent, missing, gw.ul.Stats())
		}
	}
	var again time.Duration
	select {
	case again = <-callable:
	case <-ctx.Done():
		t.Fatal("light.get not callable again after the restart")
	}
	st := gw.ul.Stats()
	select { // a late repeat would show now
	case v := <-got:
		dups++
		t.Errorf("reading %d delivered again", v)
	case <-time.After(100 * time.Millisecond):
	}
	t.Logf("readings sent %d, received %d distinct, %d duplicated (%d repeats dropped by the subscriber), 0 lost, %d out of order; callable again %v after the restart; stats %+v",
		sent, len(seen), dups, dedup.Repeats(), disorder, again.Round(time.Millisecond), st)
	if disorder != 0 || dups != 0 || st.QueueDropped != 0 {
		t.Errorf("%d readings out of order, %d duplicated, %d dropped", disorder, dups, st.QueueDropped)
	}
}

// TestUplinkQueueFileSurvivesRestart queues events while the upstream is
// unreachable, stops the gateway, starts a new one with the same queue file,
// and checks that the upstream, once up, gets the events in order.
func TestUplinkQueueFileSurvivesRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	addr := freeAddr(t)
	cfg := siteRules
	cfg.URL = "rs://" + addr
	cfg.QueueFile = t.TempDir() + "/uplink.queue"

	r1, err := minirouter.New(minirouter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.MinBackoff, cfg.MaxBackoff = 10*time.Millisecond, 50*time.Millisecond
	ul1, err := uplink.New(r1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ul1.Run(rctx) }()
	d := join(t, ctx, r1, "realm1")
	eventually(t, ctx, "uplink set up", func() bool { return ul1.Stats().State != uplink.Stopped })
	const n = 10
	for i := range n {
		d.Publish(ctx, "sensor.temp", wamp.Payload{Args: wamp.List{i}}, nil)
	}
	eventually(t, ctx, "queued", func() bool { return ul1.Stats().Queued == n })
	stop()
	<-done
	r1.Close()

	events := make(chan *device.Event, 2*n)
	startUpstream(t, "rs", addr, func(r *minirouter.Router) {
		x := join(t, ctx, r, "cloud")
		if _, err := x.Subscribe(ctx, "com.acme.site7.sensor.temp", func(ev *device.Event) { events <- ev }, nil); err != nil {
			t.Fatal(err)
		}
	})
	gw := startGateway(t, cfg)
	for i := range n {
		select {
		case ev := <-events:
			if ev.Args[0] != int64(i) {
				t.Fatalf("event %d: %v", i, ev.Args)
			}
		case <-ctx.Done():
			t.Fatalf("event %d not delivered after the gateway restart; stats %+v", i, gw.ul.Stats())
		}
	}
	eventually(t, ctx, "queue empty", func() bool { return gw.ul.Stats().Queued == 0 })
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
