package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testRouter starts minirouter on a real loopback (or Unix) socket for the
// test.
func testRouter(t *testing.T, listen string) *localRouter {
	t.Helper()
	lr, err := startRouter(listen, 2000)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lr.close)
	return lr
}

// testConfig parses args as the command line would.
func testConfig(t *testing.T, args ...string) *config {
	t.Helper()
	c, err := parseArgs(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestFanoutCountsExactly runs a fan-out at a moderate fixed rate: every
// publish reaches every subscriber, once. The window (2 × 50 publishes) stays
// well below minirouter's per-session queue (256), so a stalled test machine
// cannot make the router drop events.
func TestFanoutCountsExactly(t *testing.T) {
	lr := testRouter(t, "rs://127.0.0.1:0")
	for _, ser := range []string{"msgpack", "json"} {
		t.Run(ser, func(t *testing.T) {
			c := testConfig(t, "fanout", "-url", lr.url, "-serializer", ser, "-pubs", "2", "-subs", "5", "-rate", "2000", "-window", "50", "-duration", "300ms")
			tg, err := newTarget(c.url, c.serializer)
			if err != nil {
				t.Fatal(err)
			}
			r, err := runFanout(context.Background(), c, tg)
			if err != nil {
				t.Fatal(err)
			}
			if r.Published < 100 || r.Delivered != r.Published*5 || r.DeliveryRatio != 1 {
				t.Errorf("published %d, delivered %d (ratio %v); want delivered = 5 × published", r.Published, r.Delivered, r.DeliveryRatio)
			}
			if r.Latency == nil || r.Latency.Count != r.Delivered || r.Latency.P50 <= 0 || r.Latency.Max < r.Latency.P99 {
				t.Errorf("latency %+v for %d deliveries", r.Latency, r.Delivered)
			}
		})
	}
}

// TestRPCCountsExactly checks that every call sent is answered, with
// several callers and calls in flight.
func TestRPCCountsExactly(t *testing.T) {
	lr := testRouter(t, "rs://127.0.0.1:0")
	c := testConfig(t, "rpc", "-url", lr.url, "-callers", "3", "-inflight", "4", "-duration", "300ms")
	tg, err := newTarget(c.url, "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := runRPC(context.Background(), c, tg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Calls < 12 || r.Answered != r.Calls || r.CallErrors != 0 {
		t.Errorf("calls %d, answered %d, errors %d; want all answered", r.Calls, r.Answered, r.CallErrors)
	}
	if r.Latency == nil || r.Latency.Count != r.Answered {
		t.Errorf("latency %+v for %d answers", r.Latency, r.Answered)
	}
}

// TestSmoke runs every scenario briefly through run, as the command line
// does, against our router over each transport, and checks the report.
func TestSmoke(t *testing.T) {
	pid := os.Getpid()
	tests := []struct {
		name string
		args []string
		want func(r *result) bool
	}{
		{"fanout full speed", []string{"fanout", "-serve", "-subs", "10"}, func(r *result) bool {
			return r.Published > 0 && r.Delivered > 0 && r.DeliveryRatio > 0 && r.Latency != nil
		}},
		{"fanout acked json", []string{"fanout", "-serve", "-serializer", "json", "-subs", "3", "-ack-every", "16", "-window", "64"}, func(r *result) bool {
			return r.Published > 0 && r.Serializer == "json" && len(r.Notes) > 0
		}},
		{"fanout unix", []string{"fanout", "-serve", "-url", "unix:///x", "-subs", "2", "-rate", "500"}, func(r *result) bool {
			return strings.HasPrefix(r.Target, "unix://") && r.Delivered == 2*r.Published
		}},
		{"fanout websocket", []string{"fanout", "-serve", "-url", "ws://127.0.0.1:1/ws", "-subs", "2"}, func(r *result) bool {
			return strings.HasPrefix(r.Target, "ws://") && r.Delivered > 0
		}},
		{"rpc", []string{"rpc", "-serve", "-callers", "2", "-inflight", "8"}, func(r *result) bool {
			return r.Calls > 0 && r.Answered == r.Calls && r.CallsPerSec > 0 && r.Latency != nil
		}},
		{"rpc websocket json", []string{"rpc", "-serve", "-url", "ws://127.0.0.1:1/ws?serializer=json"}, func(r *result) bool {
			return r.Answered == r.Calls && r.Serializer == "json"
		}},
		{"idle", []string{"idle", "-serve", "-sessions", "50", "-router-pid", strconv.Itoa(pid), "-settle", "10ms"}, func(r *result) bool {
			return r.Sessions == 50 && r.RouterRSSBefore > 0 && r.RouterRSSAfter > 0
		}},
		{"devices", []string{"devices", "-serve", "-devices", "40", "-backends", "2", "-interval", "100ms", "-call-rate", "100", "-router-pid", strconv.Itoa(pid)}, func(r *result) bool {
			return r.Devices == 40 && r.Published > 0 && r.Delivered == 2*r.Published && r.Calls > 0 && r.Answered == r.Calls &&
				r.Latency != nil && r.CallLatency != nil && r.RouterRSSAfter > 0
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append(tt.args, "-duration", "200ms", "-json")
			start := time.Now()
			if err := run(context.Background(), args, &out, &errOut); err != nil {
				t.Fatalf("run %q: %v\n%s", args, err, errOut.String())
			}
			var r result
			if err := json.Unmarshal(out.Bytes(), &r); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out.String())
			}
			if !tt.want(&r) || r.Scenario != tt.args[0] {
				t.Errorf("report:\n%s", out.String())
			}
			t.Logf("%v: %s", time.Since(start), strings.Join(strings.Fields(out.String()), " "))
		})
	}
}

// TestTextReport checks the text form of a report.
func TestTextReport(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"rpc", "-serve", "-duration", "100ms"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"rpc against rs://127.0.0.1:", "1 caller(s) x 1 in flight", "calls", "answered", "latency (us)   p50"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRefusesRemote checks that run refuses a remote target before dialing.
func TestRefusesRemote(t *testing.T) {
	err := run(context.Background(), []string{"rpc", "-url", "rs://192.0.2.1:8081"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("run against 192.0.2.1: %v", err)
	}
}

// TestServe runs the serve subcommand for a moment and loads it.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	prof := t.TempDir() + "/cpu.prof"
	go func() {
		done <- run(ctx, []string{"serve", "-listen", "rs://127.0.0.1:0", "-cpuprofile", prof, "-for", "20s"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := readLine(pr)
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	f := strings.Fields(line)
	if len(f) < 5 || !strings.HasPrefix(f[4], "rs://127.0.0.1:") {
		t.Fatalf("serve printed %q", line)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"rpc", "-url", f[4], "-duration", "100ms", "-json"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
		t.Errorf("cpu profile: %v", err)
	}
}

func readLine(r io.Reader) (string, error) {
	var b []byte
	one := make([]byte, 1)
	for {
		if _, err := r.Read(one); err != nil {
			return string(b), err
		}
		if one[0] == '\n' {
			return string(b), nil
		}
		b = append(b, one[0])
	}
}

// TestHintWhenNoRouter checks that a refused connection comes with the
// hint on how to start a router.
func TestHintWhenNoRouter(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	err = run(context.Background(), []string{"rpc", "-url", "rs://" + addr, "-duration", "100ms"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "taskset -c 0 sensorbridge") {
		t.Fatalf("run against a closed port: %v", err)
	}
}
