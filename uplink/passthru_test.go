package uplink_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestUplinkPassthru: a passthru payload (opaque bytes with ppt_*
// options, e.g. an end-to-end encrypted reading) crosses the gateway both
// ways untouched, through the store-and-forward journal, and so do the
// options of a call's arguments.
func TestUplinkPassthru(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	up := startUpstream(t, "rs", "", nil)
	x := join(t, ctx, up.r, "cloud")
	cfg := siteRules
	cfg.URL = up.url()
	cfg.QueueFile = filepath.Join(t.TempDir(), "queue")
	gw := startGateway(t, cfg)
	d := join(t, ctx, gw.r, "realm1")

	ppt := wamp.Dict{"ppt_scheme": "wamp", "ppt_serializer": "json", "ppt_cipher": "xsalsa20poly1305", "ppt_keyid": "k1"}
	box := []byte{0, 1, 2, 0xfe, 0xff, 'b', 'o', 'x'}
	opaque := wamp.Payload{Args: wamp.List{box}}
	check := func(what string, d wamp.Dict, p wamp.Payload) {
		t.Helper()
		b, _ := p.Args[0].([]byte)
		for k, v := range ppt {
			if d[k] != v {
				t.Errorf("%s: %s = %v", what, k, d[k])
			}
		}
		if len(p.Args) != 1 || !bytes.Equal(b, box) {
			t.Errorf("%s: payload %v", what, p)
		}
	}

	// up: a device's event reaches the upstream subscriber
	upEvents := make(chan *device.Event, 8)
	x.Subscribe(ctx, "com.acme.site7.sensor.temp", func(ev *device.Event) { upEvents <- ev }, nil)
	var got *device.Event
	eventually(t, ctx, "the event up", func() bool {
		d.Publish(ctx, "sensor.temp", opaque, &device.PublishOptions{Extra: ppt})
		select {
		case got = <-upEvents:
			return true
		case <-time.After(100 * time.Millisecond):
			return false
		}
	})
	check("up", got.Details, got.Payload)

	// down: an upstream event reaches the device
	downEvents := make(chan *device.Event, 8)
	d.Subscribe(ctx, "cmd.light", func(ev *device.Event) { downEvents <- ev }, nil)
	eventually(t, ctx, "the event down", func() bool {
		x.Publish(ctx, "com.acme.site7.cmd.light", opaque, &device.PublishOptions{Extra: ppt})
		select {
		case got = <-downEvents:
			return true
		case <-time.After(100 * time.Millisecond):
			return false
		}
	})
	check("down", got.Details, got.Payload)

	// a call's arguments, exported
	invs := make(chan *device.Invocation, 1)
	d.Register(ctx, "light.secret", func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
		invs <- inv
		inv.ResultOptions = ppt
		return opaque, nil
	}, nil)
	var res wamp.Payload
	var details wamp.Dict
	eventually(t, ctx, "light.secret exported", func() bool {
		var err error
		res, details, err = x.CallWithDetails(ctx, "com.acme.site7.light.secret", opaque, &device.CallOptions{Extra: ppt})
		return err == nil
	})
	inv := <-invs
	check("INVOCATION", inv.Details, inv.Payload)
	check("RESULT, exported", details, res)

	// a call's arguments and result, imported: the device calls upstream
	if _, err := x.Register(ctx, "com.acme.cloud.vault", func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
		check("INVOCATION, imported", inv.Details, inv.Payload)
		inv.ResultOptions = ppt
		return opaque, nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "cloud.vault imported", func() bool {
		var err error
		res, details, err = d.CallWithDetails(ctx, "cloud.vault", opaque, &device.CallOptions{Extra: ppt})
		return err == nil
	})
	check("RESULT, imported", details, res)
}
