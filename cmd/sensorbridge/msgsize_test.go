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
	if _, err := listen(listenSpec{URL: "rs://127.0.0.1:0", MaxMessageSize: 100}); err == nil {
		t.Error("max_message_size 100 accepted")
	}
}
