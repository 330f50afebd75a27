package device

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// Reconnect is the reconnection section of [Config]. Its zero value leaves
// reconnection off; with Enabled, each zero field means the default stated
// in its comment.
type Reconnect struct {
	// Enabled turns reconnection on (see [Client] and [Dial]). Default off.
	Enabled bool

	// Connect, when set, opens each connection instead of dialling the URL
	// given to Dial, which then only names the router in logs (in-process
	// routers, tests).
	Connect func(ctx context.Context) (wamp.Transport, error)

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

	// OnJoin is called after each join, once the registrations and
	// subscriptions are made again and the offline queue is sent. It runs
	// on the goroutine that reconnects, so it must not block for long.
	OnJoin func(c *Client)
	// OnLeave is called when a joined session ends, with the reason (nil
	// when Close or Leave ended it), on the same goroutine as OnJoin.
	OnLeave func(err error)
}

// declaration is a registration or subscription as a reconnecting client
// makes it on every session: exactly one of reg and sub is set.
type declaration struct {
	reg *Registration
	sub *Subscription
	// Client.mu protects following.
	on      *session  // the session it is made on, or nil
	removed bool      // withdrawn by Unregister/Unsubscribe
	failed  string    // the last error applying it, logged once at warn
	_       [0]func() // not comparable: no equality function to link
}

// apply makes d on s, waiting for the router.
func (d *declaration) apply(ctx context.Context, s *session) error {
	if d.reg != nil {
		return s.Register(ctx, d.reg)
	}
	return s.Subscribe(ctx, d.sub)
}

// undo withdraws d from s, waiting for the router.
func (d *declaration) undo(ctx context.Context, s *session) error {
	if d.reg != nil {
		return s.Unregister(ctx, d.reg)
	}
	return s.Unsubscribe(ctx, d.sub)
}

// describe returns the operation and URI, for errors and logs.
func (d *declaration) describe() (op string, uri wamp.URI) {
	if d.reg != nil {
		return "register", d.reg.Procedure
	}
	return "subscribe", d.sub.Topic
}

type queuedPub struct {
	topic wamp.URI
	p     wamp.Payload
	o     *PublishOptions
}

// dialReconnecting returns a client with reconnection on (cfg has its
// defaults applied) that opens its connections with cfg.Reconnect.Connect
// or else by dialling rawURL, and starts its run goroutine.
func dialReconnecting(rawURL string, cfg Config) (*Client, error) {
	dial := cfg.Reconnect.Connect
	if dial == nil {
		if _, _, err := dialerFor(rawURL, cfg); err != nil {
			return nil, err
		}
		if tlsResumption { // a constant: the board builds link nothing of this
			cfg.TLS = resumeTLS(rawURL, cfg.TLS) // reconnections resume the TLS session
		}
		dial = func(ctx context.Context) (wamp.Transport, error) { return DialTransport(ctx, rawURL, cfg) }
	}
	ctx, stop := context.WithCancel(context.Background())
	c := &Client{
		cfg:    cfg,
		log:    cfg.Logger,
		url:    rawURL,
		dial:   dial,
		stop:   stop,
		kick:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		joined: make(chan struct{}),
	}
	go c.run(ctx)
	return c, nil
}

// end records why the client ends and stops its run goroutine. It returns
// the joined session, if any, and false when the client had already ended.
func (c *Client) end(reason error) (*session, bool) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return nil, false
	}
	c.err = fmt.Errorf("%w: %w", ErrSessionClosed, reason)
	s := c.cur.Load()
	c.mu.Unlock()
	c.stop()
	return s, true
}

