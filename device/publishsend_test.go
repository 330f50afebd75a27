package device_test

import (
	"context"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestPublishSendReusedOptions: a publisher's one options map (Extra with
// acknowledge true) is read as each PublishSend sends, not later, so
// that it can be changed for the next publication; PublishSend leaves it
// as it was.
func TestPublishSendReusedOptions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rt, err := minirouter.New(minirouter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	c := joinInProcess(ctx, rt)
	defer c.Close()
	got := make(chan any, 3)
	if _, err := c.Subscribe(ctx, "com.example.t", func(ev *device.Event) { got <- ev.Args[0] }, nil); err != nil {
		t.Fatal(err)
	}
	opts := wamp.Dict{"acknowledge": true, "exclude_me": false}
	o := &device.PublishOptions{Extra: opts}
	var sent []*device.SentPublication
	for i, excludeMe := range []bool{false, true, false} { // the publisher gets its own events 0 and 2
		opts["exclude_me"] = excludeMe
		sp, err := c.PublishSend(ctx, "com.example.t", wamp.Payload{Args: wamp.List{i}}, o)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, sp)
	}
	for _, sp := range sent {
		if err := sp.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []int64{0, 2} {
		select {
		case v := <-got:
			if n, _ := wamp.ToID(v); int64(n) != want {
				t.Errorf("event %v, want %d", v, want)
			}
		case <-ctx.Done():
			t.Fatalf("event %d not received", want)
		}
	}
	if len(opts) != 2 || opts["exclude_me"] != false {
		t.Errorf("options changed: %v", opts)
	}
}
