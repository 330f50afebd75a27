package uplink_test

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/uplink"
	"github.com/edgewamp/edgewamp/wamp"
)

// windowLink is the uplink's connection to the upstream, watched: it
// counts the PUBLISHes written whose answer (PUBLISHED or ERROR) has not
// been read yet, and the most there were at once; while hold is open it
// holds back every answer.
type windowLink struct {
	wamp.Transport
	maxSize int             // MaxMessageSize; 0: the transport's
	hold    <-chan struct{} // nil: no holding back
	w       *windowStats
}

// windowStats are what the windowLinks of a test saw.
type windowStats struct {
	sent, inFlight, maxInFlight atomic.Int64
}

func (l *windowLink) MaxMessageSize() int {
	if l.maxSize > 0 {
		return l.maxSize
	}
	return l.Transport.MaxMessageSize()
}

func (l *windowLink) WriteMessages(msgs [][]byte) error {
	for _, b := range msgs {
		if m, err := l.Serializer().DecodeMessage(b); err == nil {
			if _, ok := m.(*wamp.Publish); ok {
				l.w.sent.Add(1)
				n := l.w.inFlight.Add(1)
				for old := l.w.maxInFlight.Load(); n > old && !l.w.maxInFlight.CompareAndSwap(old, n); old = l.w.maxInFlight.Load() {
				}
			}
		}
	}
	return l.Transport.WriteMessages(msgs)
}

func (l *windowLink) ReadMessage() ([]byte, error) {
	b, err := l.Transport.ReadMessage()
	if err != nil {
		return b, err
	}
	if m, err := l.Serializer().DecodeMessage(b); err == nil {
		switch m := m.(type) {
		case *wamp.Published:
			l.answered()
		case *wamp.ErrorMessage:
			if m.RequestType == wamp.PUBLISH {
				l.answered()
			}
		}
	}
	return b, nil
}

func (l *windowLink) answered() {
	l.w.inFlight.Add(-1)
	if l.hold != nil {
		<-l.hold
	}
}

// readings are the readings (first arguments) that a subscriber got, in
// order.
type readings struct {
	mu  sync.Mutex
	got []int64
}

func (rd *readings) count() int {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return len(rd.got)
}

func (rd *readings) all() []int64 {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return append([]int64(nil), rd.got...)
}

// readingsUpstream starts an upstream router with cfg, where a subscriber
// with room for bursts of n events records the readings sent up to
// com.acme.site7.sensor.*.
func readingsUpstream(t *testing.T, ctx context.Context, cfg minirouter.Config, n int) (*minirouter.Router, *readings) {
	t.Helper()
	up, err := minirouter.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { up.Close() })
	rd := &readings{}
	x := joinQueue(t, ctx, up, "cloud", n)
	if _, err := x.Subscribe(ctx, "com.acme.site7.sensor.", func(ev *device.Event) {
		rd.mu.Lock()
		rd.got = append(rd.got, ev.Args[0].(int64))
		rd.mu.Unlock()
	}, &device.SubscribeOptions{Match: wamp.PrefixMatch}); err != nil {
		t.Fatal(err)
	}
	return up, rd
}

// windowUpstream is an upstream that refuses the uplink's events on
// com.acme.site7.sensor.secret (not authorized) and delivers the others.
func windowUpstream() minirouter.Config {
	cfg := minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "cloud", AllowAnonymous: true,
		Users: []minirouter.User{{AuthID: "site7", AuthRole: "gateway", Ticket: "s7"}},
		Permissions: []minirouter.Permission{
			{Role: "gateway", URI: "com.acme.site7.sensor.secret", Actions: []string{minirouter.ActionPublish}, Deny: true},
			{Role: "*", URI: "", Match: wamp.PrefixMatch, Actions: []string{"call", "register", "publish", "subscribe"}},
		}}}}
	return cfg
}

