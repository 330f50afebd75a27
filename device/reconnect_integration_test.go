package device_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/internal/testnet"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestReconnectRouterRestart restarts the router on the same TCP address:
// the client re-joins, re-registers, re-subscribes and flushes what was
// published while offline, in order.
func TestReconnectRouterRestart(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	rt1 := newRouter(t)
	serve(t, rt1, l)

	joins := make(chan struct{}, 4)
	leaves := make(chan error, 4)
	c, err := device.Dial(ctxT(t), "rs://"+addr, device.Config{
		Logger: quiet(),
		Reconnect: device.Reconnect{
			Enabled:    true,
			MinBackoff: 5 * time.Millisecond,
			MaxBackoff: 50 * time.Millisecond,
			OnJoin:     func(*device.Client) { joins <- struct{}{} },
			OnLeave:    func(err error) { leaves <- err },
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		c.Close()
		<-c.Done()
		if err := c.Err(); !errors.Is(err, device.ErrSessionClosed) {
			t.Errorf("Err() = %v", err)
		}
	}()
	reg, err := c.Register(ctxT(t), "com.example.ping", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		return wamp.Payload{Args: wamp.List{"pong"}}, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cmds := make(chan any, 10)
	sub, err := c.Subscribe(ctxT(t), "com.example.cmd", func(ev *device.Event) { cmds <- ev.Args[0] }, nil)
	if err != nil {
		t.Fatal(err)
	}

	check := func(rt *minirouter.Router) {
		t.Helper()
		select {
		case <-joins:
		case <-time.After(testTimeout):
			t.Fatal("no join")
		}
		// Made at the join, or (the first time) just after it.
		for deadline := time.Now().Add(testTimeout); !reg.Active() || !sub.Active(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("registration or subscription not made")
			}
		}
		tr, err := rt.Connect(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		peerClient, err := device.NewClient(ctxT(t), tr, device.Config{Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		defer peerClient.Close()
		res, err := peerClient.Call(ctxT(t), "com.example.ping", wamp.Payload{}, nil)
		if err != nil || res.Args[0] != "pong" {
			t.Fatalf("ping: %v, %v", res, err)
		}
		if err := peerClient.Publish(ctxT(t), "com.example.cmd", wamp.Payload{Args: wamp.List{"on"}}, &device.PublishOptions{Acknowledge: true}); err != nil {
			t.Fatal(err)
		}
		select {
		case v := <-cmds:
			if v != "on" {
				t.Errorf("cmd %v", v)
			}
		case <-time.After(testTimeout):
			t.Fatal("event not delivered to the declared subscription")
		}
	}
	check(rt1)

	// The router goes away.
	rt1.Close()
	select {
	case <-leaves:
	case <-time.After(testTimeout):
		t.Fatal("session loss not noticed")
	}
	for i := range 5 {
		if err := c.Publish(ctxT(t), "com.example.out", wamp.Payload{Args: wamp.List{i}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Call(ctxT(t), "com.example.ping", wamp.Payload{}, nil); !errors.Is(err, device.ErrNotConnected) {
		t.Errorf("offline call: %v", err)
	}

	// A new router on the same address, with a subscriber waiting for the
	// queued publications before it accepts connections.
	rt2 := newRouter(t)
	tr, err := rt2.Connect(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	subscriber, err := device.NewClient(ctxT(t), tr, device.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer subscriber.Close()
	out := make(chan any, 10)
	if _, err := subscriber.Subscribe(ctxT(t), "com.example.out", func(ev *device.Event) { out <- ev.Args[0] }, nil); err != nil {
		t.Fatal(err)
	}
	l2, err := testnet.ListenAgain("tcp", addr)
	if err != nil {
		t.Fatalf("listening on %s again: %v", addr, err)
	}
	serve(t, rt2, l2)
	check(rt2)
	for i := range 5 {
		select {
		case v := <-out:
			if v != int64(i) {
				t.Errorf("queued publication %d arrived as %v", i, v)
			}
		case <-time.After(testTimeout):
			t.Fatalf("queued publication %d not delivered", i)
		}
	}
	if s := c.Stats(); s.Joins != 2 || s.Reconnects != 1 || s.OfflineQueued != 0 || s.OfflineDropped != 0 {
		t.Errorf("stats = %+v", s)
	}
}
