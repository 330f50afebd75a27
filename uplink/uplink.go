package uplink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// Uplink defaults.
const (
	DefaultQueue = 1000
	// uplinkAckTimeout bounds the wait for an event's PUBLISHED (give or
	// take uplinkAckSlack); the events not yet acknowledged are then sent
	// again (at least once).
	uplinkAckTimeout = 10 * time.Second
	// uplinkRetryPause is how long the uplink waits before sending events
	// again on a session whose connection failed but has not ended yet.
	uplinkRetryPause = time.Second
	// uplinkOpTimeout bounds an upstream UNREGISTER.
	uplinkOpTimeout = 5 * time.Second
	// uplinkLocalEvents is the room the local session's router queue keeps
	// beyond the store-and-forward queue's size (for the events that come
	// through the pipe while their subscription's route is being set:
	// localLink), and its device client's event queue.
	uplinkLocalEvents = 1024
	// uplinkEventBytes is the bytes per event the local session's router
	// queue allows (a bound, not an allocation).
	uplinkEventBytes = 1024
)

// Config configures an [Uplink]. The zero value of each field means the
// default stated in its comment; URL (or Connect) is required. It is plain
// data, copied by [New].
type Config struct {
	// URL is the upstream router: rs://, rss://, unix://, or any scheme of
	// Dialers (ws://, wss:// through wstransport.DialURL), opened by
	// device.DialTransport. A serializer=json|msgpack|cbor query picks the
	// serializer.
	URL string
	// Connect, when set, replaces dialling URL (in-process upstreams, tests).
	Connect func(ctx context.Context) (wamp.Transport, error)
	// Realm is the upstream realm. Default "realm1".
	Realm wamp.URI
	// LocalRealm is the realm of this router that is bridged. Default: the
	// router's first configured realm.
	LocalRealm wamp.URI
	// Auth holds the credentials for the upstream (ticket, WAMP-CRA,
	// cryptosign). Default: anonymous.
	Auth auth.Credentials
	// Serializer is "json", "msgpack" or "cbor". Default: msgpack over RawSocket,
	// the dialer's own (JSON) for WebSocket.
	Serializer string
	// TLS configures rss:// and wss://. Default: system roots, the URL's host.
	TLS *tls.Config
	// Dialers adds URL schemes (see device.Config.Dialers).
	Dialers map[string]wamp.Dialer

	// Publish: local topics whose events are sent up.
	Publish []Rule
	// Subscribe: upstream topics whose events are brought down and
	// published locally.
	Subscribe []Rule
	// Export: local procedures registered upstream while some local session
	// registers them; upstream calls are proxied down.
	Export []Rule
	// Import: upstream procedures that local sessions may call through the
	// gateway (the gateway registers Local and forwards calls up).
	Import []Rule

	// QueueSize is how many events wait for the upstream while it is
	// unreachable; when full, the oldest is dropped and counted. Default 1000.
	QueueSize int
	// QueueFile, when set, keeps the queue in a journal file too, so that
	// events not yet delivered survive a gateway restart; damaged records
	// are skipped and counted (Stats.QueueFileDamaged), and while the file
	// cannot be written the queue goes on in memory (Stats.QueueMemoryOnly).
	// The uplink also writes QueueFile+".tmp" (rewrites) and
	// QueueFile+".damaged". Default: memory only.
	QueueFile string
	// MinBackoff and MaxBackoff bound the reconnection backoff (full jitter).
	// Defaults 500ms and 30s.
	MinBackoff, MaxBackoff time.Duration
	// CallTimeout bounds each imported call (local caller → upstream); it is
	// also sent to the upstream as options.timeout when its dealer announces
	// call_timeout. Default 0: no limit beyond the caller's own.
	CallTimeout time.Duration
	// Logger receives the uplink's state changes and errors. Default: the
	// router's logger.
	Logger *slog.Logger
}

// Uplink states, as in [Stats.State].
const (
	Connecting = "connecting"
	Joined     = "joined"
	BackingOff = "backing off"
	Stopped    = "stopped"
)