// TestUplinkWindow queues 2,000 events while the upstream is away, then
// lets the uplink send them with many in flight at once: the upstream's
// subscriber gets every event it accepts once and in order, and the
// events it refuses (not authorized) or could not take (larger than it
// accepts) inside the window are dropped and counted, the others going on.
func TestUplinkWindow(t *testing.T) {
	const n = 2000
	for _, tc := range []struct {
		name  string
		topic func(i int) wamp.URI // the local topic of event i
		big   func(i int) bool     // event i is larger than the upstream accepts
	}{
		{name: "in order"},
		{name: "refusals", topic: func(i int) wamp.URI {
			if i%7 == 3 {
				return "sensor.secret"
			}
			return "sensor.temp"
		}},
		{name: "too large", big: func(i int) bool { return i%50 == 10 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			up, rd := readingsUpstream(t, ctx, windowUpstream(), n)
			var open atomic.Bool
			var w windowStats
			cfg := siteRules
			cfg.Auth = siteAuth
			cfg.QueueSize = n
			cfg.Connect = func(ctx context.Context) (wamp.Transport, error) {
				if !open.Load() {
					return nil, os.ErrDeadlineExceeded // away for now
				}
				tr, err := up.Connect(ctx)
				if err != nil {
					return nil, err
				}
				return &windowLink{Transport: tr, maxSize: 1000, w: &w}, nil
			}
			gw := startGateway(t, cfg)
			d := join(t, ctx, gw.r, "realm1")
			eventually(t, ctx, "uplink set up", func() bool { return gw.ul.Stats().State != uplink.Stopped })
			var want []int64
			refused := 0
			for i := range n {
				topic, p := wamp.URI("sensor.temp"), wamp.Payload{Args: wamp.List{i}}
				if tc.topic != nil {
					topic = tc.topic(i)
				}
				if tc.big != nil && tc.big(i) {
					p.Args = append(p.Args, string(make([]byte, 2000)))
				}
				if topic == "sensor.secret" || len(p.Args) > 1 {
					refused++
				} else {
					want = append(want, int64(i))
				}
				if err := d.Publish(ctx, topic, p, nil); err != nil {
					t.Fatal(err)
				}
			}
			eventually(t, ctx, "queued", func() bool { return gw.ul.Stats().Queued == n })
			open.Store(true)
			eventually(t, ctx, "queue drained", func() bool { return gw.ul.Stats().Queued == 0 })
			eventually(t, ctx, "all delivered", func() bool { return rd.count() >= len(want) })
			time.Sleep(50 * time.Millisecond) // a repeat would show now
			got := rd.all()
			st := gw.ul.Stats()
			t.Logf("%d delivered, %d refused; at most %d PUBLISHes in flight; uplink %+v", len(got), refused, w.maxInFlight.Load(), st)
			if len(got) != len(want) {
				t.Fatalf("upstream got %d events, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("upstream event %d is reading %d, want %d", i, got[i], want[i])
				}
			}
			if st.EventsUp != uint64(len(want)) || st.PublishErrors != uint64(refused) || st.Joins != 1 {
				t.Errorf("uplink %+v, want %d events up, %d refused, 1 join", st, len(want), refused)
			}
			if m := w.maxInFlight.Load(); m < 2 {
				t.Errorf("at most %d PUBLISH in flight: no window", m)
			}
		})
	}
}

