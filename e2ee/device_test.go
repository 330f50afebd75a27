package e2ee_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/e2ee"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

func join(ctx context.Context, t testing.TB, rt *minirouter.Router) *device.Client {
	tr, err := rt.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := device.NewClient(ctx, tr, device.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestThroughRouter: devices publish and call sealed payloads through a
// router; a subscriber without the key (what a gateway or an upstream
// router could see) gets only the box, and a tampered box is refused.
func TestThroughRouter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rt, _ := minirouter.New(minirouter.Config{})
	defer rt.Close()
	var ring e2ee.Keyring
	ring.Set("plant.", newKey(t, "plant-1"))
	pub, sub, spy := join(ctx, t, rt), join(ctx, t, rt), join(ctx, t, rt)

	got := make(chan string, 4)
	sub.Subscribe(ctx, "plant.temp", func(ev *device.Event) {
		p, err := ring.Open(ev.Topic, ev.Payload, ev.Details)
		got <- fmt.Sprint(p.Args, err)
	}, nil)
	seen := make(chan *device.Event, 4)
	spy.Subscribe(ctx, "plant.temp", func(ev *device.Event) { seen <- ev }, nil)

	sealed, opts, err := ring.Seal("plant.temp", wamp.Payload{Args: wamp.List{21.5}})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, "plant.temp", sealed, &device.PublishOptions{Acknowledge: true, Extra: opts}); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g != "[21.5] <nil>" {
		t.Errorf("subscriber: %s", g)
	}
	if ev := <-seen; ev.Details["ppt_cipher"] != e2ee.Cipher || bytes.Contains(ev.Args[0].([]byte), []byte("21.5")) {
		t.Errorf("the keyless subscriber saw %v %v", ev.Details, ev.Args)
	}
	// tampered on the way: refused, counted
	box := bytes.Clone(sealed.Args[0].([]byte))
	box[30] ^= 0x80
	pub.Publish(ctx, "plant.temp", wamp.Payload{Args: wamp.List{box}}, &device.PublishOptions{Acknowledge: true, Extra: opts})
	if g := <-got; g != "[] e2ee: payload does not open: plant.temp with key \"plant-1\"" || ring.Failures() != 1 {
		t.Errorf("tampered: %s, %d failures", g, ring.Failures())
	}

	// a call sealed both ways
	_, err = sub.Register(ctx, "plant.setpoint", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		in, err := ring.Open(inv.Procedure, inv.Payload, inv.Details)
		if err != nil {
			return wamp.Payload{}, err
		}
		out, o, err := ring.Seal(inv.Procedure, wamp.Payload{Args: wamp.List{"set", in.Args[0]}})
		inv.ResultOptions = o
		return out, err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	arg, copts, _ := ring.Seal("plant.setpoint", wamp.Payload{Args: wamp.List{19}})
	res, err := pub.Call(ctx, "plant.setpoint", arg, &device.CallOptions{Extra: copts})
	if err != nil {
		t.Fatal(err)
	}
	// Call returns the payload only: open it with the call's own options.
	p, err := ring.Open("plant.setpoint", res, copts)
	if err != nil || fmt.Sprint(p.Args) != "[set 19]" {
		t.Errorf("result %v %v", p, err)
	}
	if _, err := ring.Open("plant.setpoint", res, nil); !errors.Is(err, e2ee.ErrNotEncrypted) {
		t.Errorf("result without options: %v", err)
	}
}

// A device publishes a reading sealed for its plant; the router carries
// the box, and the subscriber holding the key opens it.
func ExampleKeyring_Seal() {
	ctx := context.Background()
	rt, _ := minirouter.New(minirouter.Config{})
	defer rt.Close()
	connect := func() *device.Client {
		tr, _ := rt.Connect(ctx)
		c, err := device.NewClient(ctx, tr, device.Config{})
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	var ring e2ee.Keyring
	k, _ := e2ee.NewKey("plant-1", bytes.Repeat([]byte{42}, 32)) // 32 secret bytes, shared out of band
	ring.Set("plant.", k)

	sub := connect()
	defer sub.Close()
	done := make(chan struct{})
	sub.Subscribe(ctx, "plant.temp", func(ev *device.Event) {
		p, err := ring.Open(ev.Topic, ev.Payload, ev.Details)
		fmt.Println(p.Args, err)
		close(done)
	}, nil)

	pub := connect()
	defer pub.Close()
	sealed, opts, _ := ring.Seal("plant.temp", wamp.Payload{Args: wamp.List{21.5}})
	pub.Publish(ctx, "plant.temp", sealed, &device.PublishOptions{Extra: opts})
	<-done
	// Output: [21.5] <nil>
}