// Stats is a snapshot of an uplink's state and counters. Plain data.
type Stats struct {
	State        string // stopped (before Run has set up its local session, and after Run), connecting, joined, backing off
	Joins        uint64 // upstream sessions joined
	Reconnects   uint64 // upstream sessions lost
	DialErrors   uint64 // failed connection or join attempts
	ApplyErrors  uint64 // upstream registrations/subscriptions refused
	Queued       int    // events waiting to go up
	QueueDropped uint64 // events dropped from the full queue (oldest first)
	// QueueMemoryOnly is how many queued events (acknowledged to their
	// publishers) the queue file lacks because it cannot be written (a full
	// disk): a restart now would lose them. 0 once the file is written
	// again, which the uplink retries every 250 ms.
	QueueMemoryOnly int
	// QueueFileDamaged counts the queue file's records that failed their
	// check when it was opened: skipped, never delivered (each may have
	// been a reading, lost).
	QueueFileDamaged uint64
	EventsUp         uint64 // events delivered upstream (acknowledged)
	EventsDown       uint64 // upstream events published locally
	PublishErrors    uint64 // events the upstream refused (dropped)
	CallsIn          uint64 // upstream calls of exported procedures
	CallsOut         uint64 // local calls of imported procedures
	Exported         int    // procedures registered upstream now (declared)
	// LastError is the last problem the uplink reported (logged at warn
	// level or above: a failed dial or join, a lost session, an event or a
	// declaration the upstream refused, a queue file that cannot be
	// written), with its error; LastErrorTime is when. "" and the zero
	// time: none since New.
	LastError     string
	LastErrorTime time.Time
}

// Uplink bridges one realm of a router to an upstream router through one
// reconnecting client (a device.Client with reconnection on), following its
// Publish, Subscribe, Export and Import rules.
// Create it with [New] and run it with [Uplink.Run]. Its
// methods are safe for concurrent use.
//
// Inside, the uplink is two clients: a local in-process session on the
// router, which subscribes to the Publish rules, registers the Import rules
// and calls exported procedures; and the upstream client, which
// subscribes to the Subscribe rules, registers exported procedures and
// publishes the queued events. Loops cannot form: events are published with
// the default exclude_me, so neither session receives its own publications,
// and registrations made by the uplink itself are never exported.
type Uplink struct {
	r     *minirouter.Router
	cfg   Config
	log   *slog.Logger
	q     *eventQueue
	up    atomic.Pointer[device.Client] // the upstream client, set by Run
	state atomic.Value                  // string

	eventsUp, eventsDown, publishErrors, callsIn, callsOut atomic.Uint64
	upProgress, upTimeout                                  atomic.Bool // upstream dealer features
	joinKick                                               chan struct{}
	running                                                atomic.Bool
	exportListings                                         atomic.Uint64 // listings of the local registrations (reconcile)

	last     *lastError // what errorHandler recorded
	mu       sync.Mutex // protects exported
	exported map[wamp.URI]exportEntry
}

// exportEntry is a procedure registered upstream on behalf of local callees.
type exportEntry struct {
	local  wamp.URI
	match  wamp.MatchPolicy
	invoke string
	rule   *Rule
	reg    *device.Registration // the upstream registration
}

