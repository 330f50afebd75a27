package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// serveGateway runs a router with sensorbridge's listeners for the given
// URLs (ports 0) and returns the addresses, in order.
func serveGateway(t *testing.T, realm wamp.URI, urls ...string) (*minirouter.Router, []string) {
	t.Helper()
	r, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: realm}},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	errc := make(chan error, len(urls))
	for _, u := range urls {
		g, err := openListener(listenSpec{URL: u}, limitsSpec{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, g.Addr())
		stop := serveListener(g, r, errc)
		t.Cleanup(stop)
	}
	t.Cleanup(func() { r.Close() })
	return r, addrs
}

// TestWebSocketInterop pairs AutobahnJS, wampy and AutobahnPython over ws:// (JSON
// and MessagePack) with our device client over RawSocket, through the
// gateway's listeners, in every role: the peer as callee, caller,
// subscriber and publisher, the device in the opposite one.
func TestWebSocketInterop(t *testing.T) {
	_, addrs := serveGateway(t, "realm1", "rs://127.0.0.1:0", "ws://127.0.0.1:0/ws")
	rsURL, wsURL := "rs://"+addrs[0], "ws://"+addrs[1]+"/ws"
	const n = 5
	for _, peer := range []string{"js", "wampy", "py"} {
		for _, ser := range []string{"json", "msgpack"} {
			for _, role := range []string{"callee", "caller", "subscriber", "publisher"} {
				t.Run(fmt.Sprintf("%s-%s-%s", peer, ser, role), func(t *testing.T) {
					needPeer(t, peer)
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					uri := wamp.URI(fmt.Sprintf("com.example.%s.%s.%s", peer, ser, role))
					dev, err := device.Dial(ctx, rsURL, device.Config{Logger: slog.New(slog.DiscardHandler)})
					if err != nil {
						t.Fatal(err)
					}
					defer dev.Close()
					switch role {
					case "callee": // the device calls the peer
						p := startPeer(t, ctx, peer, wsURL, "realm1", ser, role, fmt.Sprint(n), string(uri))
						p.ready(ctx)
						for i := range n {
							res, err := dev.Call(ctx, uri, wamp.Payload{Args: wamp.List{i + 2, 3}}, nil)
							if err != nil || len(res.Args) != 1 || fmt.Sprint(res.Args[0]) != fmt.Sprint(i+5) {
								t.Fatalf("call %d: %v, %v", i, res.Args, err)
							}
						}
						p.wait(ctx)
					case "caller": // the peer calls the device
						if _, err := dev.Register(ctx, uri, func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
							a, _ := inv.Args[0].(int64)
							b, _ := inv.Args[1].(int64)
							return wamp.Payload{Args: wamp.List{a + b}}, nil
						}, nil); err != nil {
							t.Fatal(err)
						}
						p := startPeer(t, ctx, peer, wsURL, "realm1", ser, role, fmt.Sprint(n), string(uri))
						p.wait(ctx)
					case "subscriber": // the device publishes to the peer
						p := startPeer(t, ctx, peer, wsURL, "realm1", ser, role, fmt.Sprint(n), string(uri))
						p.ready(ctx)
						for i := range n {
							if err := dev.Publish(ctx, uri, wamp.Payload{Args: wamp.List{i}, Kwargs: wamp.Dict{"seq": i}},
								&device.PublishOptions{Acknowledge: true}); err != nil {
								t.Fatal(err)
							}
						}
						p.wait(ctx)
					case "publisher": // the peer publishes to the device
						got := make(chan wamp.Payload, n)
						if _, err := dev.Subscribe(ctx, uri, func(ev *device.Event) { got <- ev.Payload }, nil); err != nil {
							t.Fatal(err)
						}
						p := startPeer(t, ctx, peer, wsURL, "realm1", ser, role, fmt.Sprint(n), string(uri))
						p.wait(ctx)
						for i := range n {
							select {
							case pl := <-got:
								if fmt.Sprint(pl.Args, pl.Kwargs["seq"]) != fmt.Sprint([]any{int64(i)}, int64(i)) {
									t.Fatalf("event %d: %v %v", i, pl.Args, pl.Kwargs)
								}
							case <-ctx.Done():
								t.Fatalf("event %d missing", i)
							}
						}
					}
				})
			}
		}
	}
}
