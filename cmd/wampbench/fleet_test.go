package main

import (
	"context"
	"io"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestFleetSmall runs the fleet scenario with two gateway processes of five
// devices each: every reading reaches the upstream subscriber, and the
// sensorbridge processes' counters say where the readings went.
func TestFleetSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sensorbridge and runs three processes")
	}
	bin := filepath.Join(t.TempDir(), "sensorbridge")
	if out, err := exec.Command("go", "build", "-o", bin, "../sensorbridge").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	fc := &fleetConfig{bin: bin, gateways: 2, devices: 5, interval: 100 * time.Millisecond,
		duration: time.Second, warmup: 300 * time.Millisecond, size: 64,
		basePort: 20000 + rand.IntN(10000)} // below the ephemeral ports, so no client is handed one
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := fleet(ctx, fc, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.Published == 0 || res.Delivered != res.Published || res.UpstreamSessions != 2 || res.UpstreamRegs != 10 {
		t.Errorf("published %d, delivered %d, upstream sessions %d, registrations %d; notes %v",
			res.Published, res.Delivered, res.UpstreamSessions, res.UpstreamRegs, res.Notes)
	}
	c := res.Counters
	if c == nil {
		t.Fatalf("no counters; notes %v", res.Notes)
	}
	if c.UplinkEventsUp < int64(res.Published) || c.UplinkQueueDropped != 0 || c.UplinkPublishErrors != 0 ||
		c.GatewayEventsDropped != 0 || c.UpstreamEventsDropped != 0 {
		t.Errorf("counters %+v for %d readings published in the window", *c, res.Published)
	}
}
