package minirouter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// Defaults applied to zero Config fields.
const (
	DefaultRealm              = "realm1"
	DefaultHelloTimeout       = 10 * time.Second
	DefaultMaxSessions        = 1024
	DefaultMaxPendingCalls    = 256
	DefaultMaxSubscriptions   = 1024
	DefaultMaxRegistrations   = 256
	DefaultInProcessMaxLength = 1 << 20
)

// Slow-consumer policies of a realm (RealmConfig.SlowConsumer).
const (
	// SlowConsumerDrop drops EVENTs to a session whose outbound queue is
	// full, counting them per session and in [Stats.EventsDropped].
	SlowConsumerDrop = "drop"
	// SlowConsumerDisconnect ends a session whose outbound queue is full
	// when an EVENT is due to it.
	SlowConsumerDisconnect = "disconnect"
)

// ErrRouterClosed is what [Router.Connect] returns, and what a session
// attached by [Router.Attach] ends with, after [Router.Shutdown] or
// [Router.Close].
var ErrRouterClosed = errors.New("minirouter: router closed")

// Config configures a Router. The zero value is a usable router with one
// realm, "realm1", open to anonymous sessions. New only reads it (and keeps
// a copy), so one Config may be shared.
type Config struct {
	// Realms are the realms sessions may join. Default: one realm named
	// "realm1" with the default policies.
	Realms []RealmConfig
	// Logger receives the router's logs (session ends, drops at a limited
	// rate, protocol violations). No line is logged per message at info
	// level. Default: logs are discarded.
	Logger *slog.Logger
	// HelloTimeout bounds the wait for HELLO once the transport is up; a
	// connection that sends nothing in time is closed. Default 10s.
	HelloTimeout time.Duration
	// IdleTimeout ends a joined session that sends no message for this long.
	// Default 0: no idle limit (quiet devices are normal; transports keep
	// their own keepalives).
	IdleTimeout time.Duration
	// MaxSessions is the most sessions joined at once; a HELLO beyond it is
	// answered with ABORT wamp.error.unavailable. Default 1024.
	MaxSessions int
	// MaxSubscriptions and MaxRegistrations bound one session's
	// subscriptions and registrations; one beyond is answered with ERROR
	// wamp.error.unavailable. Defaults 1024 and 256.
	MaxSubscriptions, MaxRegistrations int
	// MaxPendingCalls is the most calls one session may have pending as
	// caller; a CALL beyond it fails with ERROR wamp.error.unavailable.
	// Default 256.
	MaxPendingCalls int
	// Peer sets each session's outbound queue limits and write timeout.
	// Default: the peer.Config defaults (256 messages, 1 MiB, 10s).
	Peer peer.Config
	// InProcessMaxLength is the largest message, in bytes, carried by the
	// in-process connections of [Router.Connect]. Default 1 MiB.
	InProcessMaxLength int
	// AuthFailureBurst and AuthFailureInterval throttle failed
	// authentications per source address (the remote host): after
	// AuthFailureBurst failures, one more attempt per AuthFailureInterval;
	// beyond that a HELLO to a realm with users is answered ABORT
	// wamp.error.authentication_failed before any check, counted in
	// Stats.AuthThrottled. Defaults 10 and 1s. Loopback, Unix-socket and
	// in-process sources are not throttled unless LimitLocal is set (a
	// reverse proxy on the gateway makes every client look local).
	AuthFailureBurst    int
	AuthFailureInterval time.Duration
	LimitLocal          bool
	// Budgets bound the memory clients can make the router hold: URI
	// length, messages before authentication, testaments, and the memory
	// of all sessions and of those from one address. Default: see
	// [Budgets].
	Budgets Budgets
}

