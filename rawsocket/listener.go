package rawsocket

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/edgewamp/edgewamp/internal/netsource"
)

// Listener defaults.
const (
	DefaultMaxPendingHandshakes = 64
	// maxRefusing bounds the goroutines answering refused connections
	// with error code 4; beyond it they are closed without an answer.
	maxRefusing = 16
	// refuseTimeout bounds answering a refused connection.
	refuseTimeout = 2 * time.Second
)

// ListenConfig configures a Listener. The zero value means the documented
// defaults.
type ListenConfig struct {
	// ServerConfig applies to every accepted connection.
	ServerConfig
	// TLS, when not nil, serves TLS with this config, which must hold a
	// certificate (Certificates or GetCertificate).
	TLS *TLSConfig
	// MaxConnections bounds the open connections: handshaking, waiting for
	// Accept, or accepted and not yet closed. A client over it gets handshake
	// error code 4. Default 0: unlimited.
	MaxConnections int
	// MaxPendingHandshakes bounds the connections handshaking (TLS
	// included). A newcomer is never refused for it: the oldest handshake
	// of the source holding the most is closed to make room, so that a
	// flood of handshakes that never finish costs only its own sources.
	// Default 64.
	MaxPendingHandshakes int
	// MaxPendingPerSource bounds the handshakes from one source address
	// (for a Unix socket, the peer process): a newcomer beyond it closes
	// the oldest of its source. Loopback and Unix-socket clients are
	// bounded only with LimitLocalSources. Default MaxPendingHandshakes/4
	// (16), at least 1.
	MaxPendingPerSource int
	// MaxConnectionsPerSource bounds the open connections from one source
	// address (the remote host; for a Unix socket, the peer process as its
	// credentials name it on Linux), so that one host cannot take every place
	// of the bounds above. A client over it gets error code 4. Loopback and
	// Unix-socket clients are not counted unless LimitLocalSources is set
	// (a reverse proxy makes every client local). Default 0: unlimited.
	MaxConnectionsPerSource int
	LimitLocalSources       bool
}

// ListenerStats are a Listener's counters.
type ListenerStats struct {
	Accepted         uint64 // connections handed out by Accept
	Refused          uint64 // connections refused with error code 4
	RefusedSource    uint64 // of those, refused for MaxConnectionsPerSource
	HandshakeFailed  uint64 // handshakes that failed or were refused otherwise
	Evicted          uint64 // of the failed, handshakes closed to make room for newer ones
	AcceptErrors     uint64 // temporary accept errors retried
	OpenConnections  int64  // connections open now
	PendingHandshake int64  // connections handshaking or waiting for Accept now
}

// Listener accepts RawSocket connections. Handshakes run concurrently, each
// under the handshake timeout, so a slow or silent client never holds up
// the others; Accept returns connections whose handshake succeeded. Safe
// for concurrent use.
type Listener struct {
	nl     net.Listener
	cfg    ListenConfig
	ready  chan *Conn
	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	refuse chan struct{} // semaphore of refusing goroutines

	open, pending                           atomic.Int64
	accepted, refused, failed, acceptErrors atomic.Uint64
	refusedSource                           atomic.Uint64

	uncountFn   func()             // l.uncount, made once: an uncounted source's Conn.onClose
	sources     netsource.Counter  // open connections per source address
	handshaking *netsource.Pending // handshakes in progress, but those admitted by a netsource listener already

	errOnce sync.Once
	errc    chan struct{} // closed when the accept loop ends
	err     error         // why the accept loop ended (set before errc closes)
}

// Listen listens on network ("tcp", "tcp4", "tcp6" or "unix") and address
// and starts accepting RawSocket connections (without TLS, through
// FDListener).
func Listen(network, address string, cfg ListenConfig) (*Listener, error) {
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
	default:
		return nil, fmt.Errorf("rawsocket: listen %s %s: unsupported network", network, address)
	}
	if cfg.TLS != nil {
		if err := checkListenTLS(cfg.TLS); err != nil {
			return nil, fmt.Errorf("rawsocket: listen %s: %w", address, err)
		}
	}
	nl, err := net.Listen(network, address)
	if err != nil {
		return nil, fmt.Errorf("rawsocket: listen: %w", err)
	}
	if cfg.TLS == nil {
		nl = FDListener(nl)
	}
	return NewListener(nl, cfg), nil
}

