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

var _ device.PayloadCodec = (*e2ee.Keyring)(nil)

// TestCoded: device.Coded with a Keyring seals and opens by itself; URIs
// without a key go in clear; a tampered event is not delivered.
func TestCoded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rt, _ := minirouter.New(minirouter.Config{})
	defer rt.Close()
	var ring e2ee.Keyring
	ring.Set("plant.", newKey(t, "plant-1"))
	a := device.Coded{Client: join(ctx, t, rt), Codec: &ring}
	b := device.Coded{Client: join(ctx, t, rt), Codec: &ring}
	spy := join(ctx, t, rt)

	got := make(chan string, 4)
	b.Subscribe(ctx, "plant.", func(ev *device.Event) { got <- fmt.Sprint(ev.Topic, ev.Args) }, &device.SubscribeOptions{Match: wamp.PrefixMatch})
	b.Subscribe(ctx, "open.", func(ev *device.Event) { got <- fmt.Sprint(ev.Topic, ev.Args) }, &device.SubscribeOptions{Match: wamp.PrefixMatch})
	boxes := make(chan *device.Event, 4)
	spy.Subscribe(ctx, "plant.", func(ev *device.Event) { boxes <- ev }, &device.SubscribeOptions{Match: wamp.PrefixMatch})

	ack := &device.PublishOptions{Acknowledge: true}
	a.Publish(ctx, "plant.temp", wamp.Payload{Args: wamp.List{21.5}}, ack)
	if g := <-got; g != "plant.temp[21.5]" {
		t.Errorf("sealed event: %s", g)
	}
	if ev := <-boxes; ev.Details["ppt_keyid"] != "plant-1" {
		t.Errorf("the spy saw %v", ev.Details)
	}
	a.Publish(ctx, "open.temp", wamp.Payload{Args: wamp.List{3}}, ack)
	if g := <-got; g != "open.temp[3]" {
		t.Errorf("clear event: %s", g)
	}
	// a forged box on a keyed topic is dropped, counted
	spy.Publish(ctx, "plant.temp", wamp.Payload{Args: wamp.List{make([]byte, 64)}},
		&device.PublishOptions{Acknowledge: true, Extra: wamp.Dict{"ppt_scheme": "wamp", "ppt_cipher": e2ee.Cipher}})
	a.Publish(ctx, "open.end", wamp.Payload{Args: wamp.List{"end"}}, ack)
	if g := <-got; g != "open.end[end]" || ring.Failures() != 1 {
		t.Errorf("after the forged box: %s, %d failures", g, ring.Failures())
	}

	// calls, with progressive results
	b.Register(ctx, "plant.setpoint", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		inv.Progress(ctx, wamp.Payload{Args: wamp.List{"moving"}}) // not sealed by Coded: refused by the caller's codec
		return wamp.Payload{Args: wamp.List{"set", inv.Args[0]}}, nil
	}, nil)
	var progress []any
	res, err := a.Call(ctx, "plant.setpoint", wamp.Payload{Args: wamp.List{19}},
		&device.CallOptions{Progress: func(p wamp.Payload) { progress = append(progress, p.Args...) }})
	if err != nil || fmt.Sprint(res.Args) != "[set 19]" || progress != nil {
		t.Errorf("call: %v %v, progress %v", res, err, progress)
	}
}

// A Keyring as the device client's codec: what the client publishes under
// plant. is sealed, and its handlers receive opened payloads.
func ExampleKeyring_Encode() {
	ctx := context.Background()
	rt, _ := minirouter.New(minirouter.Config{})
	defer rt.Close()
	var ring e2ee.Keyring
	k, _ := e2ee.NewKey("plant-1", bytes.Repeat([]byte{42}, 32))
	ring.Set("plant.", k)
	connect := func() device.Coded {
		tr, _ := rt.Connect(ctx)
		c, err := device.NewClient(ctx, tr, device.Config{})
		if err != nil {
			log.Fatal(err)
		}
		return device.Coded{Client: c, Codec: &ring}
	}
	sub, pub := connect(), connect()
	defer sub.Close()
	defer pub.Close()
	done := make(chan struct{})
	sub.Subscribe(ctx, "plant.temp", func(ev *device.Event) {
		fmt.Println(ev.Args, ev.Details["ppt_cipher"])
		close(done)
	}, nil)
	pub.Publish(ctx, "plant.temp", wamp.Payload{Args: wamp.List{21.5}}, nil)
	<-done
	// Output: [21.5] xsalsa20poly1305
}
