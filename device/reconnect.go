package device

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// Defaults applied by [ReconnectConfig] to its zero fields.
const (
	DefaultMinBackoff   = 500 * time.Millisecond
	DefaultMaxBackoff   = 30 * time.Second
	DefaultOfflineQueue = 1000
)

// ReconnectConfig configures a [Reconnector]. The zero value of each field
// means the default stated in its comment; URL or Connect must be set.
// NewReconnector copies it.
type ReconnectConfig struct {
	// URL is dialled with [Dial] on every (re)connection, unless Connect is set.
	URL string
	// Connect, when set, replaces Dial(URL): it returns a fresh transport
	// (for in-process routers and tests).
	Connect func(ctx context.Context) (wamp.Transport, error)
	// Client configures each session (realm, auth, queues, logger, ...).
	Client Config

	// MinBackoff is the base of the exponential backoff between connection
	// attempts: attempt n waits a uniformly random time in
	// [0, min(MaxBackoff, MinBackoff·2ⁿ)] ("full jitter"). n counts failed
	// attempts and sessions that ended within MaxBackoff of their join; it
	// goes back to 0 after a session that lasted longer. Default 500ms.
	MinBackoff time.Duration
	// MaxBackoff caps the backoff. Default 30s.
	MaxBackoff time.Duration

	// OfflineQueue is how many publications Publish keeps while no session
	// is joined; when full, the oldest is dropped and counted. They are sent
	// in order after the next join. Default 1000.
	OfflineQueue int

	// CallWaitsForJoin makes Call wait (until its ctx is done) for a session
	// while offline, instead of failing at once with ErrNotConnected.
	CallWaitsForJoin bool

	// OnJoin is called on the Run goroutine after each join, once the
	// declared registrations and subscriptions are applied and the offline
	// queue is flushed. It must not block for long.
	OnJoin func(c *Client)
	// OnLeave is called on the Run goroutine when a joined session ends,
	// with the reason (nil when Run's ctx ended it).
	OnLeave func(err error)
}

// ReconnectStats are a Reconnector's counters, read with [Reconnector.Stats].
type ReconnectStats struct {
	Joins       uint64 // sessions joined
	Reconnects  uint64 // sessions lost (each followed by reconnection attempts)
	DialErrors  uint64 // failed connection or join attempts
	Queued      int    // publications waiting in the offline queue now
	Dropped     uint64 // publications dropped from a full offline queue
	ApplyErrors uint64 // declared registrations/subscriptions the router refused
}

// Reconnector keeps a client joined: [Reconnector.Run] dials, joins and, when
// the session is lost, reconnects with exponential backoff and full jitter.
// Registrations and subscriptions are declared once and (re)applied after
// every join; publications made while offline wait in a bounded FIFO. All
// methods are safe for concurrent use.
type Reconnector struct {
	cfg  ReconnectConfig
	log  Logger
	kick chan struct{} // 1 slot: new declarations to apply

	joins, reconnects, dialErrors, dropped, applyErrors atomic.Uint64

	mu       sync.Mutex // protects following
	running  bool
	cur      *Client
	joined   chan struct{} // closed while cur != nil
	flushing bool          // cur is set but the offline queue is not empty yet
	decls    []*decl
	queue    []queuedPub
}

// decl is a declared registration (h != nil) or subscription (eh != nil).
type decl struct {
	uri  wamp.URI
	h    Handler
	ro   *RegisterOptions
	eh   EventHandler
	so   *SubscribeOptions
	kind string // "register" or "subscribe"

	// Reconnector.mu protects following.
	on      *Client // the session it is applied to, or nil
	reg     *Registration
	sub     *Subscription
	removed bool // withdrawn by Unregister/Unsubscribe
}

type queuedPub struct {
	topic wamp.URI
	p     wamp.Payload
	o     *PublishOptions
}

