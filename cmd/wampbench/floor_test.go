package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFloorRelay builds floor/floor.c (measure.sh floor) with gcc and runs
// each of its scenarios for a second through its relay: every message
// delivered, and wampbench's JSON fields filled.
func TestFloorRelay(t *testing.T) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("EDGEWAMP_INTEROP") == "1" {
			t.Fatal("gcc is needed to build floor/floor.c")
		}
		t.Skip("no gcc")
	}
	bin := filepath.Join(t.TempDir(), "floor")
	if out, err := exec.Command(gcc, "-O2", "-Wall", "-Werror", "-pthread", "-o", bin, "floor/floor.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	relay := exec.Command(bin, "relay", port, "30")
	if err := relay.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { relay.Process.Kill(); relay.Wait() })
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the relay does not listen: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	type result struct {
		Scenario        string   `json:"scenario"`
		DeliveredPerSec *float64 `json:"delivered_per_sec"`
		CallsPerSec     *float64 `json:"calls_per_sec"`
		DeliveryRatio   *float64 `json:"delivery_ratio"`
		ReadingsPerSec  *float64 `json:"readings_per_sec"`
		RouterCPU       *float64 `json:"router_cpu_ms_per_1000"`
		Latency         struct {
			Samples int     `json:"samples"`
			P50     float64 `json:"p50_us"`
			P99     float64 `json:"p99_us"`
			Max     float64 `json:"max_us"`
		} `json:"latency"`
	}
	run := func(args ...string) result {
		t.Helper()
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("floor %s: %v", strings.Join(args, " "), err)
		}
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("floor %s printed %q: %v", strings.Join(args, " "), out, err)
		}
		if r.Latency.Samples == 0 || r.Latency.P50 <= 0 || r.Latency.P99 < r.Latency.P50 || r.Latency.Max < r.Latency.P99 {
			t.Fatalf("floor %s: latency %+v", strings.Join(args, " "), r.Latency)
		}
		return r
	}
	fan := run("fanout", port, "3", "1")
	if fan.Scenario != "fanout" || fan.DeliveryRatio == nil || *fan.DeliveryRatio != 1 || fan.Latency.Samples != 3000 || fan.DeliveredPerSec == nil {
		t.Fatalf("fanout: %+v, want 3,000 deliveries (1,000 messages to 3 subscribers), ratio 1", fan)
	}
	rpc := run("rpc", port, "1")
	if rpc.Scenario != "rpc" || rpc.CallsPerSec == nil || int(*rpc.CallsPerSec) != rpc.Latency.Samples {
		t.Fatalf("rpc: %+v", rpc)
	}
	// 400 devices (2 every 5 ms) for a second, to 2 subscribers: 800 deliveries.
	dev := run("devices", port, "400", "2", "1", strconv.Itoa(relay.Process.Pid))
	if dev.Scenario != "devices" || dev.DeliveryRatio == nil || *dev.DeliveryRatio != 1 || dev.Latency.Samples != 800 ||
		dev.ReadingsPerSec == nil || *dev.ReadingsPerSec != 400 || dev.RouterCPU == nil || *dev.RouterCPU < 0 {
		t.Fatalf("devices: %+v, want 800 deliveries (400 readings to 2 subscribers), ratio 1, the relay's CPU", dev)
	}

	// The same load as WAMP, to a router in this process: every reading
	// published, routed to both wildcard subscribers and read back.
	lr, err := startRouter("rs://127.0.0.1:0", 1000)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lr.close)
	_, rport, _ := net.SplitHostPort(strings.TrimPrefix(lr.url, "rs://"))
	wd := run("wamp-devices", rport, "400", "2", "1", strconv.Itoa(os.Getpid()))
	if wd.Scenario != "wamp-devices" || wd.DeliveryRatio == nil || *wd.DeliveryRatio != 1 || wd.Latency.Samples != 800 ||
		wd.RouterCPU == nil || *wd.RouterCPU <= 0 {
		t.Fatalf("wamp-devices: %+v, want 800 deliveries, ratio 1, the router's CPU", wd)
	}
}