// New checks cfg, opens the queue (recovering its file) and returns an
// uplink for a realm of r; call Run to start it.
func New(r *minirouter.Router, cfg Config) (*Uplink, error) {
	if cfg.URL == "" && cfg.Connect == nil {
		return nil, errors.New("uplink: no upstream URL")
	}
	if cfg.Realm == "" {
		cfg.Realm = device.DefaultRealm
	}
	if cfg.LocalRealm == "" {
		cfg.LocalRealm = r.Realms()[0]
	}
	if !slices.Contains(r.Realms(), cfg.LocalRealm) {
		return nil, fmt.Errorf("uplink: no local realm %q", cfg.LocalRealm)
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueue
	}
	if cfg.Logger == nil {
		cfg.Logger = r.Logger()
	}
	if strings.HasPrefix(cfg.URL, "rss://") || strings.HasPrefix(cfg.URL, "wss://") {
		cfg.TLS = device.TLSWithResumption(cfg.TLS) // reconnections resume the TLS session
	}
	for _, rules := range []*[]Rule{&cfg.Publish, &cfg.Subscribe, &cfg.Export, &cfg.Import} {
		*rules = append([]Rule(nil), *rules...)
		for i := range *rules {
			if err := (*rules)[i].check(); err != nil {
				return nil, fmt.Errorf("uplink: %w", err)
			}
		}
	}
	last := &lastError{}
	log := slog.New(&errorHandler{next: cfg.Logger.Handler(), last: last}).With("uplink", cfg.URL)
	q, err := newEventQueue(cfg.QueueSize, cfg.QueueFile, log)
	if err != nil {
		return nil, err
	}
	u := &Uplink{r: r, cfg: cfg, log: log, q: q, last: last, joinKick: make(chan struct{}, 1),
		exported: make(map[wamp.URI]exportEntry)}
	u.state.Store(Stopped)
	return u, nil
}

// upstreamConfig is the upstream client's configuration.
func (u *Uplink) upstreamConfig() device.Config {
	return device.Config{
		Realm:      u.cfg.Realm,
		Auth:       u.cfg.Auth,
		Serializer: u.cfg.Serializer,
		TLS:        u.cfg.TLS,
		Dialers:    u.cfg.Dialers,
		Logger:     u.log,
		Reconnect: device.Reconnect{
			Enabled:    true,
			Connect:    u.connect,
			MinBackoff: u.cfg.MinBackoff,
			MaxBackoff: u.cfg.MaxBackoff,
			OnJoin:     u.onJoin,
			OnLeave:    u.onLeave,
		},
	}
}

// Stats returns the uplink's state and counters.
func (u *Uplink) Stats() Stats {
	var rs device.Stats
	if up := u.up.Load(); up != nil {
		rs = up.Stats()
	}
	qs := u.q.stats()
	u.mu.Lock()
	exp := len(u.exported)
	u.mu.Unlock()
	lastErr, lastAt := u.last.get()
	return Stats{
		State:            u.state.Load().(string),
		Joins:            rs.Joins,
		Reconnects:       rs.Reconnects,
		DialErrors:       rs.DialErrors,
		ApplyErrors:      rs.ApplyErrors,
		Queued:           qs.queued,
		QueueDropped:     qs.dropped,
		QueueMemoryOnly:  qs.memoryOnly,
		QueueFileDamaged: qs.damaged,
		EventsUp:         u.eventsUp.Load(),
		EventsDown:       u.eventsDown.Load(),
		PublishErrors:    u.publishErrors.Load(),
		CallsIn:          u.callsIn.Load(),
		CallsOut:         u.callsOut.Load(),
		Exported:         exp,
		LastError:        lastErr,
		LastErrorTime:    lastAt,
	}
}

func (u *Uplink) setState(s string, args ...any) {
	if old := u.state.Swap(s); old != s {
		u.log.Info("uplink "+s, args...)
	}
}

// connect dials the upstream (for the upstream client), tracking the state.
func (u *Uplink) connect(ctx context.Context) (wamp.Transport, error) {
	u.setState(Connecting)
	var t wamp.Transport
	var err error
	if u.cfg.Connect != nil {
		t, err = u.cfg.Connect(ctx)
	} else {
		t, err = device.DialTransport(ctx, u.cfg.URL, device.Config{Serializer: u.cfg.Serializer, TLS: u.cfg.TLS, Dialers: u.cfg.Dialers})
	}
	if err != nil {
		u.setState(BackingOff, "err", err)
		return nil, err
	}
	return t, nil
}

