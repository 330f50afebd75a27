package uplink_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestUplinkBurstReachesQueue has a device on RawSocket publish 10,000
// unacknowledged readings in one burst while the upstream is down: every
// one reaches the store-and-forward queue (which has room for them all),
// none is dropped on the way from the router to the uplink, and once the
// upstream comes up each arrives there once, in order. With a queue file
// too, whose writes are slower than the burst.
func TestUplinkBurstReachesQueue(t *testing.T) {
	for _, file := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "file"}[file], func(t *testing.T) { testBurst(t, file) })
	}
}

func testBurst(t *testing.T, file bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr := freeAddr(t) // the upstream, down for now
	cfg := siteRules
	cfg.Auth = siteAuth
	cfg.URL = "rs://" + addr
	cfg.QueueSize = 10000
	if file {
		cfg.QueueFile = t.TempDir() + "/q"
	}
	gw := startGateway(t, cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go listen.Serve(gw.r, l, listen.Config{})
	t.Cleanup(func() { l.Close() })
	d, err := device.Dial(ctx, "rs://"+l.Addr().String(), device.Config{Realm: "realm1"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	eventually(t, ctx, "uplink set up", func() bool { return gw.ul.Stats().State != "stopped" })

	const sent = 10000
	for i := range sent {
		if err := d.Publish(ctx, "sensor.temp", wamp.Payload{Args: wamp.List{i}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The burst is in once the router has read it all and the queue stops growing.
	var last, still int
	for still < 20 {
		time.Sleep(25 * time.Millisecond)
		if n := gw.ul.Stats().Queued; n == last && n > 0 {
			still++
		} else {
			last, still = n, 0
		}
	}
	st, rs := gw.ul.Stats(), gw.r.Stats()
	t.Logf("after the burst: queued %d of %d; router events dropped %d; uplink %+v", st.Queued, sent, rs.EventsDropped, st)
	if st.Queued != sent || st.QueueDropped != 0 || rs.EventsDropped != 0 {
		t.Fatalf("queued %d of %d readings (queue dropped %d, router dropped %d)", st.Queued, sent, st.QueueDropped, rs.EventsDropped)
	}

	got := make(chan int64, 2*sent)
	startUpstreamConfig(t, "rs", addr, siteUpstream, func(r *minirouter.Router) {
		x := joinQueue(t, ctx, r, "cloud", 2*sent)
		if _, err := x.Subscribe(ctx, "com.acme.site7.sensor.temp", func(ev *device.Event) { got <- ev.Args[0].(int64) }, nil); err != nil {
			t.Fatal(err)
		}
	})
	for i := range int64(sent) {
		select {
		case v := <-got:
			if v != i {
				t.Fatalf("reading %d arrived as number %d", v, i)
			}
		case <-ctx.Done():
			t.Fatalf("%d of %d readings arrived; stats %+v", i, sent, gw.ul.Stats())
		}
	}
	select {
	case v := <-got:
		t.Errorf("reading %d arrived again", v)
	case <-time.After(100 * time.Millisecond):
	}
}
