package uplink_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/internal/testnet"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/uplink"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// upstream is an in-process minirouter serving as the uplink's upstream
// router on a loopback port, over RawSocket or WebSocket.
type upstream struct {
	t     testing.TB
	kind  string // "rs" or "ws"
	addr  string
	r     *minirouter.Router
	stopf func()
}

func (up *upstream) url() string {
	if up.kind == "ws" {
		return "ws://" + up.addr + "/ws"
	}
	return "rs://" + up.addr
}

// start creates the router and lets ready (e.g. upstream clients
// subscribing) run before the port is served. addr "" picks a free port.
func startUpstream(t testing.TB, kind, addr string, ready func(r *minirouter.Router)) *upstream {
	t.Helper()
	return startUpstreamConfig(t, kind, addr, minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "cloud"}}}, ready)
}

// startUpstreamConfig is startUpstream with the router's configuration.
func startUpstreamConfig(t testing.TB, kind, addr string, rcfg minirouter.Config, ready func(r *minirouter.Router)) *upstream {
	t.Helper()
	r, err := minirouter.New(rcfg)
	if err != nil {
		t.Fatal(err)
	}
	if ready != nil {
		ready(r)
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := testnet.ListenAgain("tcp", addr) // the port of a stopped upstream may take a moment to be free again
	if err != nil {
		t.Fatal(err)
	}
	tl := &trackListener{Listener: l}
	l = tl
	up := &upstream{t: t, kind: kind, addr: l.Addr().String(), r: r}
	done := make(chan struct{})
	var srv *http.Server
	if kind == "ws" {
		mux := http.NewServeMux()
		mux.Handle("/ws", listen.Handler(r, wstransport.ServerConfig{}))
		srv = wstransport.NewServer("", mux)
		go func() { defer close(done); _ = srv.Serve(l) }()
	} else {
		go func() { defer close(done); _ = listen.Serve(r, l, listen.Config{}) }()
	}
	var once sync.Once
	up.stopf = func() {
		once.Do(func() {
			// The upstream dies as a process would: its network connections
			// (the uplink's) break at once. Its in-process subscribers then
			// get what it had already acknowledged before it is closed
			// (no gateway can recover what a dead router acknowledged but
			// never delivered).
			l.Close()
			tl.killConns()
			for last := uint64(0); ; {
				time.Sleep(20 * time.Millisecond) // polling: the router's output settles
				if n := r.Stats().MessagesOut; n == last {
					break
				} else {
					last = n
				}
			}
			if srv != nil {
				srv.Close()
			}
			r.Close()
			<-done
		})
	}
	t.Cleanup(up.stopf)
	return up
}

// join returns an in-process device client of r's realm.
func join(t testing.TB, ctx context.Context, r *minirouter.Router, realm wamp.URI) *device.Client {
	t.Helper()
	return joinQueue(t, ctx, r, realm, 0)
}

// joinQueue is join for a subscriber that takes bursts of up to n events
// (its queue in the router and its client's event queue); n 0: the
// defaults. The uplink sends a window of events at a time: an upstream
// subscriber that must count every one of a burst needs the room.
func joinQueue(t testing.TB, ctx context.Context, r *minirouter.Router, realm wamp.URI, n int) *device.Client {
	t.Helper()
	tr, err := r.ConnectPeer(ctx, peer.Config{QueueMessages: n, QueueBytes: n * 1024})
	if err != nil {
		t.Fatal(err)
	}
	c, err := device.NewClient(ctx, tr, device.Config{Realm: realm, EventQueue: n})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// gateway is a minirouter with an uplink running.
type gateway struct {
	r  *minirouter.Router
	ul *uplink.Uplink
}

func startGateway(t testing.TB, cfg uplink.Config) *gateway {
	t.Helper()
	r, err := minirouter.New(minirouter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff, cfg.MaxBackoff = 10*time.Millisecond, 100*time.Millisecond
	}
	cfg.Dialers = map[string]wamp.Dialer{"ws": wstransport.DialURL, "wss": wstransport.DialURL}
	ul, err := uplink.New(r, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ul.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("uplink Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("uplink Run did not return")
		}
		r.Close()
	})
	return &gateway{r: r, ul: ul}
}

// eventually polls cond every 10ms until it holds or ctx ends.
func eventually(t testing.TB, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

var siteRules = uplink.Config{
	Realm: "cloud",
	Publish: []uplink.Rule{
		{Local: "sensor.", Upstream: "com.acme.site7.sensor."},
	},
	Subscribe: []uplink.Rule{
		{Upstream: "com.acme.site7.cmd.", Local: "cmd."},
		{Upstream: "com.acme.site7.sensor.", Local: "sensor."}, // the reverse of a Publish rule: must not echo
	},
	Export: []uplink.Rule{{Local: "light.", Upstream: "com.acme.site7.light."}},
	Import: []uplink.Rule{{Local: "cloud.", Upstream: "com.acme.cloud."}},
}

// TestUplink bridges a gateway to an upstream minirouter over RawSocket and
// over WebSocket: exported and imported procedures (progressive results,
// cancel), topics up and down with prefix rewriting, no echo, and a device
// leaving takes its upstream registration with it.
func TestUplink(t *testing.T) {
	for _, kind := range []string{"rs", "ws"} {
		t.Run(kind, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			up := startUpstream(t, kind, "", nil)
			x := join(t, ctx, up.r, "cloud") // an upstream client
			cfg := siteRules
			cfg.URL = up.url()
			gw := startGateway(t, cfg)
			d := join(t, ctx, gw.r, "realm1") // a device on the gateway

			// Export: light.set with progressive results; light.wait until cancelled.
			waiting, canceled := make(chan struct{}), make(chan struct{})
			if _, err := d.Register(ctx, "light.set", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
				for i := range 3 {
					inv.Progress(ctx, wamp.Payload{Args: wamp.List{i}})
				}
				return wamp.Payload{Args: wamp.List{"on", inv.Procedure}}, nil
			}, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Register(ctx, "light.wait", func(ctx context.Context, _ *device.Invocation) (wamp.Payload, error) {
				close(waiting)
				<-ctx.Done()
				close(canceled)
				return wamp.Payload{}, ctx.Err()
			}, nil); err != nil {
				t.Fatal(err)
			}
			var res wamp.Payload
			var progress []any
			eventually(t, ctx, "light.set exported", func() bool {
				progress = nil
				var err error
				res, err = x.Call(ctx, "com.acme.site7.light.set", wamp.Payload{}, &device.CallOptions{
					Progress: func(p wamp.Payload) { progress = append(progress, p.Args[0]) }})
				return err == nil
			})
			if fmt.Sprint(res.Args, progress) != "[on light.set] [0 1 2]" {
				t.Errorf("light.set via upstream = %v, progress %v", res.Args, progress)
			}
			// light.wait may be exported a moment after light.set (the
			// uplink reconciles its exports in batches): a call before
			// that fails with no_such_procedure, and is made again.
			wctx, wcancel := context.WithCancel(ctx)
			go cancelOnceWaiting(ctx, waiting, wcancel)
			for {
				_, err := x.Call(wctx, "com.acme.site7.light.wait", wamp.Payload{}, nil)
				if errors.Is(err, wamp.ErrNoSuchProcedure) {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				if err == nil {
					t.Error("cancelled call succeeded")
				}
				break
			}
			select {
			case <-canceled:
			case <-ctx.Done():
				t.Fatal("cancel did not reach the device")
			}

			// Import: the device calls an upstream procedure through the gateway.
			if _, err := x.Register(ctx, "com.acme.cloud.add", func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
				return wamp.Payload{Args: wamp.List{inv.Args[0].(int64) + inv.Args[1].(int64), string(inv.Procedure)}}, nil
			}, nil); err != nil {
				t.Fatal(err)
			}
			res, err := d.Call(ctx, "cloud.add", wamp.Payload{Args: wamp.List{2, 3}}, nil)
			if err != nil || fmt.Sprint(res.Args) != "[5 com.acme.cloud.add]" {
				t.Errorf("cloud.add via gateway = %v, %v", res.Args, err)
			}
			// ... with progressive results, and cancelled.
			xWaiting, xCanceled := make(chan struct{}), make(chan struct{})
			if _, err := x.Register(ctx, "com.acme.cloud.", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
				if inv.Procedure == "com.acme.cloud.wait" {
					close(xWaiting)
					<-ctx.Done()
					close(xCanceled)
					return wamp.Payload{}, ctx.Err()
				}
				for i := range 3 {
					inv.Progress(ctx, wamp.Payload{Args: wamp.List{i}})
				}
				return wamp.Payload{Args: wamp.List{"done"}}, nil
			}, &device.RegisterOptions{Match: "prefix"}); err != nil {
				t.Fatal(err)
			}
			progress = nil
			res, err = d.Call(ctx, "cloud.count", wamp.Payload{}, &device.CallOptions{
				Progress: func(p wamp.Payload) { progress = append(progress, p.Args[0]) }})
			if err != nil || fmt.Sprint(res.Args, progress) != "[done] [0 1 2]" {
				t.Errorf("cloud.count via gateway = %v %v, %v", res.Args, progress, err)
			}
			wctx, wcancel = context.WithCancel(ctx)
			go cancelOnceWaiting(ctx, xWaiting, wcancel)
			if _, err := d.Call(wctx, "cloud.wait", wamp.Payload{}, nil); err == nil {
				t.Error("cancelled call succeeded")
			}
			select {
			case <-xCanceled:
			case <-ctx.Done():
				t.Fatal("cancel did not reach the upstream callee")
			}

			// Topics up (in order, rewritten) and down; nothing echoes.
			upEvents := make(chan *device.Event, 100)
			if _, err := x.Subscribe(ctx, "com.acme.site7.sensor.", func(ev *device.Event) { upEvents <- ev },
				&device.SubscribeOptions{Match: "prefix"}); err != nil {
				t.Fatal(err)
			}
			downEvents := make(chan *device.Event, 100)
			if _, err := d.Subscribe(ctx, "cmd.", func(ev *device.Event) { downEvents <- ev },
				&device.SubscribeOptions{Match: "prefix"}); err != nil {
				t.Fatal(err)
			}
			localSensor := make(chan *device.Event, 100)
			if _, err := d.Subscribe(ctx, "sensor.", func(ev *device.Event) { localSensor <- ev },
				&device.SubscribeOptions{Match: "prefix"}); err != nil {
				t.Fatal(err)
			}
			// From upstream: reaches the device as sensor.remote, and must not come back up.
			if err := x.Publish(ctx, "com.acme.site7.sensor.remote", wamp.Payload{Args: wamp.List{"remote"}},
				&device.PublishOptions{Acknowledge: true}); err != nil {
				t.Fatal(err)
			}
			select {
			case ev := <-localSensor:
				if ev.Topic != "sensor.remote" {
					t.Errorf("down event topic %s", ev.Topic)
				}
			case <-ctx.Done():
				t.Fatal("upstream sensor event not brought down")
			}
			const n = 20
			for i := range n {
				if err := d.Publish(ctx, "sensor.temp", wamp.Payload{Args: wamp.List{i}}, nil); err != nil {
					t.Fatal(err)
				}
			}
			for i := range n {
				select {
				case ev := <-upEvents:
					if ev.Topic != "com.acme.site7.sensor.temp" || ev.Args[0] != int64(i) {
						t.Fatalf("up event %d: %s %v (an echo?)", i, ev.Topic, ev.Args)
					}
				case <-ctx.Done():
					t.Fatalf("up event %d missing", i)
				}
			}
			if err := x.Publish(ctx, "com.acme.site7.cmd.reboot", wamp.Payload{Args: wamp.List{1}}, nil); err != nil {
				t.Fatal(err)
			}
			select {
			case ev := <-downEvents:
				if ev.Topic != "cmd.reboot" {
					t.Errorf("down event topic %s", ev.Topic)
				}
			case <-ctx.Done():
				t.Fatal("cmd event not brought down")
			}
			// The device's own readings came down again? (echo through the reverse rule)
			d.Publish(ctx, "sensor.end", wamp.Payload{Args: wamp.List{"end"}}, &device.PublishOptions{Acknowledge: true})
			select {
			case ev := <-upEvents:
				if ev.Topic != "com.acme.site7.sensor.end" {
					t.Fatalf("unexpected up event %s %v", ev.Topic, ev.Args)
				}
			case <-ctx.Done():
				t.Fatal("sensor.end missing")
			}
			select {
			case ev := <-localSensor:
				t.Errorf("echo: the device received %s %v", ev.Topic, ev.Args)
			case ev := <-upEvents:
				t.Errorf("echo: upstream received %s %v twice", ev.Topic, ev.Args)
			case <-time.After(100 * time.Millisecond):
			}

			st := gw.ul.Stats()
			if st.State != uplink.Joined || st.EventsUp < n+1 || st.EventsDown < 2 || st.CallsIn < 2 ||
				st.CallsOut != 3 || st.Exported != 2 {
				t.Errorf("stats %+v", st)
			}

			// The device leaves: its procedures go from upstream.
			d.Close()
			eventually(t, ctx, "light.set withdrawn upstream", func() bool {
				_, err := x.Call(ctx, "com.acme.site7.light.set", wamp.Payload{}, nil)
				return errors.Is(err, wamp.ErrNoSuchProcedure)
			})
			eventually(t, ctx, "Exported 0", func() bool { return gw.ul.Stats().Exported == 0 })
		})
	}
}