// onJoin notes the upstream's features and wakes the queue pump.
func (u *Uplink) onJoin(c *device.Client) {
	d := c.RouterDetails()
	u.upProgress.Store(wamp.HasFeature(d, wamp.RoleDealer, wamp.FeatureProgressiveCallResults))
	u.upTimeout.Store(wamp.HasFeature(d, wamp.RoleDealer, wamp.FeatureCallTimeout))
	u.setState(Joined, "realm", u.cfg.Realm, "session", c.ID(),
		"progressive_call_results", u.upProgress.Load(), "call_timeout", u.upTimeout.Load())
	select {
	case u.joinKick <- struct{}{}:
	default:
	}
}

func (u *Uplink) onLeave(err error) {
	if err != nil {
		u.setState(BackingOff, "reason", err)
	}
}

// Run bridges until ctx is done or the router shuts down (which ends the
// uplink's local session); it then leaves the upstream realm and returns
// the reason. Run may be called once.
func (u *Uplink) Run(ctx context.Context) error {
	if !u.running.CompareAndSwap(false, true) {
		return errors.New("uplink: Run called twice")
	}
	defer u.q.close()
	defer u.setState(Stopped)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The local session's outbound queue in the router holds a burst as
	// large as the store-and-forward queue (its journal may be slower than
	// the burst): nothing meant for the upstream is dropped while the
	// queue has room.
	link := newLocalLink(u.q, u.cfg.QueueFile != "", u.cfg.QueueSize+uplinkLocalEvents)
	t, err := u.r.ConnectPeerSink(ctx, peer.Config{
		QueueMessages: u.cfg.QueueSize + uplinkLocalEvents,
		QueueBytes:    max(peer.DefaultQueueBytes, (u.cfg.QueueSize+uplinkLocalEvents)*uplinkEventBytes),
	}, link)
	if err != nil {
		return fmt.Errorf("uplink: %w", err)
	}
	link.Transport = t
	// The hand-off (with a journal) moves events into the queue from now
	// on, whether or not the upstream is reachable yet; its last events are
	// queued before the queue closes.
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Add(1)
	go func() { defer wg.Done(); link.handOff(ctx) }()
	local, err := device.NewClient(ctx, link, device.Config{Realm: u.cfg.LocalRealm, Logger: u.log,
		EventQueue: uplinkLocalEvents})
	if err != nil {
		link.Close()
		return fmt.Errorf("uplink: local session: %w", err)
	}
	defer local.Close()
	kick, stopWatch, err := u.r.WatchRegistrations(u.cfg.LocalRealm)
	if err != nil {
		return err
	}
	defer stopWatch()
	if err := u.setupLocal(ctx, local, link); err != nil {
		return err
	}

	u.setState(Connecting)
	up, err := device.Dial(ctx, u.cfg.URL, u.upstreamConfig())
	if err != nil {
		return fmt.Errorf("uplink: %w", err)
	}
	u.up.Store(up)
	defer func() {
		lctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = up.Leave(lctx)
		cancel()
	}()
	if err := u.subscribeUpstream(ctx, local, up); err != nil {
		return err
	}

	wg.Add(2)
	go func() { defer wg.Done(); u.pump(ctx, up) }()
	go func() { defer wg.Done(); u.reconcile(ctx, local, up, kick) }()
	select {
	case <-ctx.Done():
		err = ctx.Err()
	case <-local.Done():
		err = fmt.Errorf("uplink: local session ended: %w", local.Err())
	}
	cancel()
	wg.Wait()
	return err
}

// subscribeUpstream makes the upstream subscriptions of the Subscribe rules.
func (u *Uplink) subscribeUpstream(ctx context.Context, local, up *device.Client) error {
	for i := range u.cfg.Subscribe {
		rule := &u.cfg.Subscribe[i]
		h := func(ev *device.Event) {
			lt, ok := rule.down(ev.Topic)
			if !ok {
				return
			}
			var o *device.PublishOptions
			if ppt := pptOptions(ev.Details); ppt != nil {
				o = &device.PublishOptions{Extra: ppt}
			}
			if err := local.Publish(ctx, lt, ev.Payload, o); err == nil {
				u.eventsDown.Add(1)
			}
		}
		if _, err := up.Subscribe(ctx, rule.Upstream, h, &device.SubscribeOptions{Match: rule.Match}); err != nil {
			return fmt.Errorf("uplink: %w", err)
		}
	}
	return nil
}

