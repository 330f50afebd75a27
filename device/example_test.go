package device_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// joinInProcess joins a client to rt over an in-process connection.
func joinInProcess(ctx context.Context, rt *minirouter.Router) *device.Client {
	tr, err := rt.Connect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	c, err := device.NewClient(ctx, tr, device.Config{Logger: quiet()})
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// A callee registers a procedure and a caller calls it, over RawSocket on a
// loopback TCP port.
func Example() {
	ctx := context.Background()
	rt, _ := minirouter.New(minirouter.Config{})
	defer rt.Close()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go listen.Serve(rt, l, listen.Config{})
	url := "rs://" + l.Addr().String() // MessagePack by default; add ?serializer=json for JSON

	callee, err := device.Dial(ctx, url, device.Config{Realm: "realm1"})
	if err != nil {
		log.Fatal(err)
	}
	defer callee.Close()
	_, err = callee.Register(ctx, "com.example.add2", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		a, _ := inv.Args[0].(int64) // decoded integers are int64
		b, _ := inv.Args[1].(int64)
		return wamp.Payload{Args: wamp.List{a + b}}, nil
	}, nil)
	if err != nil {
		log.Fatal(err)
	}

	caller, err := device.Dial(ctx, url, device.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer caller.Leave(ctx)
	res, err := caller.Call(ctx, "com.example.add2", wamp.Payload{Args: wamp.List{2, 3}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("2 + 3 =", res.Args[0])
	// Output: 2 + 3 = 5
}

// Errors come back as *wamp.Error and match the standard URIs.
func ExampleClient_Call() {
	ctx := context.Background()
	rt, _ := minirouter.New(minirouter.Config{})
	defer rt.Close()
	c := joinInProcess(ctx, rt)
	defer c.Close()

	_, err := c.Call(ctx, "com.example.missing", wamp.Payload{}, &device.CallOptions{Timeout: time.Second})
	fmt.Println(errors.Is(err, wamp.ErrNoSuchProcedure))
	// Output: true
}

// A handler can send progressive results; the caller receives them in order.
func ExampleClient_Register() {
	ctx := context.Background()
	rt, _ := minirouter.New(minirouter.Config{})
	defer rt.Close()
	callee, caller := joinInProcess(ctx, rt), joinInProcess(ctx, rt)
	defer callee.Close()
	defer caller.Close()

	_, err := callee.Register(ctx, "com.example.countdown", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		for i := 3; i > 0; i-- {
			if err := inv.Progress(ctx, wamp.Payload{Args: wamp.List{i}}); err != nil {
				return wamp.Payload{}, err
			}
		}
		return wamp.Payload{Args: wamp.List{"liftoff"}}, nil
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	res, err := caller.Call(ctx, "com.example.countdown", wamp.Payload{}, &device.CallOptions{
		Progress: func(p wamp.Payload) { fmt.Println(p.Args[0]) },
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Args[0])
	// Output:
	// 3
	// 2
	// 1
	// liftoff
}

// A sensor publishes readings; a subscriber receives them in order.
func ExampleClient_Subscribe() {
	ctx := context.Background()
	rt, _ := minirouter.New(minirouter.Config{})
	defer rt.Close()
	sensor, dashboard := joinInProcess(ctx, rt), joinInProcess(ctx, rt)
	defer sensor.Close()
	defer dashboard.Close()

	got := make(chan *device.Event, 3)
	_, err := dashboard.Subscribe(ctx, "com.example.sensor.", func(ev *device.Event) { got <- ev },
		&device.SubscribeOptions{Match: wamp.PrefixMatch})
	if err != nil {
		log.Fatal(err)
	}
	for _, temp := range []float64{21.5, 21.7, 22.0} {
		if err := sensor.Publish(ctx, "com.example.sensor.temp", wamp.Payload{Args: wamp.List{temp}}, nil); err != nil {
			log.Fatal(err)
		}
	}
	for range 3 {
		ev := <-got
		fmt.Println(ev.Topic, ev.Args[0])
	}
	// Output:
	// com.example.sensor.temp 21.5
	// com.example.sensor.temp 21.7
	// com.example.sensor.temp 22
}

// With reconnection on, a client keeps a device joined: Dial returns at
// once, the client joins in the background, its procedures are registered
// again after every join, and what it publishes while offline is sent
// afterwards. Here the router becomes reachable only after the device has
// registered and published.
func ExampleDial_reconnect() {
	ctx := context.Background()
	rt, _ := minirouter.New(minirouter.Config{})
	defer rt.Close()

	up := make(chan struct{}) // closed when the router is reachable
	joined := make(chan struct{}, 1)
	c, err := device.Dial(ctx, "rs://gateway:8080", device.Config{
		Logger: quiet(),
		Reconnect: device.Reconnect{
			Enabled: true,
			// Connect replaces dialling the URL: an in-process router.
			Connect: func(ctx context.Context) (wamp.Transport, error) { <-up; return rt.Connect(ctx) },
			OnJoin:  func(*device.Client) { joined <- struct{}{} },
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.Register(ctx, "com.example.light.set", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		return wamp.Payload{Args: wamp.List{"light is " + fmt.Sprint(inv.Args[0])}}, nil
	}, nil)
	c.Publish(ctx, "com.example.boot", wamp.Payload{}, nil) // queued until joined
	fmt.Println("queued:", c.Stats().OfflineQueued)

	close(up)
	<-joined
	user := joinInProcess(ctx, rt)
	defer user.Close()
	res, err := user.Call(ctx, "com.example.light.set", wamp.Payload{Args: wamp.List{"on"}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Args[0])
	fmt.Println("queued:", c.Stats().OfflineQueued)
	// Output:
	// queued: 1
	// light is on
	// queued: 0
}

// A Deduplicator drops the repeats of numbered events. A gateway's uplink
// numbers the readings it forwards and sends one again when its
// acknowledgement was lost; a router restarted in between cannot know it
// delivered the first copy. Here reading 1 goes through one router, and
// then again (with reading 2) through a new one, as across a restart.
func ExampleDeduplicator() {
	ctx := context.Background()
	var dedup device.Deduplicator // kept across the subscriber's sessions
	show := dedup.Wrap(func(ev *device.Event) { fmt.Println(ev.Args[0]) })
	readings := []float64{0, 21.5, 21.7} // by number
	for _, numbers := range [][]int{{1}, {1, 2}} {
		// Numbers are honoured from an authenticated publisher only: the
		// stream belongs to its authid.
		rt, _ := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "realm1",
			Users: []minirouter.User{{AuthID: "gateway7", Ticket: "s3cret"}}, AllowAnonymous: true}}})
		tr, _ := rt.Connect(ctx)
		gateway, err := device.NewClient(ctx, tr, device.Config{Logger: quiet(),
			Auth: device.Credentials{AuthID: "gateway7", Ticket: "s3cret"}})
		if err != nil {
			log.Fatal(err)
		}
		backend := joinInProcess(ctx, rt)
		got := make(chan *device.Event, 2)
		if _, err := backend.Subscribe(ctx, "temperature", func(ev *device.Event) { got <- ev }, nil); err != nil {
			log.Fatal(err)
		}
		for _, n := range numbers {
			opts := &device.PublishOptions{Acknowledge: true, Extra: wamp.Dict{wamp.PubSeqKey: wamp.List{7, n}}}
			if err := gateway.Publish(ctx, "temperature", wamp.Payload{Args: wamp.List{readings[n]}}, opts); err != nil {
				log.Fatal(err)
			}
			show(<-got)
		}
		gateway.Close()
		backend.Close()
		rt.Close()
	}
	fmt.Println("repeats dropped:", dedup.Repeats())
	// Output:
	// 21.5
	// 21.7
	// repeats dropped: 1
}