// NewListener serves RawSocket on nl, which it owns from now on (Close
// closes it).
func NewListener(nl net.Listener, cfg ListenConfig) *Listener {
	if cfg.MaxPendingHandshakes <= 0 {
		cfg.MaxPendingHandshakes = DefaultMaxPendingHandshakes
	}
	if cfg.MaxPendingPerSource <= 0 {
		cfg.MaxPendingPerSource = max(1, cfg.MaxPendingHandshakes/4)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Listener{
		nl:     nl,
		cfg:    cfg,
		ready:  make(chan *Conn),
		ctx:    ctx,
		cancel: cancel,
		refuse: make(chan struct{}, maxRefusing),
		errc:   make(chan struct{}),

		sources: netsource.Counter{Max: cfg.MaxConnectionsPerSource, LimitLocal: cfg.LimitLocalSources},
		handshaking: &netsource.Pending{Max: cfg.MaxPendingHandshakes, MaxPerSource: cfg.MaxPendingPerSource,
			LimitLocal: cfg.LimitLocalSources},
	}
	l.uncountFn = l.uncount
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

// uncount counts a connection closed, or failed, whose source is not
// counted.
func (l *Listener) uncount() { l.open.Add(-1) }

// Addr returns the listening address.
func (l *Listener) Addr() net.Addr { return l.nl.Addr() }

// Stats returns the listener's counters.
func (l *Listener) Stats() ListenerStats {
	return ListenerStats{
		Accepted:         l.accepted.Load(),
		Refused:          l.refused.Load(),
		RefusedSource:    l.refusedSource.Load(),
		HandshakeFailed:  l.failed.Load(),
		Evicted:          l.handshaking.Evicted(),
		AcceptErrors:     l.acceptErrors.Load(),
		OpenConnections:  l.open.Load(),
		PendingHandshake: l.pending.Load(),
	}
}

// Accept waits for the next connection whose handshake succeeded. After
// Close, or when listening failed for good, it returns an error (wrapping
// net.ErrClosed after Close).
func (l *Listener) Accept() (*Conn, error) {
	select {
	case c := <-l.ready:
		l.accepted.Add(1)
		return c, nil
	case <-l.errc:
		// Prefer a connection that is ready over the error.
		select {
		case c := <-l.ready:
			l.accepted.Add(1)
			return c, nil
		default:
		}
		return nil, l.err
	}
}

// Close stops listening, closes connections not yet returned by Accept and
// waits for the listener's goroutines to end (handshakes in progress are
// aborted). Connections already returned by Accept stay open. Close is
// idempotent.
func (l *Listener) Close() error {
	l.cancel()
	err := l.nl.Close()
	l.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// stop ends the accept loop with err.
func (l *Listener) stop(err error) {
	l.errOnce.Do(func() {
		l.err = err
		close(l.errc)
	})
}

// acceptLoop accepts connections and starts their handshakes.
func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	var backoff time.Duration
	for {
		nc, err := l.nl.Accept()
		if err != nil {
			if l.ctx.Err() != nil {
				l.stop(fmt.Errorf("rawsocket: accept: %w", net.ErrClosed))
				return
			}
			if !temporary(err) {
				l.stop(fmt.Errorf("rawsocket: accept: %w", err))
				return
			}
			l.acceptErrors.Add(1)
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(backoff):
			case <-l.ctx.Done():
			}
			continue
		}
		backoff = 0
		if open := l.open.Add(1); l.cfg.MaxConnections > 0 && open > int64(l.cfg.MaxConnections) {
			l.open.Add(-1)
			l.refused.Add(1)
			l.refuseConn(nc)
			continue
		}
		from := netsource.Of(nc)
		src, ok := l.sources.TakeSource(from)
		if !ok {
			l.open.Add(-1)
			l.refused.Add(1)
			l.refusedSource.Add(1)
			l.refuseConn(nc)
			continue
		}
		l.pending.Add(1)
		handshakeDone := func() bool { return netsource.Done(nc) }
		if !netsource.Admitted(nc) {
			handshakeDone = l.handshaking.Admit(from, func() { nc.Close() }).Done
		}
		l.wg.Add(1)
		release := l.uncountFn
		if src != "" {
			release = func() { l.uncountFn(); l.sources.Release(src) }
		}
		go l.handshake(nc, handshakeDone, release)
	}
}

// refuseConn answers nc with error code 4 on a goroutine of its own, or
// just closes it when too many are being refused already.
func (l *Listener) refuseConn(nc net.Conn) {
	select {
	case l.refuse <- struct{}{}:
	default:
		nc.Close()
		return
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer func() { <-l.refuse }()
		stop := context.AfterFunc(l.ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
		defer stop()
		if l.cfg.TLS != nil {
			nc = serverTLS(nc, l.cfg.TLS)
		}
		refuse(nc, CodeConnectionLimit, refuseTimeout)
	}()
}

// handshake runs the TLS and RawSocket handshakes on nc and hands the
// connection to Accept; handshakeDone ends its pending time (and its
// eviction), release uncounts the connection once it is closed (or
// failed).
func (l *Listener) handshake(nc net.Conn, handshakeDone func() bool, release func()) {
	defer l.wg.Done()
	defer l.pending.Add(-1)
	defer handshakeDone() // (again: it is idempotent) on failure
	if l.cfg.TLS != nil {
		tc := serverTLS(nc, l.cfg.TLS)
		ctx, cancel := context.WithTimeout(l.ctx, handshakeTimeout(l.cfg.HandshakeTimeout))
		err := serverTLSHandshake(ctx, tc)
		cancel()
		if err != nil {
			tc.Close()
			l.failed.Add(1)
			release()
			return
		}
		nc = tc
	}
	// Done before the reply: a client told its handshake succeeded is not
	// then closed to make room.
	c, err := serve(l.ctx, nc, &l.cfg.ServerConfig, handshakeDone, release)
	if err != nil {
		l.failed.Add(1)
		release()
		return
	}
	select {
	case l.ready <- c:
	case <-l.ctx.Done():
		c.Close()
	}
}

// temporary reports whether an accept error is worth retrying.
func temporary(err error) bool {
	var te interface{ Temporary() bool }
	if errors.As(err, &te) && te.Temporary() {
		return true
	}
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) ||
		errors.Is(err, syscall.ECONNABORTED)
}