// RealmConfig configures one realm. The zero value (with a Name) is a realm
// open to anonymous sessions with the "drop" slow-consumer policy. It is
// plain data, only read by New.
type RealmConfig struct {
	// Name is the realm's URI; required.
	Name wamp.URI
	// SlowConsumer is what happens when an EVENT is due to a session whose
	// outbound queue is full: [SlowConsumerDrop] (the default: the EVENT is
	// dropped, counted per session and in total, and logged at a limited
	// rate) or [SlowConsumerDisconnect] (the session is ended with a logged
	// reason).
	SlowConsumer string
	// Users may authenticate with ticket, WAMP-CRA (plain or salted) or
	// cryptosign, each with the credentials its entry holds. Default: none,
	// and every session is anonymous.
	Users []User
	// AllowAnonymous lets sessions join without credentials (as
	// authrole "anonymous") even when Users is set. Default: anonymous
	// sessions are allowed only when Users is empty.
	AllowAnonymous bool
	// Permissions authorize what the realm's sessions may do, by authrole
	// (see [Permission]); a request no rule allows is answered with
	// wamp.error.not_authorized, counted in Stats.AuthorizationDenials and
	// logged. Default: none, and every session may do everything.
	Permissions []Permission
	// MaxSessions bounds the sessions joined to this realm at once; a HELLO
	// beyond it is answered with ABORT wamp.error.unavailable. Default 0:
	// only the router's Config.MaxSessions applies.
	MaxSessions int
	// PublishRate holds each session to this many PUBLISHes per second
	// (after a burst of PublishBurst, default PublishRate): the router
	// reads a faster publisher's messages more slowly, so nothing is
	// dropped and other sessions are unaffected; such waits are counted in
	// Stats.PublishesPaced. Default 0: no limit.
	PublishRate  float64
	PublishBurst int
	// MaxRetained bounds the topics with a retained event (PUBLISH
	// options.retain). Default 1024.
	MaxRetained int
	// MaxRetainedBytes bounds the retained events' payloads, measured
	// as MessagePack. An event beyond either bound is delivered but not
	// retained (counted in Stats.RetainRefused, logged). Default 1 MiB.
	MaxRetainedBytes int
	// History lists the topics whose events the broker keeps for
	// wamp.subscription.get_events (see [HistoryRule]). Default: none.
	History []HistoryRule
	// MaxHistoryBytes bounds the kept events (their MessagePack size);
	// beyond it the realm's oldest go first (counted in
	// HistoryStats.Evicted, logged). Default 1 MiB.
	MaxHistoryBytes int
	// HistoryFile, when set, keeps the history across restarts: it is
	// read at New and rewritten (atomically) at most once a second and
	// when the router stops. Default: memory only.
	HistoryFile string
}

// Router is a WAMP router: realms, each with a broker and a dealer, serving
// sessions over any wamp.Transport handed to [Router.Attach] (listeners live
// outside the router, in package listen) or made by [Router.Connect]. Its
// methods are safe for concurrent use.
type Router struct {
	cfg    Config
	log    *slog.Logger
	realms map[wamp.URI]*realm // read-only after New
	roles  wamp.Dict           // the roles WELCOME announces (routerRoles), read-only
	stats  counters

	// ctx is canceled by Shutdown and Close (see Done).
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // one per serving goroutine (tracked under mu)

	authThrottle *authThrottle
	budget       *ledger
	logs         throttledLog // limits the lines a flood repeats
	offload      offload      // log lines and closes found under realm.mu

	mu       sync.Mutex            // protects the following
	conns    map[*session]struct{} // connections served whose session has not joined (yet)
	ids      map[wamp.ID]*session  // joined sessions by ID
	stopping bool                  // Shutdown or Close was called: no new connections
}