// TestUplinkNoLoop joins two gateways to one upstream with rules that
// would echo (each sends sensor.* up and brings the same topics down): an
// event published on one gateway reaches the upstream and the other
// gateway exactly once, and never comes back.
func TestUplinkNoLoop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	up := startUpstream(t, "rs", "", nil)
	x := join(t, ctx, up.r, "cloud")
	rules := uplink.Config{
		URL:       up.url(),
		Realm:     "cloud",
		Publish:   []uplink.Rule{{Local: "sensor.", Upstream: "com.acme.sensor."}},
		Subscribe: []uplink.Rule{{Upstream: "com.acme.sensor.", Local: "sensor."}},
	}
	g1, g2 := startGateway(t, rules), startGateway(t, rules)
	eventually(t, ctx, "both joined", func() bool {
		return g1.ul.Stats().State == uplink.Joined && g2.ul.Stats().State == uplink.Joined
	})
	count := func(c *device.Client) func() int {
		var mu sync.Mutex
		n := 0
		if _, err := c.Subscribe(ctx, "sensor.", func(*device.Event) { mu.Lock(); n++; mu.Unlock() },
			&device.SubscribeOptions{Match: "prefix"}); err != nil {
			t.Fatal(err)
		}
		return func() int { mu.Lock(); defer mu.Unlock(); return n }
	}
	d1, d2, d1b := join(t, ctx, g1.r, "realm1"), join(t, ctx, g2.r, "realm1"), join(t, ctx, g1.r, "realm1")
	var upN sync.Mutex
	upCount := 0
	if _, err := x.Subscribe(ctx, "com.acme.sensor.", func(*device.Event) { upN.Lock(); upCount++; upN.Unlock() },
		&device.SubscribeOptions{Match: "prefix"}); err != nil {
		t.Fatal(err)
	}
	on2, on1b := count(d2), count(d1b)
	// The upstream subscriptions of the two uplinks must exist before publishing.
	eventually(t, ctx, "g2 brings events down", func() bool {
		x.Publish(ctx, "com.acme.sensor.probe", wamp.Payload{}, &device.PublishOptions{Acknowledge: true})
		return on2() > 0 && on1b() > 0
	})
	base2, base1b := on2(), on1b()
	eventually(t, ctx, "probes settled", func() bool {
		time.Sleep(50 * time.Millisecond)
		b2, b1 := on2(), on1b()
		settled := b2 == base2 && b1 == base1b
		base2, base1b = b2, b1
		return settled
	})
	upN.Lock()
	upCount = 0
	upN.Unlock()

	const n = 50
	for i := range n {
		if err := d1.Publish(ctx, "sensor.temp", wamp.Payload{Args: wamp.List{i}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, ctx, "events everywhere", func() bool {
		upN.Lock()
		defer upN.Unlock()
		return upCount >= n && on2()-base2 >= n && on1b()-base1b >= n
	})
	time.Sleep(200 * time.Millisecond) // an echo would arrive by now
	upN.Lock()
	defer upN.Unlock()
	if upCount != n || on2()-base2 != n || on1b()-base1b != n {
		t.Errorf("upstream got %d, gateway 2 %d, gateway 1's other device %d; want %d each (no echo)",
			upCount, on2()-base2, on1b()-base1b, n)
	}
}

// TestUplinkNoGoroutineLeak runs an uplink through a call and events, stops
// everything, and checks that every goroutine ends.
func TestUplinkNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Run("run", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		up := startUpstream(t, "ws", "", nil)
		x := join(t, ctx, up.r, "cloud")
		got := make(chan struct{}, 10)
		x.Subscribe(ctx, "com.acme.site7.sensor.t", func(*device.Event) { got <- struct{}{} }, nil)
		cfg := siteRules
		cfg.URL = up.url()
		gw := startGateway(t, cfg)
		d := join(t, ctx, gw.r, "realm1")
		d.Register(ctx, "light.x", func(context.Context, *device.Invocation) (wamp.Payload, error) { return wamp.Payload{}, nil }, nil)
		eventually(t, ctx, "exported", func() bool {
			_, err := x.Call(ctx, "com.acme.site7.light.x", wamp.Payload{}, nil)
			return err == nil
		})
		d.Publish(ctx, "sensor.t", wamp.Payload{}, nil)
		<-got
	})
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond) // polling for goroutines to exit
	}
}

// trackListener remembers the connections it accepts, to break them all.
type trackListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *trackListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

func (l *trackListener) killConns() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
}

// cancelOnceWaiting cancels a call once its callee has it (waiting
// closed), or when ctx ends: a cancel that comes before the call reaches
// the callee has nothing to interrupt there.
func cancelOnceWaiting(ctx context.Context, waiting <-chan struct{}, cancel context.CancelFunc) {
	select {
	case <-waiting:
	case <-ctx.Done():
	}
	cancel()
}
