package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/agent/gpio"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/internal/testnet"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// testRouter is a minirouter served on a TCP listener.
type testRouter struct {
	r    *minirouter.Router
	addr string
	done chan struct{}
}

// startRouter serves a new router on addr ("127.0.0.1:0" for any port).
// Before it listens, setup may attach in-process sessions (so that a
// subscriber is there before the agent rejoins).
func startRouter(t *testing.T, addr string, setup func(r *minirouter.Router)) *testRouter {
	t.Helper()
	r, err := minirouter.New(minirouter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(r)
	}
	l, err := testnet.ListenAgain("tcp", addr) // the previous router's port may take a moment to free
	if err != nil {
		t.Fatal(err)
	}
	tr := &testRouter{r: r, addr: l.Addr().String(), done: make(chan struct{})}
	go func() { listen.Serve(r, l, listen.Config{}); close(tr.done) }()
	t.Cleanup(func() { tr.stop(t) })
	return tr
}

func (tr *testRouter) stop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tr.r.Shutdown(ctx)
	<-tr.done
}

// inProcess joins a client to r without the network.
func inProcess(t *testing.T, r *minirouter.Router) *device.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tr, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := device.NewClient(ctx, tr, device.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// event is a reading as a subscriber saw it.
type event struct {
	v  int64
	at time.Time
}

// subscribe collects the integer readings published on topic.
func subscribe(t *testing.T, c *device.Client, topic wamp.URI) chan event {
	t.Helper()
	ch := make(chan event, 1000)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Subscribe(ctx, topic, func(ev *device.Event) {
		v, _ := toInt(ev.Args[0])
		ts, _ := wamp.OptString(ev.Kwargs, "time")
		at, _ := time.Parse(time.RFC3339Nano, ts)
		select {
		case ch <- event{v, at}:
		default:
		}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// callUntil calls proc until it succeeds or 10s pass (the agent registers
// asynchronously after each join).
func callUntil(t *testing.T, c *device.Client, proc wamp.URI, args ...any) wamp.Payload {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := c.Call(ctx, proc, wamp.Payload{Args: args}, nil)
		cancel()
		if err == nil {
			return res
		}
		if !errors.Is(err, wamp.ErrNoSuchProcedure) || time.Now().After(deadline) {
			t.Fatalf("call %s: %v", proc, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAgentEndToEnd(t *testing.T) {
	dir := t.TempDir()
	// A counter sensor: each run prints the next integer, so order and gaps show.
	counter := filepath.Join(dir, "count")
	writeFile(t, counter+".n", "0\n")
	writeFile(t, counter, "#!/bin/sh\nn=$(cat \"$1\"); n=$((n+1)); echo $n > \"$1\"; echo $n\n")
	if err := os.Chmod(counter, 0o755); err != nil {
		t.Fatal(err)
	}
	temp := filepath.Join(dir, "temp")
	writeFile(t, temp, "21500\n")
	led := filepath.Join(dir, "brightness")
	writeFile(t, led, "0\n")

	rt := startRouter(t, "127.0.0.1:0", nil)
	cfg, err := Parse(stringsReader(fmt.Sprintf(`{
		"router": "rs://%s", "realm": "realm1", "prefix": "dev",
		"reconnect": {"min_backoff": "20ms", "max_backoff": "100ms"},
		"offline_queue": 500,
		"sensors": [
			{"name": "count", "kind": "command", "argv": [%q, %q], "interval": "20ms"},
			{"name": "temp", "kind": "file", "path": %q, "scale": 0.001, "unit": "C", "interval": "50ms"},
			{"name": "door", "kind": "gpio", "gpio": {"line": 3}, "on_change": true}
		],
		"actuators": [
			{"name": "led", "kind": "file", "path": %q, "args": [{"type": "int", "min": 0, "max": 255}]},
			{"name": "light", "kind": "simulated"},
			{"name": "relay", "kind": "gpio", "gpio": {"line": 4}}
		]}`, rt.addr, counter, counter+".n", temp, led)))
	if err != nil {
		t.Fatal(err)
	}
	var linesMu sync.Mutex
	lines := map[uint32]*fakeLine{}
	a, err := New(cfg, Options{Version: "v9.9.9", Logger: quiet(), OpenGPIO: func(chip string, lc gpio.LineConfig) (Line, error) {
		l := newFakeLine(chip, lc)
		linesMu.Lock()
		lines[lc.Offset] = l
		linesMu.Unlock()
		return l, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case err := <-runDone:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return within 5s of cancel")
		}
	}()

	// Before the restart: sensors publish, actuators and status answer.
	c1 := inProcess(t, rt.r)
	temps := subscribeAny(t, c1, "dev.temp")
	counts := subscribe(t, c1, "dev.count")
	callUntil(t, c1, "dev.status")
	select {
	case p := <-temps:
		if p.Args[0] != 21.5 || p.Kwargs["unit"] != "C" {
			t.Errorf("temperature event %v %v", p.Args, p.Kwargs)
		}
	case <-time.After(20 * time.Second): // generous: a loaded machine
		t.Fatal("no temperature event")
	}
	if res := callUntil(t, c1, "dev.led.set", 200); res.Args[0] != int64(200) {
		t.Errorf("led.set -> %v", res.Args)
	}
	if b, _ := os.ReadFile(led); string(b) != "200\n" {
		t.Errorf("led file %q", b)
	}
	if res := callUntil(t, c1, "dev.led.get"); res.Args[0] != int64(200) {
		t.Errorf("led.get -> %#v", res.Args)
	}
	ctxc, cancelc := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelc()
	if _, err := c1.Call(ctxc, "dev.led.set", wamp.Payload{Args: wamp.List{300}}, nil); !errors.Is(err, wamp.ErrInvalidArgument) {
		t.Errorf("led.set 300: %v", err)
	}
	if res := callUntil(t, c1, "dev.relay.set", true); res.Args[0] != true {
		t.Errorf("relay.set -> %v", res.Args)
	}
	linesMu.Lock()
	relay := lines[4]
	linesMu.Unlock()
	if relay == nil || !relay.cfg.Output || relay.chip != DefaultChip {
		t.Fatalf("relay line %+v", relay)
	}
	last1 := waitCount(t, counts, 3)

	// Restart the router on the same port. While it is down the agent keeps
	// reading; the readings wait in the offline queue.
	// down is taken before the stop: a reading taken while the router is
	// closing waits in the queue too, and a slow stop must not hide it.
	down := time.Now()
	rt.stop(t)
	waitFor(t, "readings queued while offline", func() bool { return a.client.Load().Stats().OfflineQueued >= 15 })
	var c2 *device.Client
	var counts2 chan event
	rt2 := startRouter(t, rt.addr, func(r *minirouter.Router) {
		c2 = inProcess(t, r)
		counts2 = subscribe(t, c2, "dev.count")
	})
	_ = rt2
	up := time.Now()

	// Queued readings arrive first, in order, without gaps; then live ones.
	var got []event
	for len(got) < 10 || got[len(got)-1].at.Before(up) {
		select {
		case ev := <-counts2:
			got = append(got, ev)
		case <-time.After(10 * time.Second):
			t.Fatalf("after restart got only %v", got)
		}
	}
	offline := 0
	for i, ev := range got {
		if i > 0 && ev.v != got[i-1].v+1 {
			t.Fatalf("readings out of order or missing: %v", got)
		}
		if ev.at.After(down) && ev.at.Before(up) {
			offline++
		}
	}
	if got[0].v <= last1 {
		t.Errorf("first reading after restart %d, last before %d", got[0].v, last1)
	}
	if offline < 5 {
		t.Errorf("%d readings taken while offline were delivered, want >= 5", offline)
	}

	// Procedures came back by themselves; the state survived.
	if res := callUntil(t, c2, "dev.led.get"); res.Args[0] != int64(200) {
		t.Errorf("led.get after restart -> %v", res.Args)
	}
	if res := callUntil(t, c2, "dev.light.set", 1); res.Args[0] != true {
		t.Errorf("light.set 1 -> %v", res.Args)
	}
	st := callUntil(t, c2, "dev.status").Args[0].(wamp.Dict)
	counters := st["counters"].(wamp.Dict)
	if st["version"] != "v9.9.9" || toU(counters["reconnects"]) < 1 || toU(counters["joins"]) < 2 || toU(counters["published"]) < 10 || toU(counters["calls"]) < 5 {
		t.Errorf("status %v", st)
	}
	if acts := st["actuators"].(wamp.Dict); acts["light"] != true || acts["relay"] != true {
		t.Errorf("status actuators %v", acts)
	}
	if s := st["sensors"].(wamp.Dict)["temp"].(wamp.Dict); s["value"] != 21.5 {
		t.Errorf("status sensor temp %v", s)
	}
}

func toU(v any) uint64 {
	i, _ := toInt(v)
	return uint64(i)
}

func subscribeAny(t *testing.T, c *device.Client, topic wamp.URI) chan wamp.Payload {
	t.Helper()
	ch := make(chan wamp.Payload, 100)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Subscribe(ctx, topic, func(ev *device.Event) {
		select {
		case ch <- ev.Payload:
		default:
		}
	}, nil); err != nil {
		t.Fatal(err)
	}
	return ch
}

// waitCount reads n consecutive counter events and returns the last value.
func waitCount(t *testing.T, ch chan event, n int) int64 {
	t.Helper()
	var last int64 = -1
	for i := 0; i < n; i++ {
		select {
		case ev := <-ch:
			if last >= 0 && ev.v != last+1 {
				t.Fatalf("counter went %d -> %d", last, ev.v)
			}
			last = ev.v
		case <-time.After(10 * time.Second):
			t.Fatal("no counter events")
		}
	}
	return last
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNewFailsOnMissingDevice(t *testing.T) {
	for _, js := range []string{
		`{"sensors":[{"name":"t","kind":"file","path":"/nonexistent/temp","interval":"1s"}]}`,
		`{"sensors":[{"name":"t","kind":"command","argv":["/nonexistent/prog"],"interval":"1s"}]}`,
		`{"actuators":[{"name":"led","kind":"file","path":"/nonexistent/b","args":[{"type":"bool"}]}]}`,
	} {
		cfg, err := Parse(stringsReader(js))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := New(cfg, Options{Logger: quiet()}); err == nil {
			t.Errorf("New(%s) succeeded", js)
		}
	}
	cfg, _ := Parse(stringsReader(`{"sensors":[{"name":"d","kind":"gpio","gpio":{"line":1},"on_change":true}]}`))
	_, err := New(cfg, Options{Logger: quiet(), OpenGPIO: func(string, gpio.LineConfig) (Line, error) {
		return nil, errors.New("no such chip")
	}})
	if err == nil || !errorsContains(err, `sensors[0] ("d"): no such chip`) {
		t.Errorf("gpio open failure: %v", err)
	}
}
