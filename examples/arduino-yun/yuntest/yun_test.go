package yuntest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/serialtransport"
	"github.com/edgewamp/edgewamp/wamp"
)

// tolerance is one ADC step (5000/1024 mV = 0.49 °C) and a little: simavr
// converts a voltage to raw = mV × 1023 / 5000, the datasheet (and celsius)
// to mV × 1024 / 5000, so they differ by one step for some voltages.
const tolerance = 0.5

// celsius is what the sketch computes for mv millivolts on A0 (a TMP36:
// 10 mV/°C, 500 mV at 0 °C) through its 10-bit ADC with a 5 V reference.
func celsius(mv int) float64 {
	raw := min(mv*1024/5000, 1023)
	return (float64(raw)*5000/1024 - 500) / 10
}

// gateway is a minirouter serving the firmware's pty over serialtransport,
// the way sensorbridge serves /dev/ttyATH0 on the Yun.
type gateway struct {
	router *minirouter.Router
	line   *serialtransport.Listener
}

func startGateway(t *testing.T, ctx context.Context, pty string) *gateway {
	t.Helper()
	return startGatewayCut(t, ctx, pty, nil)
}

// mutedPort drops every write once muted is set: a gateway that dies
// without a word.
type mutedPort struct {
	serialtransport.Port
	muted *atomic.Bool
}

func (m mutedPort) Write(p []byte) (int, error) {
	if m.muted.Load() {
		return len(p), nil
	}
	return m.Port.Write(p)
}

// startGatewayCut is startGateway with the line's writes dropped once
// muted (when not nil) is set.
func startGatewayCut(t *testing.T, ctx context.Context, pty string, muted *atomic.Bool) *gateway {
	t.Helper()
	r, err := newRouter()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	port, err := serialtransport.OpenPort(pty, 250000) // the Yun's rate; a pty ignores it
	if err != nil {
		t.Fatal(err)
	}
	if muted != nil {
		port = mutedPort{port, muted}
	}
	return serveLine(t, ctx, r, serialtransport.NewListener(port, serialtransport.Config{Name: pty}))
}

func newRouter() (*minirouter.Router, error) { return minirouter.New(minirouter.Config{}) }

// serveLine serves the links of l on r until the test ends.
func serveLine(t *testing.T, ctx context.Context, r *minirouter.Router, l *serialtransport.Listener) *gateway {
	served := make(chan struct{})
	go func() {
		defer close(served)
		for {
			c, err := l.Accept(ctx)
			if err != nil {
				return
			}
			r.Attach(ctx, c, nil)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-served
	})
	return &gateway{router: r, line: l}
}

