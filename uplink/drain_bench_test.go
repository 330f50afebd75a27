package uplink_test

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// BenchmarkUplinkDrain fills the uplink's queue with b.N events while its
// upstream (another router, over loopback RawSocket) is down, then starts
// the upstream and times the uplink delivering them all to a subscriber
// there: ns/op is the drain time per event (run with -benchtime Nx).
// cpu-ms/1000 is the process's CPU time (gateway, upstream and subscriber)
// per 1,000 events.
func BenchmarkUplinkDrain(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	addr := freeAddr(b)
	cfg := siteRules
	cfg.Auth = siteAuth
	cfg.URL = "rs://" + addr
	cfg.QueueSize = b.N
	gw := startGateway(b, cfg)
	d := join(b, ctx, gw.r, "realm1")
	eventually(b, ctx, "uplink set up", func() bool { return gw.ul.Stats().State != "stopped" })
	for i := range b.N {
		if err := d.Publish(ctx, "sensor.temp", wamp.Payload{Args: wamp.List{i, "a 64-byte reading, more or less, as the devices scenario's"}}, nil); err != nil {
			b.Fatal(err)
		}
	}
	eventually(b, ctx, "all queued", func() bool { return gw.ul.Stats().Queued == b.N })
	got := make(chan struct{}, b.N)
	var cpu0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &cpu0)
	b.ResetTimer()
	startUpstreamConfig(b, "rs", addr, siteUpstream, func(r *minirouter.Router) {
		x := joinQueue(b, ctx, r, "cloud", b.N)
		if _, err := x.Subscribe(ctx, "com.acme.site7.sensor.temp", func(*device.Event) { got <- struct{}{} }, nil); err != nil {
			b.Fatal(err)
		}
	})
	for range b.N {
		select {
		case <-got:
		case <-ctx.Done():
			b.Fatalf("not all delivered: %+v", gw.ul.Stats())
		}
	}
	b.StopTimer()
	var cpu1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &cpu1)
	cpu := time.Duration(syscall.TimevalToNsec(cpu1.Utime) + syscall.TimevalToNsec(cpu1.Stime) -
		syscall.TimevalToNsec(cpu0.Utime) - syscall.TimevalToNsec(cpu0.Stime))
	b.ReportMetric(float64(cpu.Milliseconds())*1000/float64(b.N), "cpu-ms/1000")
}

// BenchmarkUplinkRate publishes b.N readings at 10,000 a second (run with
// -benchtime Nx) on a gateway whose uplink is up, to a subscriber on the
// upstream router over loopback RawSocket, and reports the delay from the
// local publish to the upstream subscriber (p50-ms, p99-ms), the share of
// the readings there within the run and 2 s after it (delivered-%), and
// the process's CPU time (gateway, upstream and subscriber) per 1,000.
func BenchmarkUplinkRate(b *testing.B) {
	const rate = 10000
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	delays := make(chan time.Duration, b.N)
	up := startUpstreamConfig(b, "rs", "", siteUpstream, func(r *minirouter.Router) {
		x := joinQueue(b, ctx, r, "cloud", 4096)
		if _, err := x.Subscribe(ctx, "com.acme.site7.sensor.temp", func(ev *device.Event) {
			at, _ := ev.Args[0].(int64)
			delays <- time.Duration(time.Now().UnixNano() - at)
		}, nil); err != nil {
			b.Fatal(err)
		}
	})
	cfg := siteRules
	cfg.Auth = siteAuth
	cfg.URL = up.url()
	cfg.QueueSize = b.N
	gw := startGateway(b, cfg)
	d := join(b, ctx, gw.r, "realm1")
	eventually(b, ctx, "joined", func() bool { return gw.ul.Stats().State == "joined" })
	var cpu0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &cpu0)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; {
		for due := int(time.Since(start) * rate / time.Second); i < b.N && i < due; i++ {
			if err := d.Publish(ctx, "sensor.temp", wamp.Payload{Args: wamp.List{time.Now().UnixNano(), "a reading of about 64 bytes"}}, nil); err != nil {
				b.Fatal(err)
			}
		}
		time.Sleep(time.Millisecond)
	}
	end := time.After(2 * time.Second)
	var got []time.Duration
collect:
	for len(got) < b.N {
		select {
		case dl := <-delays:
			got = append(got, dl)
		case <-end:
			break collect
		}
	}
	b.StopTimer()
	var cpu1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &cpu1)
	cpu := time.Duration(syscall.TimevalToNsec(cpu1.Utime) + syscall.TimevalToNsec(cpu1.Stime) -
		syscall.TimevalToNsec(cpu0.Utime) - syscall.TimevalToNsec(cpu0.Stime))
	slices.Sort(got)
	if len(got) > 0 {
		b.ReportMetric(float64(got[len(got)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(got[len(got)*99/100].Microseconds())/1000, "p99-ms")
	}
	b.ReportMetric(100*float64(len(got))/float64(b.N), "delivered-%")
	b.ReportMetric(float64(cpu.Milliseconds())*1000/float64(b.N), "cpu-ms/1000")
}
