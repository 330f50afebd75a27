package uplink_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/uplink"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestUplinkExportJoinStorm has 200 sessions register 10 exported
// procedures each, one after another, as a join storm of devices does:
// every one is registered upstream, and the uplink lists the local registrations
// a few times a second while the storm lasts, not once per change (each
// listing costs in proportion to the registrations: a listing per change
// made the storm quadratic).
func TestUplinkExportJoinStorm(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const sessions, each = 200, 10
	up := startUpstreamConfig(t, "rs", "", minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "cloud"}},
		MaxRegistrations: sessions * each}, nil) // the uplink registers them all on its one session
	cfg := siteRules
	cfg.URL = up.url()
	gw := startGateway(t, cfg)
	eventually(t, ctx, "joined", func() bool { return gw.ul.Stats().State == uplink.Joined })
	devs := make([]*device.Client, sessions)
	for i := range devs {
		devs[i] = join(t, ctx, gw.r, "realm1")
	}
	h := func(context.Context, *device.Invocation) (wamp.Payload, error) { return wamp.Payload{}, nil }
	before := gw.ul.ExportListings()
	start := time.Now()
	for j := range each { // one after another, as devices join: a change at a time
		for i, d := range devs {
			if _, err := d.Register(ctx, wamp.URI(fmt.Sprintf("light.d%d.p%d", i, j)), h, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	storm := time.Since(start)
	listings := gw.ul.ExportListings() - before
	for st := gw.ul.Stats(); st.Exported != sessions*each || len(up.r.Registrations("cloud", 0)) != sessions*each; st = gw.ul.Stats() {
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d exported, %d registered upstream; uplink %+v", st.Exported, sessions*each, len(up.r.Registrations("cloud", 0)), st)
		case <-time.After(10 * time.Millisecond):
		}
	}
	// about one listing per 200 ms of storm (the uplink's bound), with room
	bound := 4 + uint64(storm/(100*time.Millisecond))
	t.Logf("%d registrations made in %v with %d listings meanwhile (bound %d); %d listings in all", sessions*each,
		storm.Round(time.Millisecond), listings, bound, gw.ul.ExportListings()-before)
	if listings > bound {
		t.Errorf("%d listings of the local registrations for %d registrations in %v, want at most %d", listings, sessions*each, storm, bound)
	}
}
