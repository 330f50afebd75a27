package device_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestPassthru publishes and calls with a passthru payload (an MQTT
// message carried as is): the options and the bytes arrive untouched.
func TestPassthru(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rt, _ := minirouter.New(minirouter.Config{})
	defer rt.Close()
	a, b := joinInProcess(ctx, rt), joinInProcess(ctx, rt)
	defer a.Close()
	defer b.Close()
	ppt := wamp.Dict{"ppt_scheme": "mqtt", "ppt_serializer": "mqtt"}
	raw := []byte{0x30, 0x0a, 0, 4, 't', 'e', 'm', 'p', '2', '1', '.', '5'}
	opaque := wamp.Payload{Args: wamp.List{raw}}
	same := func(what string, d wamp.Dict, p wamp.Payload) {
		t.Helper()
		got, _ := p.Args[0].([]byte)
		if d["ppt_scheme"] != "mqtt" || d["ppt_serializer"] != "mqtt" || len(p.Args) != 1 || !bytes.Equal(got, raw) {
			t.Errorf("%s: %v %v", what, d, p)
		}
	}

	events := make(chan *device.Event, 1)
	if _, err := b.Subscribe(ctx, "mqtt.bridge.temp", func(ev *device.Event) { events <- ev }, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(ctx, "mqtt.bridge.temp", opaque, &device.PublishOptions{Acknowledge: true, Extra: ppt}); err != nil {
		t.Fatal(err)
	}
	ev := <-events
	same("EVENT", ev.Details, ev.Payload)

	_, err := b.Register(ctx, "mqtt.bridge.echo", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		same("INVOCATION", inv.Details, inv.Payload)
		inv.ResultOptions = ppt
		return inv.Payload, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, details, err := a.CallWithDetails(ctx, "mqtt.bridge.echo", opaque, &device.CallOptions{Extra: ppt})
	if err != nil {
		t.Fatal(err)
	}
	same("RESULT", details, res)
	if _, err := a.Call(ctx, "mqtt.bridge.echo", opaque, &device.CallOptions{Extra: wamp.Dict{"ppt_scheme": "rot13"}}); !errors.Is(err, wamp.ErrInvalidArgument) {
		t.Errorf("bad scheme: %v", err)
	}
}