// otherSessions lists the joined sessions other than ours.
func (g *gateway) otherSessions(ours wamp.ID) []wamp.ID {
	var ids []wamp.ID
	for _, s := range g.router.Sessions() {
		if s.ID != ours {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// rig is one firmware in simavr behind a minirouter serving its line, and a
// local client of that router; all end with the test (ctx after d).
type rig struct {
	ctx context.Context
	sim *sim
	gw  *gateway
	c   *device.Client
}

func startRig(t *testing.T, b board, example string, mv int, d time.Duration) *rig {
	t.Helper()
	fw, harness := buildFor(t, b, example)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	s := startSim(t, harness, fw, mv)
	g := startGateway(t, ctx, s.pty)
	tr, err := g.router.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &rig{ctx, s, g, joinLocal(t, ctx, tr)}
}

// waitFirmware waits until the light firmware has joined and registered
// light.get (a call to it succeeds), and returns its session ID.
func waitFirmware(t *testing.T, ctx context.Context, g *gateway, c *device.Client, ours wamp.ID, not wamp.ID) wamp.ID {
	t.Helper()
	return waitJoined(t, ctx, g, c, ours, not, "light.get")
}

// waitJoined waits until a firmware session other than ours and not has
// joined and registered proc (a call to it succeeds), and returns its ID.
func waitJoined(t *testing.T, ctx context.Context, g *gateway, c *device.Client, ours, not wamp.ID, proc wamp.URI) wamp.ID {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		ids := g.otherSessions(ours)
		if len(ids) == 1 && ids[0] != not {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := c.Call(cctx, proc, wamp.Payload{}, nil)
			cancel()
			if err == nil {
				return ids[0]
			}
			last = err
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("firmware did not join and register: sessions %v, last call error %v, stats %+v",
				g.router.Sessions(), last, g.line.Stats())
		}
	}
}

// joinLocal joins realm1 over an in-process transport; the client is
// closed when the test ends.
func joinLocal(t *testing.T, ctx context.Context, tr wamp.Transport) *device.Client {
	t.Helper()
	c, err := device.NewClient(ctx, tr, device.Config{Realm: "realm1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func callBool(t *testing.T, ctx context.Context, c *device.Client, proc wamp.URI, args ...any) bool {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := c.Call(cctx, proc, wamp.Payload{Args: args}, nil)
	if err != nil {
		t.Fatalf("%s%v: %v", proc, args, err)
	}
	if len(res.Args) != 1 {
		t.Fatalf("%s%v returned %v, want one bool", proc, args, res.Args)
	}
	b, ok := res.Args[0].(bool)
	if !ok {
		t.Fatalf("%s%v returned %T %v, want a bool", proc, args, res.Args[0], res.Args[0])
	}
	return b
}

// waitTemperature waits for a temperature event within tolerance of want.
func waitTemperature(t *testing.T, events <-chan float64, want float64, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	var seen []float64
	for {
		select {
		case v := <-events:
			if math.Abs(v-want) <= tolerance {
				return
			}
			seen = append(seen, v)
		case <-deadline:
			t.Fatalf("no temperature event of %.2f °C within %v; saw %v", want, d, seen)
		}
	}
}

// TestFirmwareEndToEnd runs the light example on each board (the Yun's
// ATmega32u4, the Uno's ATmega328P) against a minirouter serving its line.
func TestFirmwareEndToEnd(t *testing.T) {
	requireTools(t)
	for _, b := range boards {
		t.Run(b.name, func(t *testing.T) { testLight(t, b) })
	}
}

func testLight(t *testing.T, b board) {
	const mv1, mv2 = 750, 1234 // 24.7 °C and 73.0 °C once quantized
	r := startRig(t, b, "YunWamp", mv1, 60*time.Second)
	ctx, s, g, c := r.ctx, r.sim, r.gw, r.c
	ours := c.ID()

	events := subscribeReadings(t, ctx, c, "temperature", 64)

	start := time.Now()
	fw := waitFirmware(t, ctx, g, c, ours, 0)
	t.Logf("%s firmware joined as session %d, light.get callable %v after start", b.mcu, fw, time.Since(start))

	// the light: RPC -> pin 13 -> RPC
	if callBool(t, ctx, c, "light.get") {
		t.Fatal("light on at boot")
	}
	if !callBool(t, ctx, c, "light.set", true) {
		t.Fatal("light.set(true) returned false")
	}
	s.waitPin(1, 5*time.Second)
	if !callBool(t, ctx, c, "light.get") {
		t.Fatal("light.get after light.set(true) = false")
	}
	callBool(t, ctx, c, "light.set", false)
	s.waitPin(0, 5*time.Second)
	// a wrong argument is refused with the sketch's error
	cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
	_, err := c.Call(cctx, "light.set", wamp.Payload{Args: wamp.List{"on"}}, nil)
	ccancel()
	if !errors.Is(err, wamp.ErrInvalidArgument) {
		t.Fatalf("light.set(\"on\") = %v, want %s", err, wamp.ErrInvalidArgument)
	}

	// readings: the ADC value the harness sets arrives as °C
	waitTemperature(t, events, celsius(mv1), 10*time.Second)
	s.command("adc 1234", "ADC 1234")
	waitTemperature(t, events, celsius(mv2), 10*time.Second)

	// a calling burst through window 1: nothing is lost or overrun
	for i := range 20 {
		on := i%2 == 0
		if got := callBool(t, ctx, c, "light.set", on); got != on {
			t.Fatalf("call %d: light.set(%v) = %v", i, on, got)
		}
	}

	// a concurrent burst: the gateway queues the INVOCATIONs and feeds them
	// one at a time (window 1), so the 64-byte receive ring never overflows
	callBool(t, ctx, c, "light.set", true)
	errs := make(chan error, 30)
	for range cap(errs) {
		go func() {
			cctx, ccancel := context.WithTimeout(ctx, 20*time.Second)
			defer ccancel()
			res, err := c.Call(cctx, "light.get", wamp.Payload{}, nil)
			if err == nil && (len(res.Args) != 1 || res.Args[0] != true) {
				err = fmt.Errorf("light.get returned %v, want [true]", res.Args)
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent light.get: %v", err)
		}
	}
	callBool(t, ctx, c, "light.set", false)

	// stack headroom after all that: SRAM the firmware never wrote
	s.checkHeadroom(minHeadroom)

	// the MCU restarts: a new link, a new session; the old one and its
	// registrations are gone, and the light is off again (RAM lost)
	restartsBefore := g.line.Stats().Restarts
	callBool(t, ctx, c, "light.set", true)
	s.waitPin(1, 5*time.Second)
	s.command("reset", "RESET")
	fw2 := waitFirmware(t, ctx, g, c, ours, fw)
	if slices.Contains(g.otherSessions(ours), fw) {
		t.Fatalf("old firmware session %d still joined after the reset", fw)
	}
	if st := g.line.Stats(); st.Restarts <= restartsBefore {
		t.Fatalf("serial line saw no restart: %+v", st)
	}
	if callBool(t, ctx, c, "light.get") {
		t.Fatal("light.get after the reset = true, want the fresh firmware's false")
	}
	if !callBool(t, ctx, c, "light.set", true) {
		t.Fatal("light.set(true) on the new session returned false")
	}
	waitTemperature(t, events, celsius(mv2), 10*time.Second)
	st := g.line.Stats()
	t.Logf("sessions %d then %d; line: %d frames in, %d out, %d CRC errors, %d COBS errors, %d retransmissions, %d duplicates, %d restarts, %d handshakes",
		fw, fw2, st.FramesIn, st.FramesOut, st.CRCErrors, st.COBSErrors, st.Retransmissions, st.Duplicates, st.Restarts, st.Handshakes)
}

// TestGatewayRestart replaces the gateway on the line, as when sensorbridge
// restarts: first one that dies without a word (the new one answers the
// firmware's next frame with RESET "unknown link"), then one that closes the
// link (RESET "closed"). Each time the firmware starts a new link and joins
// the new router.
func TestGatewayRestart(t *testing.T) {
	requireTools(t)
	elf, harness := build(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := startSim(t, harness, elf, 750)

	for i, end := range []string{"crash", "close", "close"} {
		gctx, gcancel := context.WithCancel(ctx)
		var muted atomic.Bool
		g := startGatewayCut(t, gctx, s.pty, &muted)
		tr, err := g.router.Connect(gctx)
		if err != nil {
			t.Fatal(err)
		}
		c := joinLocal(t, gctx, tr)
		start := time.Now()
		fw := waitFirmware(t, gctx, g, c, c.ID(), 0)
		t.Logf("gateway %d: firmware joined as session %d after %v", i+1, fw, time.Since(start))
		if on := i%2 == 0; callBool(t, gctx, c, "light.set", on) != on {
			t.Fatalf("gateway %d: light.set(%v)", i+1, on)
		}
		if end == "crash" {
			muted.Store(true) // its RESET never reaches the firmware
		}
		c.Close()
		g.line.Close()
		g.router.Close()
		gcancel()
	}
}

// subscribeReadings subscribes c to topic and returns the events' single
// numeric argument, as they come (up to n waiting; more are dropped).
func subscribeReadings(t *testing.T, ctx context.Context, c *device.Client, topic wamp.URI, n int) <-chan float64 {
	t.Helper()
	ch := make(chan float64, n)
	if _, err := c.Subscribe(ctx, topic, func(ev *device.Event) {
		if len(ev.Args) == 1 {
			if v, ok := ev.Args[0].(float64); ok {
				select {
				case ch <- v:
				default:
				}
			}
		}
	}, nil); err != nil {
		t.Fatal(err)
	}
	return ch
}