// TestUplinkJournalWindowCrash copies the queue file (a crash's) while a
// window of events is in flight, their PUBLISHED held back, and starts a
// new gateway from the copy: the events in flight were never acknowledged,
// so they are all still in the journal, and the new gateway resends them
// with their numbers; the upstream, which delivered them the first time,
// recognises the repeats, and its subscriber gets every event once, in
// order.
func TestUplinkJournalWindowCrash(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 1000
	up, rd := readingsUpstream(t, ctx, siteUpstream, n)
	dir := t.TempDir()
	hold := make(chan struct{})
	defer close(hold)
	var w1 windowStats
	cfg := siteRules
	cfg.Auth = siteAuth
	cfg.QueueSize = n
	cfg.QueueFile = dir + "/q"
	cfg.Connect = func(ctx context.Context) (wamp.Transport, error) {
		tr, err := up.Connect(ctx)
		if err != nil {
			return nil, err
		}
		return &windowLink{Transport: tr, hold: hold, w: &w1}, nil
	}
	r1, err := minirouter.New(minirouter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	ul1, err := uplink.New(r1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	go ul1.Run(rctx)
	eventually(t, ctx, "joined", func() bool { return ul1.Stats().State == uplink.Joined })
	d := join(t, ctx, r1, "realm1")
	for i := range n {
		if err := d.Publish(ctx, "sensor.temp", wamp.Payload{Args: wamp.List{i}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The first answer is held back, and the window behind it is out.
	eventually(t, ctx, "a window in flight", func() bool { return w1.sent.Load() >= 100 && ul1.Stats().Queued == n })
	eventually(t, ctx, "delivered upstream", func() bool { return rd.count() >= 100 })
	journal, err := os.ReadFile(cfg.QueueFile)
	if err != nil {
		t.Fatal(err)
	}
	crashed := dir + "/crashed"
	if err := os.WriteFile(crashed, journal, 0o600); err != nil {
		t.Fatal(err)
	}
	sent1, up1 := w1.sent.Load(), ul1.Stats().EventsUp
	stop()

	cfg.QueueFile = crashed
	var w2 windowStats
	cfg.Connect = func(ctx context.Context) (wamp.Transport, error) {
		tr, err := up.Connect(ctx)
		if err != nil {
			return nil, err
		}
		return &windowLink{Transport: tr, w: &w2}, nil
	}
	gw := startGateway(t, cfg)
	eventually(t, ctx, "all sent again", func() bool { return gw.ul.Stats().EventsUp == n })
	eventually(t, ctx, "all delivered", func() bool { return rd.count() >= n })
	time.Sleep(50 * time.Millisecond) // a repeat would show now
	got := rd.all()
	st := up.Stats()
	t.Logf("before the crash: %d PUBLISHes sent, %d acknowledged; after: %d sent, upstream deduplicated %d; subscriber got %d",
		sent1, up1, w2.sent.Load(), st.PublicationsDeduplicated, len(got))
	if up1 != 0 {
		t.Errorf("%d events acknowledged before the crash, want 0 (all held back)", up1)
	}
	for i, v := range got {
		if v != int64(i) {
			t.Fatalf("subscriber got reading %d as event %d, want each of 0..%d once, in order", v, i, n-1)
		}
	}
	if len(got) != n || st.PublicationsDeduplicated < uint64(min(sent1, 100)) {
		t.Errorf("subscriber got %d of %d; upstream deduplicated %d of the %d sent before the crash", len(got), n, st.PublicationsDeduplicated, sent1)
	}
}

// TestUplinkWindowAckTimeout holds back the upstream's answers for longer
// than the uplink waits for them (10 s): the uplink sends the window again
// on the same session (which the upstream soon ends, its writes to the
// uplink having stalled as long), and once the answers flow, every event
// is delivered once (the upstream recognises the repeats), in order.
func TestUplinkWindowAckTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: waits out the acknowledgement timeout")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 500
	up, rd := readingsUpstream(t, ctx, siteUpstream, n)
	hold := make(chan struct{})
	var w windowStats
	cfg := siteRules
	cfg.Auth = siteAuth
	cfg.Connect = func(ctx context.Context) (wamp.Transport, error) {
		tr, err := up.Connect(ctx)
		if err != nil {
			return nil, err
		}
		return &windowLink{Transport: tr, hold: hold, w: &w}, nil
	}
	gw := startGateway(t, cfg)
	eventually(t, ctx, "joined", func() bool { return gw.ul.Stats().State == uplink.Joined })
	d := join(t, ctx, gw.r, "realm1")
	for i := range n {
		if err := d.Publish(ctx, "sensor.temp", wamp.Payload{Args: wamp.List{i}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, ctx, "a window in flight", func() bool { return w.sent.Load() >= 100 })
	var first int64
	for still := 0; still < 20; still++ { // the window is out once no more go
		if m := w.sent.Load(); m != first {
			first, still = m, 0
		}
		time.Sleep(10 * time.Millisecond)
	}
	held := time.Now()
	eventually(t, ctx, "the window sent again", func() bool { return w.sent.Load() > first })
	t.Logf("%d PUBLISHes in flight; sent again after %v, %d sessions lost by then", first,
		time.Since(held).Round(100*time.Millisecond), gw.ul.Stats().Reconnects)
	close(hold)
	eventually(t, ctx, "all acknowledged", func() bool { return gw.ul.Stats().EventsUp == n })
	eventually(t, ctx, "all delivered", func() bool { return rd.count() >= n })
	time.Sleep(50 * time.Millisecond) // a repeat would show now
	got := rd.all()
	t.Logf("%d PUBLISHes for %d events; upstream deduplicated %d; uplink %+v", w.sent.Load(), n, up.Stats().PublicationsDeduplicated, gw.ul.Stats())
	for i, v := range got {
		if v != int64(i) {
			t.Fatalf("subscriber got reading %d as event %d, want each of 0..%d once, in order", v, i, n-1)
		}
	}
	if len(got) != n {
		t.Errorf("subscriber got %d of %d", len(got), n)
	}
}
