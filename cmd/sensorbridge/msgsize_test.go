package main

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// TestListenerMessageSize: a listener's max_message_size overrides
// limits.max_message_size for it alone: its clients learn the smaller
// bound in the RawSocket handshake and cannot send beyond it, while the
// other listener's clients can.
func TestListenerMessageSize(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var small, big string
	for try := 1; ; try++ {
		small, big = freePort(t), freePort(t)
		_, err := startSensorbridge(t, map[string]any{
			"listeners": []any{
				map[string]any{"url": "rs://" + small, "max_message_size": 1024},
				map[string]any{"url": "rs://" + big},
			},
			"limits": map[string]any{"max_message_size": 65536},
		})
		if err == nil {
			break
		}
		if try == 5 || !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatalf("sensorbridge: %v", err)
		}
	}
	payload := wamp.Payload{Args: wamp.List{strings.Repeat("x", 4000)}}
	ack := &device.PublishOptions{Acknowledge: true}
	if err := dialRetry(t, ctx, "rs://"+big, device.Config{}).Publish(ctx, "t", payload, ack); err != nil {
		t.Errorf("4 KB on the default listener: %v", err)
	}
	if err := dialRetry(t, ctx, "rs://"+small, device.Config{}).Publish(ctx, "t", payload, ack); !errors.Is(err, peer.ErrTooLarge) {
		t.Errorf("4 KB on the 1 KiB listener: %v, want peer.ErrTooLarge", err)
	}
	if _, err := openListener(listenSpec{URL: "rs://127.0.0.1:0", MaxMessageSize: 100}, limitsSpec{}, nil); err == nil {
		t.Error("max_message_size 100 accepted")
	}
}

// TestWebSocketPerSourceLimit: with limit_local (the test's clients are on
// loopback), a WebSocket listener admits max_connections_per_source
// sessions from one address; the next upgrade is refused (HTTP 503) and
// counted, and a place freed by a session that ends is taken again.
func TestWebSocketPerSourceLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var ws, rs string
	for try := 1; ; try++ {
		ws, rs = freePort(t), freePort(t)
		_, err := startSensorbridge(t, map[string]any{
			"listeners": []any{map[string]any{"url": "ws://" + ws + "/ws"}, map[string]any{"url": "rs://" + rs}},
			"limits":    map[string]any{"max_connections_per_source": 1, "limit_local": true},
		})
		if err == nil {
			break
		}
		if try == 5 || !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatalf("sensorbridge: %v", err)
		}
	}
	cfg := device.Config{Dialers: map[string]wamp.Dialer{"ws": wstransport.DialURL, "wss": wstransport.DialURL}}
	first := dialRetry(t, ctx, "ws://"+ws+"/ws", cfg)
	if c, err := device.Dial(ctx, "ws://"+ws+"/ws", cfg); err == nil {
		c.Close()
		t.Fatal("a second WebSocket session from one address was admitted")
	}
	first.Close()
	dialRetry(t, ctx, "ws://"+ws+"/ws", cfg) // the place is free again (once the first session has ended)
	stats, err := dialRetry(t, ctx, "rs://"+rs, device.Config{}).Call(ctx, statsProcedure, wamp.Payload{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ls, _ := stats.Kwargs["listeners"].(wamp.List)
	found := false
	for _, l := range ls {
		if d, _ := l.(wamp.Dict); d["kind"] == kindWebSocket {
			n, _ := wamp.OptInt(d, "refused_per_source")
			found = n >= 1
		}
	}
	if !found {
		t.Errorf("no refused_per_source for the WebSocket listener in %v", stats.Kwargs["listeners"])
	}
}