// setupLocal makes the local subscriptions of the Publish rules and
// registrations of the Import rules. Each subscription is routed by link as
// its SUBSCRIBED comes (localLink.expect), before any of its events: they
// go into the queue from link, in order; the device client's handler is
// there for the client's sake and sees none of them.
func (u *Uplink) setupLocal(ctx context.Context, local *device.Client, link *localLink) error {
	for i := range u.cfg.Publish {
		rule := &u.cfg.Publish[i]
		up := func(topic wamp.URI, p wamp.Payload, details wamp.Dict) (queuedEvent, bool) {
			ut, ok := rule.up(topic)
			return queuedEvent{topic: ut, p: p, ppt: pptOptions(details)}, ok
		}
		h := func(ev *device.Event) {
			if qe, ok := up(ev.Topic, ev.Payload, ev.Details); ok {
				u.q.push(qe)
			}
		}
		link.expect(func(ev *wamp.Event) (queuedEvent, bool) {
			topic := rule.Local // an exact subscription's; a pattern's names the topic
			if s, ok := wamp.OptString(ev.Details, "topic"); ok && s != "" {
				topic = wamp.URI(s)
			}
			return up(topic, ev.Payload, ev.Details)
		})
		_, err := local.Subscribe(ctx, rule.Local, h, &device.SubscribeOptions{Match: rule.Match})
		link.expect(nil) // routed as its SUBSCRIBED was read; nothing, if it failed
		if err != nil {
			return fmt.Errorf("uplink: subscribe %s locally: %w", rule.Local, err)
		}
	}
	for i := range u.cfg.Import {
		rule := &u.cfg.Import[i]
		if _, err := local.Register(ctx, rule.Local, u.importHandler(rule), &device.RegisterOptions{Match: rule.Match}); err != nil {
			return fmt.Errorf("uplink: register %s locally: %w", rule.Local, err)
		}
	}
	return nil
}

// wantsProgress reports whether the caller of inv asked for progressive
// results.
func wantsProgress(inv *device.Invocation) bool {
	b, _ := wamp.OptBool(inv.Details, "receive_progress")
	return b
}

// importHandler forwards a local call of an imported procedure upstream.
func (u *Uplink) importHandler(rule *Rule) device.Handler {
	return func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		proc, ok := rule.up(inv.Procedure)
		if !ok {
			return wamp.Payload{}, wamp.ErrNoSuchProcedure
		}
		up := u.up.Load()
		if up == nil {
			return wamp.Payload{}, wamp.NewError(wamp.ErrUnavailable.URI, "uplink not connected")
		}
		u.callsOut.Add(1)
		o := &device.CallOptions{Extra: pptOptions(inv.Details)}
		if wantsProgress(inv) && u.upProgress.Load() {
			o.Progress = func(p wamp.Payload) { _ = inv.Progress(ctx, p) }
		}
		if d := u.cfg.CallTimeout; d > 0 {
			if u.upTimeout.Load() {
				o.Timeout = d
			}
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d+d/10+50*time.Millisecond)
			defer cancel()
		}
		res, err := forwardCall(ctx, up, proc, inv, o)
		if errors.Is(err, device.ErrNotConnected) {
			return res, wamp.NewError(wamp.ErrUnavailable.URI, "uplink not connected")
		}
		return res, err
	}
}

// exportHandler forwards an upstream call of an exported procedure to the
// local callee.
func (u *Uplink) exportHandler(local *device.Client, rule *Rule) device.Handler {
	return func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		lp, ok := rule.down(inv.Procedure)
		if !ok {
			return wamp.Payload{}, wamp.ErrNoSuchProcedure
		}
		u.callsIn.Add(1)
		o := &device.CallOptions{Extra: pptOptions(inv.Details)}
		if wantsProgress(inv) {
			o.Progress = func(p wamp.Payload) { _ = inv.Progress(ctx, p) }
		}
		return forwardCall(ctx, local, lp, inv, o)
	}
}
