package demo

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestReadingsMove: three readings a second apart differ (the quick start
// once showed 21.6 three times in a row), and stay near the wave.
func TestReadingsMove(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[float64]bool{}
	for i := range 3 {
		since := time.Duration(i) * time.Second
		v := Reading(since, 2*rng.Float64()-1)
		if d := v - Temperature(since); d < -0.26 || d > 0.26 {
			t.Errorf("reading %v is %v off the wave", v, d)
		}
		seen[v] = true
	}
	if len(seen) != 3 {
		t.Errorf("three readings a second apart: %v, want three values", seen)
	}
}

func TestNames(t *testing.T) {
	if u := URIsOf(""); u != (URIs{ProcLightSet, ProcLightGet, TopicLightState, TopicTemperature}) {
		t.Errorf("URIsOf(\"\") = %+v", u)
	}
	if u := URIsOf("kitchen"); u != (URIs{"kitchen.light.set", "kitchen.light.get", "kitchen.light.state", "kitchen.temperature"}) {
		t.Errorf("URIsOf(kitchen) = %+v", u)
	}
	for _, bad := range []string{"a..b", ".x", "x.", "with space"} {
		if CheckName(bad) == nil {
			t.Errorf("CheckName(%q) accepted", bad)
		}
	}
	if err := CheckName("site7.bench"); err != nil {
		t.Error(err)
	}
}

// TestTwoDemosShareARealm runs two named demo devices on one router: both
// register, and each answers on its own URIs.
func TestTwoDemosShareARealm(t *testing.T) {
	r, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "realm1"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	join := func() *device.Client {
		tr, err := r.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := device.NewClient(ctx, tr, device.Config{Realm: "realm1"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	errs := make(chan error, 2)
	for _, name := range []string{"", "second"} {
		c := join()
		go func() { errs <- Run(ctx, c, Config{Name: name, Interval: time.Hour}) }()
	}
	caller := join()
	for _, proc := range []wamp.URI{"light.set", "second.light.set"} {
		for {
			res, err := caller.Call(ctx, proc, wamp.Payload{Args: wamp.List{true}}, nil)
			if err == nil && len(res.Args) == 1 && res.Args[0] == true {
				break
			}
			select {
			case err := <-errs:
				t.Fatalf("a demo stopped: %v", err)
			case <-ctx.Done():
				t.Fatalf("call %s: %v", proc, err)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}
