// Package demo is the simulated device of the quick start: a light that can be
// switched by RPC and a temperature sensor that publishes readings. It needs
// no hardware and runs on any joined device client.
//
//	light.set(on bool) -> on        switch the light
//	light.get()        -> on        read the light
//	light.state                     event: [on], after each change and once registered
//	temperature                     event: [celsius float], {"unit": "C", "time": RFC 3339}
//
// A device given a name (Config.Name) puts it before each URI
// (kitchen.light.set, kitchen.temperature), so that several demos can share
// a realm without their registrations clashing.
package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/internal/logline"
	"github.com/edgewamp/edgewamp/wamp"
)

// URIs the simulated device uses.
const (
	ProcLightSet     wamp.URI = "light.set"
	ProcLightGet     wamp.URI = "light.get"
	TopicLightState  wamp.URI = "light.state"
	TopicTemperature wamp.URI = "temperature"
)

// Config tunes the simulated device. The zero value is ready to use.
type Config struct {
	// Name, when set, is put before the device's URIs: NAME.light.set,
	// NAME.light.get, NAME.light.state, NAME.temperature (see CheckName).
	// Default: none, the URIs above.
	Name string
	// Interval between temperature readings; default 1s.
	Interval time.Duration
	// Logger receives the light's changes at info level; default: discard.
	Logger device.Logger
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

// Run registers the light's procedures on c and publishes a temperature
// reading every Interval until ctx is cancelled or the session ends.
func Run(ctx context.Context, c *device.Client, cfg Config) error {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = logline.Discard()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := CheckName(cfg.Name); err != nil {
		return err
	}
	u := URIsOf(cfg.Name)
	var light atomic.Bool
	set := func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		if len(inv.Args) != 1 {
			return wamp.Payload{}, wamp.NewError(wamp.ErrInvalidArgument.URI, "light.set takes one argument: true or false")
		}
		on, ok := inv.Args[0].(bool)
		if !ok {
			return wamp.Payload{}, wamp.NewError(wamp.ErrInvalidArgument.URI, fmt.Sprintf("light.set wants a boolean, not %T", inv.Args[0]))
		}
		light.Store(on)
		cfg.Logger.Info("demo light switched", "on", on)
		if err := c.Publish(ctx, u.LightState, wamp.Payload{Args: wamp.List{on}}, nil); err != nil {
			cfg.Logger.Warn("demo light state not published", "err", err)
		}
		return wamp.Payload{Args: wamp.List{on}}, nil
	}
	get := func(context.Context, *device.Invocation) (wamp.Payload, error) {
		return wamp.Payload{Args: wamp.List{light.Load()}}, nil
	}
	for _, p := range []struct {
		uri wamp.URI
		h   device.Handler
	}{{u.LightSet, set}, {u.LightGet, get}} {
		if _, err := c.Register(ctx, p.uri, p.h, nil); err != nil {
			return fmt.Errorf("demo: register %s: %w (another demo device serves it? give this one a name)", p.uri, err)
		}
	}
	if err := c.Publish(ctx, u.LightState, wamp.Payload{Args: wamp.List{light.Load()}}, nil); err != nil {
		return fmt.Errorf("demo: publish %s: %w", u.LightState, err)
	}
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	start := cfg.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.Done():
			return fmt.Errorf("demo: session ended: %w", c.Err())
		case <-tick.C:
		}
		now := cfg.Now()
		err := c.Publish(ctx, u.Temperature, wamp.Payload{
			Args:   wamp.List{Reading(now.Sub(start), 2*rand.Float64()-1)},
			Kwargs: wamp.Dict{"unit": "C", "time": now.UTC().Format(time.RFC3339Nano)},
		}, nil)
		if err != nil {
			return fmt.Errorf("demo: publish %s: %w", u.Temperature, err)
		}
	}
}

// Reading is what the simulated sensor publishes: Temperature plus noise
// of up to ±0.25 °C (jitter, from -1 to 1, scales it), rounded to a
// hundredth of a degree, so that successive readings differ visibly.
func Reading(since time.Duration, jitter float64) float64 {
	v := 21.5 + 3*math.Sin(2*math.Pi*since.Seconds()/600) + 0.25*jitter
	return math.Round(v*100) / 100
}

// URIs are a device's procedures and topics.
type URIs struct {
	LightSet, LightGet      wamp.URI // procedures
	LightState, Temperature wamp.URI // topics
}

// URIsOf returns the URIs of the device named name (see Config.Name).
func URIsOf(name string) URIs {
	u := URIs{ProcLightSet, ProcLightGet, TopicLightState, TopicTemperature}
	if name != "" {
		p := wamp.URI(name) + "."
		u = URIs{p + u.LightSet, p + u.LightGet, p + u.LightState, p + u.Temperature}
	}
	return u
}

// CheckName reports a device name that would make invalid URIs: it must
// be URI components, such as "kitchen" or "site7.bench".
func CheckName(name string) error {
	if name != "" && !wamp.ValidURI(wamp.URI(name)+"."+ProcLightSet, false, false) {
		return fmt.Errorf("demo: device name %q: want URI components such as \"kitchen\" or \"site7.bench\"", name)
	}
	return nil
}

// Temperature is the simulated sensor without its noise: a slow swing of
// ±3 °C around 21.5 °C with a period of ten minutes, rounded to a tenth of
// a degree.
func Temperature(since time.Duration) float64 {
	v := 21.5 + 3*math.Sin(2*math.Pi*since.Seconds()/600)
	return math.Round(v*10) / 10
}
