package yuntest

import (
	"context"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// thermostatState is what thermostat.get returns: [celsius, setpoint or
// nil, heating].
type thermostatState struct {
	celsius  float64
	setpoint float64 // NaN: none yet
	heating  bool
}

func getThermostat(t *testing.T, ctx context.Context, c *device.Client) thermostatState {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := c.Call(cctx, "thermostat.get", wamp.Payload{}, nil)
	if err != nil {
		t.Fatalf("thermostat.get: %v", err)
	}
	var l wamp.List
	if len(res.Args) == 1 {
		l, _ = res.Args[0].(wamp.List)
	}
	st := thermostatState{setpoint: math.NaN()}
	var ok1, ok3 bool
	if len(l) == 3 {
		st.celsius, ok1 = l[0].(float64)
		if sp, ok := l[1].(float64); ok {
			st.setpoint = sp
		} else if l[1] != nil {
			ok1 = false
		}
		st.heating, ok3 = l[2].(bool)
	}
	if !ok1 || !ok3 {
		t.Fatalf("thermostat.get returned %#v, want [[celsius, setpoint|nil, heating]]", res.Args)
	}
	return st
}

// heaterCall is one invocation of the test's heater.set.
type heaterCall struct {
	on      bool
	refused bool // refused, or left unanswered until the firmware gave up
	at      time.Time
}

// waitHeater waits for a heater.set(want) invocation that was answered
// (not refused) and returns it; other invocations are skipped.
func waitHeater(t *testing.T, calls <-chan heaterCall, want bool, d time.Duration) heaterCall {
	t.Helper()
	deadline := time.After(d)
	var seen []heaterCall
	for {
		select {
		case hc := <-calls:
			if hc.on == want && !hc.refused {
				return hc
			}
			seen = append(seen, hc)
		case <-deadline:
			t.Fatalf("no heater.set(%v) within %v; saw %+v", want, d, seen)
		}
	}
}

// waitHeaterAny returns the next heater.set invocation, whatever it is.
func waitHeaterAny(t *testing.T, calls <-chan heaterCall, d time.Duration) heaterCall {
	t.Helper()
	select {
	case hc := <-calls:
		return hc
	case <-time.After(d):
		t.Fatalf("no heater.set call within %v", d)
		return heaterCall{}
	}
}

func setpoint(t *testing.T, ctx context.Context, c *device.Client, v any) {
	t.Helper()
	err := c.Publish(ctx, "thermostat.setpoint", wamp.Payload{Args: wamp.List{v}},
		&device.PublishOptions{Acknowledge: true, Extra: wamp.Dict{"retain": true}})
	if err != nil {
		t.Fatalf("publish setpoint %v: %v", v, err)
	}
}

// TestThermostat runs the Thermostat example on each board against a
// minirouter serving its line, with a test client in heater.set's place.
func TestThermostat(t *testing.T) {
	requireTools(t)
	for _, b := range boards {
		t.Run(b.name, func(t *testing.T) { testThermostat(t, b) })
	}
}

// testThermostat: the firmware's heater.set calls fail while no one
// provides the procedure (no_such_procedure) and when the callee refuses
// (an application error), and are tried again after 2 s; the setpoint
// (published retained, as a float and as an integer) switches the heater
// through calls with hysteresis, pin 13 following the results; a call left
// unanswered times out and is made again; the
// temperature arrives by PubSub; after an MCU reset the fresh firmware gets
// the retained setpoint with its subscription and switches the heater on.
func testThermostat(t *testing.T, b board) {
	const mv1, mv2 = 750, 800 // 24.7 °C and 29.6 °C once quantized
	r := startRig(t, b, "Thermostat", mv1, 120*time.Second)
	ctx, s, g, c := r.ctx, r.sim, r.gw, r.c
	temps := subscribeReadings(t, ctx, c, "thermostat.temperature", 64)
	id := waitJoined(t, ctx, g, c, c.ID(), 0, "thermostat.get")
	if st := getThermostat(t, ctx, c); !math.IsNaN(st.setpoint) || st.heating ||
		math.Abs(st.celsius-celsius(mv1)) > tolerance {
		t.Fatalf("thermostat.get at boot = %+v, want %.2f °C, no setpoint, not heating", st, celsius(mv1))
	}
	waitTemperature(t, temps, celsius(mv1), 10*time.Second)

	// heater.set appears; its first invocation is refused
	calls := make(chan heaterCall, 32)
	var refusedOne, hang atomic.Bool
	release := make(chan struct{})
	if _, err := c.Register(ctx, "heater.set", func(hctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		on, ok := false, len(inv.Args) == 1
		if ok {
			on, ok = inv.Args[0].(bool)
		}
		if !ok {
			return wamp.Payload{}, wamp.NewError(wamp.ErrInvalidArgument.URI, "want one bool")
		}
		hung := hang.CompareAndSwap(true, false)
		hc := heaterCall{on: on, refused: !refusedOne.Swap(true) || hung, at: time.Now()}
		calls <- hc
		switch {
		case hung:
			select { // answered too late: the firmware ignores the RESULT
			case <-release:
			case <-hctx.Done():
			}
		case hc.refused:
			return wamp.Payload{}, wamp.NewError("heater.error.busy")
		}
		return wamp.Payload{Args: wamp.List{on}}, nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	first := waitHeaterAny(t, calls, 15*time.Second)
	if first.on || !first.refused {
		t.Fatalf("first heater.set call %+v, want off (no setpoint yet)", first)
	}
	again := waitHeater(t, calls, false, 15*time.Second)
	// (2 s of simulated time; simavr catching up after a stall can make
	// that less wall time, so the gap is only logged)
	t.Logf("heater.set tried again %v after the refusal", again.at.Sub(first.at))

	// a setpoint above the temperature switches the heater on
	setpoint(t, ctx, c, 30.0)
	waitHeater(t, calls, true, 10*time.Second)
	s.waitPin(1, 5*time.Second)
	if st := getThermostat(t, ctx, c); st.setpoint != 30 || !st.heating {
		t.Fatalf("thermostat.get after setpoint 30 = %+v", st)
	}
	// it gets warmer, within the hysteresis: still on
	s.command("adc 800", "ADC 800")
	waitTemperature(t, temps, celsius(mv2), 10*time.Second)
	if st := getThermostat(t, ctx, c); !st.heating {
		t.Fatalf("heater off at %.2f °C with setpoint 30: %+v", celsius(mv2), st)
	}
	// a setpoint below: off; an integer setpoint above: on again
	setpoint(t, ctx, c, 28.5)
	waitHeater(t, calls, false, 10*time.Second)
	s.waitPin(0, 5*time.Second)
	setpoint(t, ctx, c, 31)
	waitHeater(t, calls, true, 10*time.Second)
	s.waitPin(1, 5*time.Second)
	if st := getThermostat(t, ctx, c); st.setpoint != 31 || !st.heating {
		t.Fatalf("thermostat.get after setpoint 31 = %+v", st)
	}

	// a heater.set left unanswered: the firmware's call times out after 10 s,
	// it calls again 2 s later, and the late RESULT of the first changes nothing
	hang.Store(true)
	setpoint(t, ctx, c, 28.5)
	hung := waitHeaterAny(t, calls, 10*time.Second)
	again = waitHeater(t, calls, false, 30*time.Second)
	t.Logf("heater.set called again %v after the call left unanswered", again.at.Sub(hung.at))
	close(release)
	s.waitPin(0, 5*time.Second)
	setpoint(t, ctx, c, 31)
	waitHeater(t, calls, true, 10*time.Second)
	s.waitPin(1, 5*time.Second)
	s.checkHeadroom(minHeadroom)

	// the MCU restarts: the new session's subscription brings the retained
	// setpoint, and the heater is switched on again
	s.command("reset", "RESET")
	id2 := waitJoined(t, ctx, g, c, c.ID(), id, "thermostat.get")
	waitHeater(t, calls, true, 15*time.Second)
	if st := getThermostat(t, ctx, c); st.setpoint != 31 || !st.heating {
		t.Fatalf("thermostat.get after the reset = %+v, want setpoint 31 (retained) and heating", st)
	}
	t.Logf("%s: sessions %d then %d; line %+v", b.mcu, id, id2, g.line.Stats())
}
