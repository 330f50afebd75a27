package uplink_test

import (
	"context"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// BenchmarkUplinkForward times the uplink's forwarding path, the one a
// gateway's every reading takes: a local device publishes b.N readings
// (unacknowledged, in bursts of 100 as many devices would), the router
// routes them to the uplink, which sends them upstream (another router, over
// loopback RawSocket) and collects their
// acknowledgements. An op is one reading from the local PUBLISH to its
// upstream acknowledgement (the benchmark ends when Stats.EventsUp reaches
// b.N). allocs/op and B/op count the whole process: the local publisher
// and router, the uplink, the upstream router.
func BenchmarkUplinkForward(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	up := startUpstreamConfig(b, "rs", "", siteUpstream, nil)
	cfg := siteRules
	cfg.Auth = siteAuth
	cfg.URL = up.url()
	cfg.QueueSize = max(b.N, 1000)
	gw := startGateway(b, cfg)
	d := join(b, ctx, gw.r, "realm1")
	eventually(b, ctx, "joined", func() bool { return gw.ul.Stats().State == "joined" })
	p := wamp.Payload{Args: wamp.List{time.Now().UnixNano(), "a reading of about 64 bytes, as the devices scenario's"}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := d.Publish(ctx, "sensor.temp", p, nil); err != nil {
			b.Fatal(err)
		}
		if i%100 == 99 { // bursts: leave the uplink room to keep up
			for gw.ul.Stats().EventsUp+200 < uint64(i+1) {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}
	for gw.ul.Stats().EventsUp < uint64(b.N) {
		if ctx.Err() != nil {
			b.Fatalf("not all forwarded: %+v", gw.ul.Stats())
		}
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	if st := gw.ul.Stats(); st.QueueDropped != 0 || st.PublishErrors != 0 {
		b.Fatalf("dropped or refused: %+v", st)
	}
}
