package main

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestUplinkToFoxWamp bridges the gateway to an independent upstream, the
// fox-wamp router (WebSocket, JSON only): an AutobahnJS client on fox-wamp
// calls a procedure of a device on our gateway, and an AutobahnJS
// subscriber on fox-wamp receives a device's readings in order, none lost;
// after fox-wamp is killed and restarted the procedure is callable again.
func TestUplinkToFoxWamp(t *testing.T) {
	needPeer(t, "fox")
	needPeer(t, "js")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	foxAddr := freePort(t)
	_, port, _ := net.SplitHostPort(foxAddr)
	fox := startPeer(t, ctx, "fox", port, "127.0.0.1")
	fox.ready(ctx)
	foxURL := "ws://" + foxAddr + "/ws"

	gwSock := t.TempDir() + "/gw.sock"
	mustStart(t, map[string]any{
		"listeners": []any{map[string]any{"url": "unix://" + gwSock}},
		"uplink": map[string]any{
			"url": foxURL, "realm": "realm1", "serializer": "json",
			"min_backoff": "20ms", "max_backoff": "200ms",
			"publish": []any{map[string]any{"local": "sensor.", "upstream": "com.acme.site7.sensor."}},
			"export":  []any{map[string]any{"local": "light.", "upstream": "com.acme.site7.light."}},
		},
	})
	dev := dialRetry(t, ctx, "unix://"+gwSock, device.Config{})
	if _, err := dev.Register(ctx, "light.add2", func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
		a, _ := inv.Args[0].(int64)
		b, _ := inv.Args[1].(int64)
		return wamp.Payload{Args: wamp.List{a + b}}, nil
	}, nil); err != nil {
		t.Fatal(err)
	}

	// A caller on fox-wamp, once the registration is there upstream.
	callThrough := func(calls int) {
		t.Helper()
		var caller *peerProc
		for attempt := 0; ; attempt++ {
			caller = startPeer(t, ctx, "js", foxURL, "realm1", "json", "caller", fmt.Sprint(calls), "com.acme.site7.light.add2")
			select {
			case <-caller.done:
			case <-ctx.Done():
				t.Fatal("caller did not end")
			}
			if caller.err == nil || attempt == 50 {
				break
			}
			time.Sleep(100 * time.Millisecond) // not registered upstream yet
		}
		caller.wait(ctx)
	}
	callThrough(20)

	// A subscriber on fox-wamp receives every reading, in order.
	const readings = 200
	sub := startPeer(t, ctx, "js", foxURL, "realm1", "json", "subscriber", fmt.Sprint(readings), "com.acme.site7.sensor.temp")
	sub.ready(ctx)
	for i := range readings {
		if err := dev.Publish(ctx, "sensor.temp", wamp.Payload{Args: wamp.List{i}, Kwargs: wamp.Dict{"seq": i}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	sub.wait(ctx)

	// fox-wamp dies and comes back on the same port: the uplink rejoins and
	// registers the procedure again.
	fox.cmd.Process.Kill()
	<-fox.done
	fox2 := startPeer(t, ctx, "fox", port, "127.0.0.1")
	fox2.ready(ctx)
	restarted := time.Now()
	callThrough(1)
	t.Logf("the device's procedure was callable through fox-wamp %v after it restarted (node start-up of the caller included)",
		time.Since(restarted).Round(time.Millisecond))
}