// session returns the joined session for a call, waiting for one with
// Reconnect.CallWaitsForJoin.
func (c *Client) session(ctx context.Context) (*session, error) {
	for {
		c.mu.Lock()
		s, joined, err := c.cur.Load(), c.joined, c.err
		c.mu.Unlock()
		if s != nil || err != nil {
			return s, err
		}
		if !c.cfg.Reconnect.CallWaitsForJoin {
			return nil, ErrNotConnected
		}
		select {
		case <-joined:
		case <-c.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// publishOrQueue publishes on the joined session or queues the publication.
func (c *Client) publishOrQueue(ctx context.Context, topic wamp.URI, p wamp.Payload, o *PublishOptions) error {
	c.mu.Lock()
	s := c.cur.Load()
	if s != nil && !c.flushing {
		c.mu.Unlock()
		err := s.Publish(ctx, topic, p, o)
		if err == nil || !errors.Is(err, ErrSessionClosed) {
			return err
		}
		c.mu.Lock() // the session just ended: queue it
	}
	err := c.err
	switch {
	case err != nil:
	case o != nil && o.Acknowledge:
		err = ErrNotConnected
	default:
		if len(c.queue) >= c.cfg.Reconnect.OfflineQueue {
			c.queue = c.queue[1:]
			n := c.stats.offlineDropped.Add(1)
			if n == 1 || n%100 == 0 {
				c.log.Warn("device: offline queue full, oldest publication dropped", "dropped", n)
			}
		}
		c.queue = append(c.queue, queuedPub{topic: topic, p: p, o: o})
	}
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("device: publish %s: %w", topic, err)
	}
	return nil
}

// errRegistered is declare's error for a procedure the client registers
// already.
var errRegistered = fmt.Errorf("already registered by this client: %w", wamp.ErrProcedureAlreadyExists)

// declare makes a registration or subscription: without reconnection on
// the session, waiting for the router; with it, d joins the declarations
// and the run goroutine makes it on the joined session, if any.
func (c *Client) declare(ctx context.Context, d *declaration) error {
	if c.dial == nil {
		return d.apply(ctx, c.cur.Load())
	}
	op, uri := d.describe()
	c.mu.Lock()
	err := c.err
	for _, o := range c.decls {
		if oop, ouri := o.describe(); err == nil && op == "register" && oop == op && ouri == uri {
			err = errRegistered
		}
	}
	if err == nil {
		c.decls = append(c.decls, d)
	}
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("device: %s %s: %w", op, uri, err)
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
	return nil
}

// applyOne makes d on s unless it is made there already or was withdrawn.
// Only the run goroutine calls it.
func (c *Client) applyOne(ctx context.Context, s *session, d *declaration) error {
	c.mu.Lock()
	if d.removed || d.on == s {
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	err := d.apply(ctx, s)
	if err != nil {
		return err
	}
	c.mu.Lock()
	removed := d.removed
	if !removed {
		d.on, d.failed = s, ""
	}
	c.mu.Unlock()
	if removed { // withdrawn meanwhile: undo
		uctx, cancel := context.WithTimeout(ctx, c.cfg.JoinTimeout)
		_ = d.undo(uctx, s)
		cancel()
	}
	return nil
}

// forget removes d from the declarations and returns the session it is
// made on (nil if none, or if it was not declared).
func (c *Client) forget(d *declaration) *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, o := range c.decls {
		if o == d {
			c.decls = append(c.decls[:i:i], c.decls[i+1:]...)
			d.removed = true
			return d.on
		}
	}
	return nil
}

// withdraw undoes a registration or subscription made by declare, waiting
// for the router until ctx is done; with reconnection it is not made again.
func (c *Client) withdraw(ctx context.Context, d *declaration) error {
	if c.dial == nil {
		return d.undo(ctx, c.cur.Load())
	}
	on := c.forget(d)
	if on == nil || on != c.cur.Load() {
		return nil
	}
	return d.undo(ctx, on)
}

// run connects and keeps a session joined until the client ends.
func (c *Client) run(ctx context.Context) {
	attempt := 0
	for ctx.Err() == nil {
		var d time.Duration
		if s, err := c.connect(ctx); err != nil {
			if ctx.Err() != nil {
				break
			}
			c.stats.dialErrors.Add(1)
			d = c.backoff(attempt)
			c.log.Warn("device: connecting failed", "router", c.url, "error", err, "retry_in", d)
		} else {
			c.stats.joins.Add(1)
			joinedAt := time.Now()
			if !c.serve(ctx, s) {
				break
			}
			c.stats.reconnects.Add(1)
			// A session that lasted a while resets the backoff; one that
			// ended quickly (a router that accepts and then drops us) keeps
			// it growing, so that a flapping link does not turn into a
			// reconnection storm.
			if time.Since(joinedAt) >= c.cfg.Reconnect.MaxBackoff {
				attempt = 0
			}
			d = c.backoff(attempt)
		}
		attempt++
		sleep(ctx, d)
	}
	close(c.done)
}

// connect opens a connection and joins once.
func (c *Client) connect(ctx context.Context) (*session, error) {
	t, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	return joinSession(ctx, t, c.cfg, &c.stats)
}

// serve runs one joined session until it ends (true) or the client ends
// (false).
func (c *Client) serve(ctx context.Context, s *session) bool {
	c.mu.Lock()
	if c.err != nil { // ended while joining
		c.mu.Unlock()
		s.Close()
		return false
	}
	c.cur.Store(s)
	c.flushing = true
	close(c.joined)
	c.mu.Unlock()

	var retry <-chan time.Time
	failures := 0
	apply := func() {
		if c.apply(ctx, s) {
			failures = 0
			retry = nil
			return
		}
		retry = time.After(c.backoff(failures))
		failures++
	}
	apply()
	if ctx.Err() == nil {
		c.flush(ctx, s)
	}
	if c.cfg.Reconnect.OnJoin != nil && ctx.Err() == nil {
		c.cfg.Reconnect.OnJoin(c)
	}
	var reason error
loop:
	for {
		select {
		case <-s.Done():
			reason = s.Err()
			break loop
		case <-ctx.Done():
			break loop
		case <-c.kick:
			apply()
		case <-retry:
			apply()
		}
	}
	c.mu.Lock()
	c.cur.Store(nil)
	c.flushing = false
	c.joined = make(chan struct{})
	c.mu.Unlock()
	if ctx.Err() == nil {
		c.log.Warn("device: session lost, reconnecting", "router", c.url, "reason", reason)
	}
	if c.cfg.Reconnect.OnLeave != nil {
		c.cfg.Reconnect.OnLeave(reason)
	}
	return ctx.Err() == nil
}

// apply makes the declarations not yet made on s. It reports false when
// some failed and should be retried.
func (c *Client) apply(ctx context.Context, s *session) bool {
	c.mu.Lock()
	var todo []*declaration
	for _, d := range c.decls {
		if d.on != s {
			todo = append(todo, d)
		}
	}
	c.mu.Unlock()
	ok := true
	for _, d := range todo {
		actx, cancel := context.WithTimeout(ctx, c.cfg.JoinTimeout)
		err := c.applyOne(actx, s, d)
		cancel()
		if err == nil {
			continue
		}
		if errors.Is(err, ErrSessionClosed) || ctx.Err() != nil {
			return true // the serve loop notices the end
		}
		c.stats.applyErrors.Add(1)
		op, uri := d.describe()
		// A refusal (procedure_already_exists) repeats at each retry: one
		// warning, then debug lines until the error changes.
		c.mu.Lock()
		repeat := d.failed == err.Error()
		d.failed = err.Error()
		c.mu.Unlock()
		log := c.log.Warn
		if repeat {
			log = c.log.Debug
		}
		log("device: applying declaration failed, retrying with backoff", "op", op, "uri", string(uri), "error", err)
		ok = false
	}
	return ok
}

// flush sends the offline queue in order on s, then lets Publish go direct.
func (c *Client) flush(ctx context.Context, s *session) {
	for {
		c.mu.Lock()
		if c.cur.Load() != s {
			c.mu.Unlock()
			return
		}
		if len(c.queue) == 0 {
			c.flushing = false
			c.queue = nil // release the backing array
			c.mu.Unlock()
			return
		}
		q := c.queue[0]
		c.queue = c.queue[1:]
		c.mu.Unlock()
		if err := s.Publish(ctx, q.topic, q.p, q.o); err != nil {
			if errors.Is(err, ErrSessionClosed) || ctx.Err() != nil {
				c.mu.Lock()
				c.queue = append([]queuedPub{q}, c.queue...) // keep it for the next session
				c.mu.Unlock()
				return
			}
			c.stats.offlineDropped.Add(1)
			c.log.Warn("device: queued publication failed", "topic", string(q.topic), "error", err)
		}
	}
}

// backoff returns the wait before attempt n: full jitter over an exponential
// ceiling.
func (c *Client) backoff(n int) time.Duration {
	r := &c.cfg.Reconnect
	ceil := r.MaxBackoff
	if n < 32 {
		if d := r.MinBackoff << n; d > 0 && d < ceil {
			ceil = d
		}
	}
	return rand.N(ceil + 1)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
	}
}