// NewReconnector returns a Reconnector for cfg; call Run to connect.
func NewReconnector(cfg ReconnectConfig) *Reconnector {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	if cfg.OfflineQueue <= 0 {
		cfg.OfflineQueue = DefaultOfflineQueue
	}
	cfg.Client = cfg.Client.withDefaults()
	return &Reconnector{
		cfg:    cfg,
		log:    cfg.Client.Logger,
		kick:   make(chan struct{}, 1),
		joined: make(chan struct{}),
	}
}

// Current returns the joined client, or nil while offline.
func (r *Reconnector) Current() *Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// Stats returns a snapshot of the counters.
func (r *Reconnector) Stats() ReconnectStats {
	r.mu.Lock()
	q := len(r.queue)
	r.mu.Unlock()
	return ReconnectStats{
		Joins:       r.joins.Load(),
		Reconnects:  r.reconnects.Load(),
		DialErrors:  r.dialErrors.Load(),
		Queued:      q,
		Dropped:     r.dropped.Load(),
		ApplyErrors: r.applyErrors.Load(),
	}
}

// Register declares procedure proc: it is registered with h on the current
// session (if any, by the Run goroutine, without waiting here) and again
// after every join. Failures are logged and counted in Stats.ApplyErrors and
// retried with backoff. Declaring the same procedure twice is an error.
func (r *Reconnector) Register(proc wamp.URI, h Handler, o *RegisterOptions) error {
	if h == nil {
		return fmt.Errorf("device: register %s: nil handler", proc)
	}
	return r.declare(&decl{uri: proc, h: h, ro: o, kind: "register"})
}

// Subscribe declares a subscription to topic: it is made on the current
// session (if any, without waiting here) and again after every join.
// Declaring the same topic twice is an error.
func (r *Reconnector) Subscribe(topic wamp.URI, h EventHandler, o *SubscribeOptions) error {
	if h == nil {
		return fmt.Errorf("device: subscribe %s: nil handler", topic)
	}
	return r.declare(&decl{uri: topic, eh: h, so: o, kind: "subscribe"})
}

func (r *Reconnector) declare(d *decl) error {
	r.mu.Lock()
	for _, o := range r.decls {
		if o.kind == d.kind && o.uri == d.uri {
			r.mu.Unlock()
			return fmt.Errorf("device: %s %s: already declared", d.kind, d.uri)
		}
	}
	r.decls = append(r.decls, d)
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
	return nil
}

// Publish publishes on the current session or, while offline (or while the
// offline queue is still being flushed, to keep the order), appends the
// publication to the offline queue, dropping the oldest when it is full. An
// acknowledged publish (o.Acknowledge) is never queued: offline it fails
// with ErrNotConnected.
func (r *Reconnector) Publish(ctx context.Context, topic wamp.URI, p wamp.Payload, o *PublishOptions) error {
	r.mu.Lock()
	c := r.cur
	if c != nil && !r.flushing {
		r.mu.Unlock()
		err := c.Publish(ctx, topic, p, o)
		if err == nil || !errors.Is(err, ErrSessionClosed) {
			return err
		}
		r.mu.Lock() // the session just ended: queue it
	}
	defer r.mu.Unlock()
	if o != nil && o.Acknowledge {
		return fmt.Errorf("device: publish %s: %w", topic, ErrNotConnected)
	}
	if len(r.queue) >= r.cfg.OfflineQueue {
		r.queue = r.queue[1:]
		n := r.dropped.Add(1)
		if n == 1 || n%100 == 0 {
			r.log.Warn("device: offline queue full, oldest publication dropped", "dropped", n)
		}
	}
	r.queue = append(r.queue, queuedPub{topic: topic, p: p, o: o})
	return nil
}

