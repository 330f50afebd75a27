package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string // substring; "" for success
		check   func(*config) bool
	}{
		{"no scenario", nil, "no scenario", nil},
		{"unknown scenario", []string{"flood"}, "unknown scenario", nil},
		{"fanout defaults", []string{"fanout"}, "", func(c *config) bool {
			return c.pubs == 1 && c.subs == 10 && c.size == 64 && c.rate == 0 && c.duration == defaultDuration &&
				c.url == "rs://127.0.0.1:8081" && c.window == 128 && !c.jsonOut
		}},
		{"fanout flags", []string{"fanout", "-pubs", "2", "-subs", "100", "-size", "128", "-rate", "1000", "-json", "-url", "unix:///tmp/r.sock"}, "", func(c *config) bool {
			return c.pubs == 2 && c.subs == 100 && c.size == 128 && c.rate == 1000 && c.jsonOut && c.url == "unix:///tmp/r.sock"
		}},
		{"rpc flags", []string{"rpc", "-callers", "4", "-inflight", "16", "-duration", "2s"}, "", func(c *config) bool {
			return c.callers == 4 && c.inflight == 16 && c.duration == 2*time.Second
		}},
		{"idle flags", []string{"idle", "-sessions", "5000", "-router-pid", "42"}, "", func(c *config) bool {
			return c.sessions == 5000 && c.routerPID == 42
		}},
		{"ws target", []string{"rpc", "-url", "ws://[::1]:8080/ws?serializer=json"}, "", nil},
		{"duration over the cap", []string{"fanout", "-duration", "2m"}, "-duration", nil},
		{"zero duration", []string{"rpc", "-duration", "0s"}, "-duration", nil},
		{"payload too small for the timestamp", []string{"fanout", "-size", "10"}, "-size", nil},
		{"no subscribers", []string{"fanout", "-subs", "0"}, "-subs", nil},
		{"negative rate", []string{"fanout", "-rate", "-1"}, "-rate", nil},
		{"zero in flight", []string{"rpc", "-inflight", "0"}, "-inflight", nil},
		{"bad serializer", []string{"rpc", "-serializer", "ubjson"}, "-serializer", nil},
		{"flag of another scenario", []string{"idle", "-callers", "3"}, "not defined", nil},
		{"stray argument", []string{"rpc", "extra"}, "unexpected argument", nil},
		{"remote target", []string{"fanout", "-url", "rs://192.0.2.7:8081"}, "not a loopback", nil},
		{"remote target allowed", []string{"fanout", "-url", "rs://192.0.2.7:8081", "-allow-remote"}, "", nil},
		{"serve ignores the url host", []string{"rpc", "-url", "rs://192.0.2.7:8081", "-serve"}, "", nil},
		{"mqtt remote", []string{"fanout", "-mqtt", "tcp://192.0.2.7:1883"}, "not a loopback", nil},
		{"mqtt with acks", []string{"fanout", "-mqtt", "tcp://127.0.0.1:1883", "-ack-every", "10"}, "MQTT", nil},
		{"mqtt", []string{"fanout", "-mqtt", "tcp://127.0.0.1:1883"}, "", func(c *config) bool { return c.mqtt == "tcp://127.0.0.1:1883" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseArgs(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseArgs(%q) = %v, want an error containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseArgs(%q): %v", tt.args, err)
			}
			if tt.check != nil && !tt.check(c) {
				t.Errorf("parseArgs(%q) = %+v", tt.args, c)
			}
		})
	}
}

func TestCheckTarget(t *testing.T) {
	tests := []struct {
		url         string
		allowRemote bool
		ok          bool
		remote      bool // the error is errRemote
	}{
		{"rs://127.0.0.1:8081", false, true, false},
		{"rs://127.1.2.3:8081", false, true, false},
		{"tcp://localhost:8081", false, true, false},
		{"rs://LOCALHOST:8081", false, true, false},
		{"ws://[::1]:8080/ws", false, true, false},
		{"unix:///run/router.sock", false, true, false},
		{"rs://10.0.0.5:8081", false, false, true},
		{"rs://[2001:db8::1]:8081", false, false, true},
		{"rs://router.example.com:8081", false, false, true},
		{"rs://0.0.0.0:8081", false, false, true},
		{"rs://10.0.0.5:8081", true, true, false},
		{"rs://127.0.0.1", false, false, false},
		{"unix://", false, false, false},
		{"http://127.0.0.1:80", false, false, false},
		{"wss://127.0.0.1:443/ws", false, false, false},
	}
	for _, tt := range tests {
		err := checkTarget(tt.url, tt.allowRemote, "rs", "tcp", "unix", "ws")
		if (err == nil) != tt.ok {
			t.Errorf("checkTarget(%q, %v) = %v, want ok=%v", tt.url, tt.allowRemote, err, tt.ok)
		}
		if got := errors.Is(err, errRemote); got != tt.remote {
			t.Errorf("checkTarget(%q, %v) = %v: errRemote %v, want %v", tt.url, tt.allowRemote, err, got, tt.remote)
		}
	}
}

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tsensorbridge\nVmPeak:\t  12345 kB\nVmRSS:\t    8120 kB\nThreads:\t5\n"
	if got, err := parseVmRSS([]byte(status)); err != nil || got != 8120 {
		t.Errorf("parseVmRSS = %d, %v; want 8120", got, err)
	}
	if _, err := parseVmRSS([]byte("Name:\tkthreadd\n")); err == nil {
		t.Error("parseVmRSS without a VmRSS line: no error")
	}
}
