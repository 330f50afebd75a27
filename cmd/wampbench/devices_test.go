package main

import (
	"context"
	"os"
	"strconv"
	"testing"
)

func TestParseStatCPU(t *testing.T) {
	for _, tt := range []struct {
		stat string
		want float64
		ok   bool
	}{
		{"1234 (sensorbridge) S 1 1234 1234 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 8 0 100 1000000 2000", 3.0, true},
		{"99 (a b) c)) R 1 2 3 4 5 6 7 8 9 10 7 3 0 0", 0.1, true},
		{"42 (x) S 1 2 3", 0, false},
		{"no parenthesis", 0, false},
	} {
		got, err := parseStatCPU(tt.stat)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseStatCPU(%q) = %v, %v; want %v (ok %v)", tt.stat, got, err, tt.want, tt.ok)
		}
	}
}

// TestDevicesUpstream runs the devices scenario with a second router as
// the "upstream": its subscriber sees nothing (no uplink between them), and
// the report says so without failing.
func TestDevicesUpstream(t *testing.T) {
	up, err := startRouter("rs://127.0.0.1:0", 100)
	if err != nil {
		t.Fatal(err)
	}
	defer up.close()
	c := testConfig(t, "devices", "-serve", "-devices", "10", "-backends", "1", "-interval", "50ms", "-call-rate", "0",
		"-upstream", up.url, "-duration", "200ms")
	r, err := runScenario(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Published == 0 || r.Delivered != r.Published || r.UpstreamDelivered != 0 || r.Calls != 0 {
		t.Errorf("result %+v", r)
	}
}

// TestMQTTDevicesMosquitto runs the devices scenario against Mosquitto:
// every reading reaches every wildcard subscriber.
func TestMQTTDevicesMosquitto(t *testing.T) {
	broker := startMosquitto(t)
	c := testConfig(t, "devices", "-mqtt", broker, "-devices", "20", "-backends", "2", "-interval", "100ms", "-duration", "300ms",
		"-router-pid", strconv.Itoa(os.Getpid()))
	r, err := runScenario(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Protocol != "mqtt" || r.Published == 0 || r.Delivered != 2*r.Published || r.Latency == nil || r.RouterRSSAfter == 0 {
		t.Errorf("result %+v", r)
	}
}