// Call calls proc on the current session. While offline it fails at once
// with ErrNotConnected, or with CallWaitsForJoin waits for the next join
// until ctx is done. A call is never retried on another session: if the
// session ends during the call, the error wraps ErrSessionClosed.
func (r *Reconnector) Call(ctx context.Context, proc wamp.URI, p wamp.Payload, o *CallOptions) (wamp.Payload, error) {
	for {
		r.mu.Lock()
		c, joined := r.cur, r.joined
		r.mu.Unlock()
		if c != nil {
			return c.Call(ctx, proc, p, o)
		}
		if !r.cfg.CallWaitsForJoin {
			return wamp.Payload{}, fmt.Errorf("device: call %s: %w", proc, ErrNotConnected)
		}
		select {
		case <-joined:
		case <-ctx.Done():
			return wamp.Payload{}, fmt.Errorf("device: call %s: waiting for a session: %w", proc, ctx.Err())
		}
	}
}

// Run connects and keeps a session joined until ctx is done; it then leaves
// the realm (waiting at most a second for the router) and returns ctx.Err().
// It returns an error at once when neither URL nor Connect is set or when
// Run is already running.
func (r *Reconnector) Run(ctx context.Context) error {
	if r.cfg.URL == "" && r.cfg.Connect == nil {
		return errors.New("device: reconnector: neither URL nor Connect is set")
	}
	r.mu.Lock()
	if r.running {
		r.mu.Unlock()
		return errors.New("device: reconnector: Run is already running")
	}
	r.running = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.running = false
		r.mu.Unlock()
	}()

	attempt := 0
	for {
		c, err := r.connect(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.dialErrors.Add(1)
			d := r.backoff(attempt)
			attempt++
			r.log.Warn("device: connecting failed", "error", err, "retry_in", d)
			if !sleep(ctx, d) {
				return ctx.Err()
			}
			continue
		}
		r.joins.Add(1)
		joinedAt := time.Now()
		r.serve(ctx, c)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.reconnects.Add(1)
		// A session that lasted a while resets the backoff; one that ended
		// quickly (a router that accepts and then drops us) keeps it growing,
		// so that a flapping link does not turn into a reconnection storm.
		if time.Since(joinedAt) >= r.cfg.MaxBackoff {
			attempt = 0
		}
		d := r.backoff(attempt)
		attempt++
		if !sleep(ctx, d) {
			return ctx.Err()
		}
	}
}

// connect dials and joins once.
func (r *Reconnector) connect(ctx context.Context) (*Client, error) {
	if r.cfg.Connect == nil {
		return Dial(ctx, r.cfg.URL, r.cfg.Client)
	}
	t, err := r.cfg.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return NewClient(ctx, t, r.cfg.Client)
}

// serve runs one joined session until it ends or ctx is done.
func (r *Reconnector) serve(ctx context.Context, c *Client) {
	r.mu.Lock()
	r.cur = c
	r.flushing = true
	close(r.joined)
	r.mu.Unlock()

	var retry <-chan time.Time
	failures := 0
	apply := func() {
		if r.apply(ctx, c) {
			failures = 0
			retry = nil
			return
		}
		retry = time.After(r.backoff(failures))
		failures++
	}
	apply()
	if ctx.Err() == nil {
		r.flush(ctx, c)
	}
	if r.cfg.OnJoin != nil && ctx.Err() == nil {
		r.cfg.OnJoin(c)
	}
	var reason error
loop:
	for {
		select {
		case <-c.Done():
			reason = c.Err()
			break loop
		case <-ctx.Done():
			break loop
		case <-r.kick:
			apply()
		case <-retry:
			apply()
		}
	}
	r.mu.Lock()
	r.cur = nil
	r.flushing = false
	r.joined = make(chan struct{})
	r.mu.Unlock()
	if ctx.Err() != nil {
		lctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = c.Leave(lctx)
		cancel()
	} else {
		r.log.Warn("device: session lost, reconnecting", "reason", reason)
	}
	if r.cfg.OnLeave != nil {
		r.cfg.OnLeave(reason)
	}
}