// New checks cfg, applies the defaults and returns a Router. It returns an
// error for an invalid realm name, a duplicate realm or an unknown policy.
func New(cfg Config) (*Router, error) {
	if len(cfg.Realms) == 0 {
		cfg.Realms = []RealmConfig{{Name: DefaultRealm}}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HelloTimeout <= 0 {
		cfg.HelloTimeout = DefaultHelloTimeout
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.MaxPendingCalls <= 0 {
		cfg.MaxPendingCalls = DefaultMaxPendingCalls
	}
	if cfg.InProcessMaxLength <= 0 {
		cfg.InProcessMaxLength = DefaultInProcessMaxLength
	}
	if cfg.MaxSubscriptions <= 0 {
		cfg.MaxSubscriptions = DefaultMaxSubscriptions
	}
	if cfg.MaxRegistrations <= 0 {
		cfg.MaxRegistrations = DefaultMaxRegistrations
	}
	if cfg.AuthFailureBurst <= 0 {
		cfg.AuthFailureBurst = DefaultAuthFailureBurst
	}
	if cfg.AuthFailureInterval <= 0 {
		cfg.AuthFailureInterval = DefaultAuthFailureInterval
	}
	cfg.Budgets = cfg.Budgets.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Router{
		cfg:    cfg,
		log:    cfg.Logger,
		realms: make(map[wamp.URI]*realm, len(cfg.Realms)),
		roles:  routerRoles(),
		ctx:    ctx,
		cancel: cancel,
		conns:  make(map[*session]struct{}),
		ids:    make(map[wamp.ID]*session),

		authThrottle: newAuthThrottle(cfg.AuthFailureBurst, cfg.AuthFailureInterval),
		budget:       newLedger(cfg.Budgets),
	}
	for _, rc := range cfg.Realms {
		if !wamp.ValidURI(rc.Name, false, false) {
			cancel()
			return nil, fmt.Errorf("minirouter: invalid realm name %q", rc.Name)
		}
		if _, dup := r.realms[rc.Name]; dup {
			cancel()
			return nil, fmt.Errorf("minirouter: realm %q configured twice", rc.Name)
		}
		rl, err := newRealm(r, rc)
		if err != nil {
			cancel()
			return nil, err
		}
		r.realms[rc.Name] = rl
	}
	return r, nil
}

// Connect returns the client end of an in-process connection (MessagePack
// over a peer.Pipe) whose other end the router serves until the session
// ends or the router closes. The caller speaks WAMP on it, starting with
// HELLO (e.g. through device.NewClient or a peer.Conn). ctx only bounds the
// setup. Safe for concurrent use.
func (r *Router) Connect(ctx context.Context) (wamp.Transport, error) {
	return r.ConnectPeer(ctx, r.cfg.Peer)
}

// ConnectPeer is Connect with the session's own outbound queue limits and
// write timeout: each field of pc that is not zero replaces Config.Peer's.
// It serves an in-process session that must take a burst the default queue
// would drop (a gateway's uplink sizes it from its store-and-forward
// queue). Safe for concurrent use.
func (r *Router) ConnectPeer(ctx context.Context, pc peer.Config) (wamp.Transport, error) {
	return r.connectPeer(ctx, pc, nil)
}

// connectPeer is ConnectPeer, with the EVENTs of publications going to
// sink first when it is not nil (ConnectPeerSink).
func (r *Router) connectPeer(ctx context.Context, pc peer.Config, sink EventSink) (wamp.Transport, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("minirouter: connect: %w", err)
	}
	pc.QueueMessages = cmp.Or(pc.QueueMessages, r.cfg.Peer.QueueMessages)
	pc.QueueBytes = cmp.Or(pc.QueueBytes, r.cfg.Peer.QueueBytes)
	pc.WriteTimeout = cmp.Or(pc.WriteTimeout, r.cfg.Peer.WriteTimeout)
	a, b := peer.Pipe(wamp.MsgPack, r.cfg.InProcessMaxLength)
	if sink != nil {
		b = &sinkEnd{Transport: b, sink: sink}
	}
	s, ok := r.track(b, &pc)
	if !ok {
		a.Close()
		return nil, ErrRouterClosed
	}
	go r.serve(WithTransport(context.Background(), TransportInProcess), s, nil)
	return a, nil
}

// Attach runs one session over t, which must be past any transport
// handshake, in the background and returns at once: the router owns t from
// now on and closes it when the session ends (the client says GOODBYE,
// breaks the protocol, disconnects, ctx is done, or the router shuts down).
// ended, when not nil, is called once the session has ended and left the
// router, with nil after a clean GOODBYE and the reason otherwise
// ([ErrRouterClosed] when the router was already stopping); it runs on the
// session's goroutine, must not block, and Shutdown waits for it. A caller
// that must block until the end (an http.Handler) waits for ended.
//
// Attach keeps none of the caller's goroutines, so many mostly idle
// sessions are cheap: on a transport that is a [wamp.Parker] (RawSocket
// over TCP and Unix sockets, WebSocket) an idle session's reader lets go
// of its goroutine, and the session costs its state alone. Safe for
// concurrent use.
func (r *Router) Attach(ctx context.Context, t wamp.Transport, ended func(error)) {
	s, ok := r.track(t, &r.cfg.Peer)
	if !ok {
		t.Close()
		if ended != nil {
			ended(ErrRouterClosed)
		}
		return
	}
	go r.serve(ctx, s, ended)
}

// Done returns a channel closed when the router starts to stop
// ([Router.Shutdown] or [Router.Close]): a listener feeding [Router.Attach]
// stops accepting then. Safe for concurrent use.
func (r *Router) Done() <-chan struct{} { return r.ctx.Done() }

// track registers a new connection over t, as the session it will carry
// (the session and its connection are one allocation: an idle session's
// memory is mostly this object), and counts it in r.wg (released by serve
// at the end); it reports false when the router is stopping. The
// connection keeps pc (see peer.Init), which must not change.
func (r *Router) track(t wamp.Transport, pc *peer.Config) (*session, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopping {
		return nil, false
	}
	s := &session{r: r}
	peer.Init(&s.conn, t, pc)
	r.conns[s] = struct{}{}
	r.wg.Add(1)
	return s, true
}

// untrack forgets a session that has ended (joined sessions left r.conns
// when they joined, and r.ids in leave).
func (r *Router) untrack(s *session) {
	r.mu.Lock()
	delete(r.conns, s)
	r.mu.Unlock()
}

// Shutdown stops the router gracefully: it stops accepting connections,
// sends GOODBYE wamp.close.system_shutdown to every session, waits until
// they all end or ctx is done, and then closes whatever is left (as
// [Router.Close]). It returns ctx's error if it had to force the close.
// Safe for concurrent use; later calls only wait.
func (r *Router) Shutdown(ctx context.Context) error {
	pending, joined := r.stop()
	for _, s := range pending {
		s.conn.Close(ErrRouterClosed)
	}
	for _, s := range joined {
		s.shutdown()
	}
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		r.Close()
		<-done
		return fmt.Errorf("minirouter: shutdown: %w", ctx.Err())
	}
}

