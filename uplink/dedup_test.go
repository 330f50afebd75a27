package uplink_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/uplink"
	"github.com/edgewamp/edgewamp/wamp"
)

// ackLoser is the uplink's connection to the upstream, cut right after the
// upstream delivered chosen publications but before their PUBLISHED
// arrives: the worst moment of a link that flaps while the upstream router
// lives on.
type ackLoser struct {
	wamp.Transport
	cutAfter map[int64]bool // publication numbers (1-based, per ackLoser) after which to cut
	count    *atomic.Int64  // shared by the connections of one test
	cut      atomic.Bool
}

func (a *ackLoser) WriteMessages(msgs [][]byte) error {
	for _, b := range msgs {
		if m, err := a.Serializer().DecodeMessage(b); err == nil {
			if _, ok := m.(*wamp.Publish); ok && a.cutAfter[a.count.Add(1)] {
				a.cut.Store(true)
			}
		}
	}
	return a.Transport.WriteMessages(msgs)
}

func (a *ackLoser) ReadMessage() ([]byte, error) {
	b, err := a.Transport.ReadMessage()
	if err == nil && a.cut.Load() {
		a.Transport.Close()
		return nil, errors.New("test: link cut before the PUBLISHED")
	}
	return b, err
}

// siteUpstream is the upstream's configuration where the uplink
// authenticates (as siteAuth) and everyone else joins anonymously: the
// upstream recognises a resent publication across the uplink's sessions
// by its authid (an anonymous publisher's numbering holds within one
// session only).
var siteUpstream = minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "cloud", AllowAnonymous: true,
	Users: []minirouter.User{{AuthID: "site7", AuthRole: "gateway", Ticket: "s7"}}}}}

// siteAuth is the uplink's credentials on siteUpstream.
var siteAuth = auth.Credentials{AuthID: "site7", Ticket: "s7"}

// TestUplinkLinkFlapDeliversOnce cuts the uplink's connection right after
// the upstream (one of ours, which lives on) delivered an event and before
// its PUBLISHED came back, with more events of the window in flight behind
// it, and again on a later connection. The uplink resends every event not
// yet acknowledged with its number, the upstream acknowledges the repeats
// without delivering them again, and a plain subscriber gets every reading
// once and in order.
func TestUplinkLinkFlapDeliversOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	up, err := minirouter.New(siteUpstream)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	var mu sync.Mutex
	var got []int64
	x := join(t, ctx, up, "cloud")
	if _, err := x.Subscribe(ctx, "com.acme.site7.sensor.temp", func(ev *device.Event) {
		mu.Lock()
		got = append(got, ev.Args[0].(int64))
		mu.Unlock()
	}, nil); err != nil {
		t.Fatal(err)
	}

	var count atomic.Int64
	var conns atomic.Int64
	cfg := siteRules
	cfg.Auth = siteAuth // the upstream knows a stream by its publisher's authid
	cfg.Connect = func(ctx context.Context) (wamp.Transport, error) {
		tr, err := up.Connect(ctx)
		if err != nil {
			return nil, err
		}
		conns.Add(1)
		return &ackLoser{Transport: tr, cutAfter: map[int64]bool{5: true, 12: true, 13: true}, count: &count}, nil
	}
	gw := startGateway(t, cfg)
	d := join(t, ctx, gw.r, "realm1")
	eventually(t, ctx, "joined", func() bool { return gw.ul.Stats().State == uplink.Joined })

	const n = 30
	for i := range n {
		if err := d.Publish(ctx, "sensor.temp", wamp.Payload{Args: wamp.List{i}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, ctx, "all delivered", func() bool { return gw.ul.Stats().EventsUp == n })
	// a marker through the same path: nothing is still on its way after it
	if err := d.Publish(ctx, "sensor.temp", wamp.Payload{Args: wamp.List{n}}, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "marker", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) > 0 && got[len(got)-1] == n
	})
	mu.Lock()
	defer mu.Unlock()
	for i, v := range got {
		if v != int64(i) {
			t.Fatalf("subscriber got %v, want 0..%d once each, in order", got, n)
		}
	}
	st := up.Stats()
	t.Logf("%d readings delivered once over %d connections; upstream dropped %d repeats; uplink %+v",
		len(got), conns.Load(), st.PublicationsDeduplicated, gw.ul.Stats())
	// Each cut loses the PUBLISHED of at least the event that triggered it
	// (and of the rest of the window sent with it): at least one repeat
	// per cut.
	if n := conns.Load(); n < 2 || st.PublicationsDeduplicated < uint64(n-1) {
		t.Errorf("upstream deduplicated %d publications over %d connections, want at least one per cut", st.PublicationsDeduplicated, n)
	}
}

// smallLink is the uplink's connection to an upstream that accepts
// messages of at most 300 bytes.
type smallLink struct{ wamp.Transport }

func (smallLink) MaxMessageSize() int { return 1000 }

// TestUplinkUndeliverableEvent sends up an event larger than the upstream
// accepts between two that fit: it is dropped and counted as refused, and
// the events after it go on.
func TestUplinkUndeliverableEvent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	up, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "cloud"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	got := make(chan string, 10)
	x := join(t, ctx, up, "cloud")
	if _, err := x.Subscribe(ctx, "com.acme.site7.sensor.temp", func(ev *device.Event) {
		got <- ev.Args[0].(string)
	}, nil); err != nil {
		t.Fatal(err)
	}
	cfg := siteRules
	cfg.Connect = func(ctx context.Context) (wamp.Transport, error) {
		tr, err := up.Connect(ctx)
		if err != nil {
			return nil, err
		}
		return smallLink{tr}, nil
	}
	gw := startGateway(t, cfg)
	d := join(t, ctx, gw.r, "realm1")
	eventually(t, ctx, "joined", func() bool { return gw.ul.Stats().State == uplink.Joined })
	big := string(make([]byte, 2000))
	for _, v := range []string{"first", big, "last"} {
		if err := d.Publish(ctx, "sensor.temp", wamp.Payload{Args: wamp.List{v}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"first", "last"} {
		select {
		case v := <-got:
			if v != want {
				t.Fatalf("upstream got %.20q, want %q", v, want)
			}
		case <-ctx.Done():
			t.Fatalf("%q not delivered; uplink %+v", want, gw.ul.Stats())
		}
	}
	eventually(t, ctx, "acknowledged", func() bool { return gw.ul.Stats().EventsUp == 2 })
	if st := gw.ul.Stats(); st.EventsUp != 2 || st.PublishErrors != 1 || st.Joins != 1 {
		t.Errorf("uplink %+v, want 2 events up, 1 refused, 1 join", st)
	}
}