// apply registers and subscribes the declarations not yet applied to c. It
// reports false when some failed and should be retried.
func (r *Reconnector) apply(ctx context.Context, c *Client) bool {
	r.mu.Lock()
	var todo []*decl
	for _, d := range r.decls {
		if d.on != c {
			todo = append(todo, d)
		}
	}
	r.mu.Unlock()
	ok := true
	for _, d := range todo {
		actx, cancel := context.WithTimeout(ctx, r.cfg.Client.JoinTimeout)
		var (
			reg *Registration
			sub *Subscription
			err error
		)
		if d.h != nil {
			reg, err = c.Register(actx, d.uri, d.h, d.ro)
		} else {
			sub, err = c.Subscribe(actx, d.uri, d.eh, d.so)
		}
		cancel()
		if err != nil {
			if errors.Is(err, ErrSessionClosed) || ctx.Err() != nil {
				return true // the loop notices the end
			}
			r.applyErrors.Add(1)
			r.log.Warn("device: applying declaration failed", "op", d.kind, "uri", string(d.uri), "error", err)
			ok = false
			continue
		}
		r.mu.Lock()
		removed := d.removed
		if !removed {
			d.on, d.reg, d.sub = c, reg, sub
		}
		r.mu.Unlock()
		if removed { // withdrawn meanwhile: undo
			uctx, cancel := context.WithTimeout(ctx, r.cfg.Client.JoinTimeout)
			if reg != nil {
				_ = c.Unregister(uctx, reg)
			} else {
				_ = c.Unsubscribe(uctx, sub)
			}
			cancel()
		}
	}
	return ok
}

// Unregister withdraws the declared registration of proc: it is no longer
// registered after joins, and is unregistered from the current session
// (waiting for the router until ctx is done). Unknown procedures are ignored.
func (r *Reconnector) Unregister(ctx context.Context, proc wamp.URI) error {
	return r.withdraw(ctx, "register", proc)
}

// Unsubscribe withdraws the declared subscription to topic, like
// [Reconnector.Unregister].
func (r *Reconnector) Unsubscribe(ctx context.Context, topic wamp.URI) error {
	return r.withdraw(ctx, "subscribe", topic)
}

func (r *Reconnector) withdraw(ctx context.Context, kind string, uri wamp.URI) error {
	r.mu.Lock()
	var d *decl
	for i, o := range r.decls {
		if o.kind == kind && o.uri == uri {
			d = o
			r.decls = append(r.decls[:i:i], r.decls[i+1:]...)
			break
		}
	}
	if d == nil {
		r.mu.Unlock()
		return nil
	}
	d.removed = true
	on, reg, sub := d.on, d.reg, d.sub
	cur := r.cur
	r.mu.Unlock()
	if on == nil || on != cur {
		return nil
	}
	if reg != nil {
		return on.Unregister(ctx, reg)
	}
	return on.Unsubscribe(ctx, sub)
}

// flush sends the offline queue in order on c, then lets Publish go direct.
func (r *Reconnector) flush(ctx context.Context, c *Client) {
	for {
		r.mu.Lock()
		if r.cur != c {
			r.mu.Unlock()
			return
		}
		if len(r.queue) == 0 {
			r.flushing = false
			r.queue = nil // release the backing array
			r.mu.Unlock()
			return
		}
		q := r.queue[0]
		r.queue = r.queue[1:]
		r.mu.Unlock()
		if err := c.Publish(ctx, q.topic, q.p, q.o); err != nil {
			if errors.Is(err, ErrSessionClosed) || ctx.Err() != nil {
				r.mu.Lock()
				r.queue = append([]queuedPub{q}, r.queue...) // keep it for the next session
				r.mu.Unlock()
				return
			}
			r.dropped.Add(1)
			r.log.Warn("device: queued publication failed", "topic", string(q.topic), "error", err)
		}
	}
}

// backoff returns the wait before attempt n: full jitter over an exponential
// ceiling.
func (r *Reconnector) backoff(n int) time.Duration {
	ceil := r.cfg.MaxBackoff
	if n < 32 {
		if d := r.cfg.MinBackoff << n; d > 0 && d < ceil {
			ceil = d
		}
	}
	return rand.N(ceil + 1)
}

// sleep waits d or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