// Close stops accepting connections, closes every connection at once and
// waits for the serving goroutines to return. Safe for concurrent use and
// idempotent.
func (r *Router) Close() error {
	pending, joined := r.stop()
	for _, s := range append(pending, joined...) {
		s.conn.Close(ErrRouterClosed)
	}
	r.wg.Wait()
	return nil
}

// stop marks the router stopping, closes Done and returns a snapshot of
// the sessions not joined yet and of those joined.
func (r *Router) stop() (pending, joined []*session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopping = true
	r.cancel()
	pending = make([]*session, 0, len(r.conns))
	for s := range r.conns {
		pending = append(pending, s)
	}
	joined = make([]*session, 0, len(r.ids))
	for _, s := range r.ids {
		joined = append(joined, s)
	}
	return pending, joined
}

// SessionInfo describes one joined session, as listed by [Router.Sessions].
// It is a snapshot: plain data, safe to share.
type SessionInfo struct {
	ID            wamp.ID
	Realm         wamp.URI
	AuthID        string
	AuthRole      string
	AuthMethod    string
	RemoteAddr    string
	EventsDropped uint64 // EVENTs dropped because its queue was full
	// Transport is the kind of transport it came over, as its listener
	// named it with [WithTransport] ("rs", "ws", "serial"...), or
	// [TransportInProcess]; "" when not named.
	Transport string
	// Since is when it joined.
	Since time.Time
	// MessagesIn and MessagesOut count the messages its connection
	// received and sent (the joining handshake included).
	MessagesIn, MessagesOut uint64
	// Topics are the first [MaxTopicsListed] distinct topics it published
	// to (publications the broker accepted), in that order;
	// OtherTopicPublications counts its publications to other topics.
	Topics                 []string
	OtherTopicPublications uint64
}

// Sessions lists the sessions joined now, in no particular order. Safe for
// concurrent use.
func (r *Router) Sessions() []SessionInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]SessionInfo, 0, len(r.ids))
	for _, s := range r.ids {
		out = append(out, s.info())
	}
	return out
}
