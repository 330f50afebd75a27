package listen

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/edgewamp/edgewamp/internal/netsource"
	"github.com/edgewamp/edgewamp/internal/sockio"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/serialtransport"
	"github.com/edgewamp/edgewamp/wstransport"
)

// DefaultMaxConnsPerSource is the default of Config.MaxConnsPerSource.
const DefaultMaxConnsPerSource = 64

// DefaultMaxPendingHandshakes is the default of Config.MaxPendingHandshakes.
const DefaultMaxPendingHandshakes = rawsocket.DefaultMaxPendingHandshakes

// Kinds of listener, as [Listener.Kind] reports them.
const (
	KindRawSocket = "rawsocket" // rs://, tcp://, rss://, unix://
	KindWebSocket = "websocket" // ws://, wss://
	KindUni       = "unisocket" // uni://: RawSocket and WebSocket on one port
	KindSerial    = "serial"    // serial://: one device session at a time
)

// Config configures a Listener. The zero value means the documented
// defaults; Open only reads it.
type Config struct {
	// Cert and Key are the PEM certificate and key files of rss:// and
	// wss:// (required there, refused elsewhere).
	Cert, Key string
	// ClientCA is a PEM file of the CAs client certificates are verified
	// against (rss:// and wss:// only): a certificate is asked for and,
	// when given, must verify. Default: none asked for.
	ClientCA string
	// RawSocket configures the server side of the RawSocket handshake:
	// serializers offered, the largest message accepted, the handshake
	// timeout (TLS included), keepalive PINGs. Default: the rawsocket
	// package's defaults (JSON and MessagePack, 1 MiB, 10s, no keepalive).
	RawSocket rawsocket.ServerConfig
	// WebSocket configures the WebSocket upgrades: serializers, largest
	// message, allowed origins, handshake timeout (which bounds the HTTP
	// request too). Default: the wstransport package's defaults.
	WebSocket wstransport.ServerConfig
	// MaxPendingHandshakes bounds the connections of the listener whose
	// handshakes are not done (TLS, RawSocket, the HTTP request and the
	// WebSocket upgrade, uni://'s first octet). A newcomer is never refused
	// for it: the oldest pending connection of the address holding the most
	// is closed to make room, so a flood of connections that never finish
	// costs only the addresses it comes from. Default 64.
	MaxPendingHandshakes int
	// MaxPendingPerSource bounds the pending connections from one address
	// (for a Unix socket, the peer process: its uid and pid); a newcomer
	// beyond closes the oldest of its address. Loopback and Unix-socket
	// clients are bounded only with LimitLocal. Default
	// MaxPendingHandshakes/4 (16), at least 1.
	MaxPendingPerSource int
	// MaxConnections bounds the open RawSocket connections; one beyond is
	// answered with handshake error code 4. Default 0: unlimited.
	MaxConnections int
	// MaxConnsPerSource bounds the connections open at once from one
	// source address (for a Unix socket, the peer process), so one host
	// cannot take every place: a RawSocket
	// client beyond gets handshake error code 4, a WebSocket client HTTP
	// 503. Loopback and Unix-socket clients are not counted unless
	// LimitLocal is set. Default 64.
	MaxConnsPerSource int
	// LimitLocal counts loopback and Unix-socket clients per source too
	// (behind a reverse proxy on the gateway every client is local).
	LimitLocal bool
	// Logger receives the serial line's reopening messages and, once per
	// origin, the refused browser origins (at warn). Default: none.
	Logger *slog.Logger
}

// Listener is one open listener of a router: it accepts connections, runs
// their transport handshakes under the limits of its Config and attaches
// each session to a [minirouter.Router]. Safe for concurrent use.
type Listener struct {
	url       string
	kind      string
	path      string       // WebSocket path (websocket, unisocket)
	tls       bool         // rss://, wss://
	serialDev string       // the serial device's name (serial)
	nl        net.Listener // nil for serial
	cfg       Config
	log       *slog.Logger
	ctx       context.Context // canceled by Close: stops the serial line's reopening
	cancel    context.CancelFunc

	counters  counters
	endedFn   func(error)        // l.ended, made once
	wsSources netsource.Counter  // WebSocket: requests in progress per client address
	pending   *netsource.Pending // connections whose handshakes are not done; nil for serial
	wsConfig  wstransport.ServerConfig
	origins   originLog // refused browser origins, logged once each

	mu     sync.Mutex                // protects the following
	serial *serialtransport.Listener // the open serial line; nil while reopened
	rl     *rawsocket.Listener       // RawSocket: set by Serve
	srv    *http.Server              // WebSocket: set by Serve
	closed bool
}

// Open opens the listener a URL names:
//
//	rs://host:port, tcp://host:port  RawSocket over TCP
//	rss://host:port                  RawSocket over TLS (Cert, Key)
//	unix:///path                     RawSocket over a Unix socket (a stale socket file is replaced)
//	ws://host:port/path              WebSocket (path default /ws)
//	wss://host:port/path             WebSocket over TLS (Cert, Key)
//	uni://host:port/path             RawSocket and WebSocket on one port (first octet 0x7F = RawSocket)
//	serial:///dev/ttyATH0?baud=250000  a serial link (serialtransport): one device session at a time
func Open(rawURL string, cfg Config) (*Listener, error) {
	t, err := parse(rawURL, cfg)
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case KindSerial:
		sl, err := serialtransport.Listen(rawURL, serialtransport.Config{})
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", rawURL, err)
		}
		l := newListener(rawURL, KindSerial, nil, cfg)
		l.serial, l.serialDev = sl, sl.Name()
		return l, nil
	case "unix":
		if err := removeStaleSocket(t.addr); err != nil {
			return nil, err
		}
		nl, err := net.Listen("unix", t.addr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rawURL, err)
		}
		return newListener(rawURL, KindRawSocket, rawsocket.FDListener(nl), cfg), nil
	}
	nl, err := net.Listen("tcp", t.addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rawURL, err)
	}
	if t.kind == KindRawSocket && t.tls == nil {
		nl = rawsocket.FDListener(nl) // idle sockets never in Go's poller
	} else {
		nl = sockio.WrapListener(nl) // raw reads and writes, under TLS too
	}
	l := newListener(rawURL, t.kind, nl, cfg)
	if t.tls != nil { // over the pending bounds: they cover the TLS handshake
		l.nl = tls.NewListener(l.nl, t.tls)
	}
	l.path, l.tls = t.path, t.tls != nil
	return l, nil
}

// Check reports what would stop [Open] from opening the listener rawURL
// names with cfg, short of opening it: a malformed URL, an unknown scheme, a
// missing port or path, TLS files that do not load. A port in use or a
// serial device not there is left to Open (it may be free by then).
func Check(rawURL string, cfg Config) error {
	t, err := parse(rawURL, cfg)
	if err != nil {
		return err
	}
	if t.kind == KindSerial {
		if _, _, _, err := serialtransport.ParseURL(rawURL, serialtransport.Config{}); err != nil {
			return fmt.Errorf("listen URL %q: %w", rawURL, err)
		}
	}
	return nil
}

// Schemes lists the URL schemes Open accepts, for help texts.
const Schemes = "rs://host:port, tcp://host:port, rss://host:port, unix:///path, ws://host:port/path, " +
	"wss://host:port/path, uni://host:port/path, serial:///dev/tty?baud=N"

// target is what a listener URL names.
type target struct {
	kind string      // a Kind, or "unix" for a RawSocket Unix socket
	addr string      // host:port, or the socket's path
	path string      // WebSocket path
	tls  *tls.Config // rss://, wss://
}

// parse reads a listener URL and loads its TLS files.
func parse(rawURL string, cfg Config) (target, error) {
	var t target
	u, err := url.Parse(rawURL)
	if err != nil {
		return t, fmt.Errorf("listen URL %q: %w", rawURL, err)
	}
	switch u.Scheme {
	case "rs", "tcp", "rss":
		t.kind = KindRawSocket
	case "ws", "wss", "uni":
		t.kind, t.path = KindWebSocket, cmp.Or(u.Path, "/ws")
		if u.Scheme == "uni" {
			t.kind = KindUni
		}
	case "serial":
		t.kind = KindSerial
		return t, nil
	case "unix":
		if u.Host != "" || u.Path == "" {
			return t, fmt.Errorf("listen URL %q: want unix:///absolute/path", rawURL)
		}
		t.kind, t.addr = "unix", u.Path
		return t, nil
	default:
		return t, fmt.Errorf("listen URL %q: unsupported scheme %q (want rs, tcp, rss, unix, ws, wss, uni or serial)", rawURL, u.Scheme)
	}
	if u.Host == "" || u.Port() == "" {
		return t, fmt.Errorf("listen URL %q: want %s://host:port", rawURL, u.Scheme)
	}
	t.addr = u.Host
	if u.Scheme == "rss" || u.Scheme == "wss" {
		if t.tls, err = serverTLS(cfg); err != nil {
			return t, fmt.Errorf("listen URL %q: %w", rawURL, err)
		}
	} else if cfg.ClientCA != "" {
		return t, fmt.Errorf("listen URL %q: client_ca needs an rss:// or wss:// listener", rawURL)
	}
	return t, nil
}

// errShed refuses a WebSocket upgrade whose connection the pending bounds
// closed (or are closing) just before it.
var errShed = errors.New("listen: connection closed by the pending-handshake bounds before its upgrade")

func newListener(rawURL, kind string, nl net.Listener, cfg Config) *Listener {
	cfg.MaxConnsPerSource = cmp.Or(cfg.MaxConnsPerSource, DefaultMaxConnsPerSource)
	ctx, cancel := context.WithCancel(context.Background())
	l := &Listener{url: rawURL, kind: kind, nl: nl, cfg: cfg, log: cfg.Logger, ctx: ctx, cancel: cancel,
		wsSources: netsource.Counter{Max: cfg.MaxConnsPerSource, LimitLocal: cfg.LimitLocal}}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if nl != nil {
		maxPending := cmp.Or(cfg.MaxPendingHandshakes, DefaultMaxPendingHandshakes)
		l.pending = &netsource.Pending{Max: maxPending, LimitLocal: cfg.LimitLocal, Timeout: l.handshakeTimeout(),
			MaxPerSource: cmp.Or(cfg.MaxPendingPerSource, max(1, maxPending/4))}
		l.nl = l.pending.Listener(nl)
	}
	l.endedFn = l.ended
	l.wsConfig = cfg.WebSocket
	own := cfg.WebSocket.Upgrading
	l.wsConfig.Upgrading = func(r *http.Request) error {
		// A session from now on, no longer pending; unless the pending
		// bounds are closing the connection already.
		if nc, ok := r.Context().Value(connKey{}).(net.Conn); ok && !netsource.Done(nc) {
			return errShed
		}
		if own != nil {
			return own(r)
		}
		return nil
	}
	if own := cfg.WebSocket.OriginRefused; own != nil {
		l.wsConfig.OriginRefused = func(origin string) { own(origin); l.originRefused(origin) }
	} else {
		l.wsConfig.OriginRefused = l.originRefused
	}
	return l
}

// handshakeTimeout is the deadline of a connection's handshakes, from
// accept: the RawSocket or the WebSocket handshake timeout, the longer of
// them on uni://.
func (l *Listener) handshakeTimeout() time.Duration {
	rs := cmp.Or(l.cfg.RawSocket.HandshakeTimeout, rawsocket.DefaultHandshakeTimeout)
	ws := cmp.Or(l.cfg.WebSocket.HandshakeTimeout, wstransport.DefaultHandshakeTimeout)
	switch l.kind {
	case KindRawSocket:
		return rs
	case KindWebSocket:
		return ws
	}
	return max(rs, ws)
}

// serverTLS loads the certificate, key and client CAs of cfg.
func serverTLS(cfg Config) (*tls.Config, error) {
	if cfg.Cert == "" || cfg.Key == "" {
		return nil, errors.New("TLS needs a certificate and a key file (-tls-cert, -tls-key)")
	}
	cert, err := tls.LoadX509KeyPair(cfg.Cert, cfg.Key)
	if err != nil {
		return nil, err
	}
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.ClientCA != "" {
		pem, err := os.ReadFile(cfg.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("client_ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client_ca %s: no PEM certificate", cfg.ClientCA)
		}
		// A certificate is asked for and, when given, must verify; a
		// client without one may still use another authmethod.
		conf.ClientCAs, conf.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return conf, nil
}

// removeStaleSocket removes a socket file left by an earlier run; a live
// socket or any other file is an error.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("listen %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return nil // net.Listen reports the clash
	}
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return fmt.Errorf("listen %s: another process is serving this socket", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("listen %s: remove stale socket: %w", path, err)
	}
	return nil
}

// URL returns the URL the listener was opened with.
func (l *Listener) URL() string { return l.url }

// Kind returns the listener's kind: [KindRawSocket], [KindWebSocket],
// [KindUni] or [KindSerial].
func (l *Listener) Kind() string { return l.kind }

// Addr describes where the listener listens: its network address, or the
// serial device's name.
func (l *Listener) Addr() string {
	if l.kind == KindSerial {
		return l.serialDev
	}
	return l.nl.Addr().String()
}

// Serve accepts connections and attaches each session to r until the
// listener is closed, fails, or r starts to stop (then it closes the
// listener and returns [minirouter.ErrRouterClosed]). It returns an error
// wrapping net.ErrClosed after Close, and the accept error when the
// listener fails otherwise. Call it once.
func (l *Listener) Serve(r *minirouter.Router) error {
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-r.Done():
			l.shut()
		case <-stop:
		}
	}()
	var err error
	switch l.kind {
	case KindSerial:
		err = l.serveSerial(r)
	case KindRawSocket:
		err = l.serveRaw(r, l.nl)
	case KindWebSocket:
		err = l.serveWebOnly(r)
	case KindUni:
		err = l.serveUni(r)
	}
	select {
	case <-r.Done():
		return minirouter.ErrRouterClosed
	default:
	}
	return err
}

// serveUni serves RawSocket and WebSocket on one port; it returns the first
// half's error, having closed the other.
func (l *Listener) serveUni(r *minirouter.Router) error {
	raw, web := Split(l.nl, l.handshakeTimeout())
	errc := make(chan error, 2)
	go func() { errc <- l.serveRaw(r, raw) }()
	go func() { errc <- l.serveWeb(r, web) }()
	err := <-errc
	raw.Close()
	l.shut()
	<-errc
	return err
}

// started records, with set, a server Serve started, so that shut stops
// it; it returns an error wrapping net.ErrClosed when the listener is
// closed already.
func (l *Listener) started(set func()) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("listen: %w", net.ErrClosed)
	}
	set()
	return nil
}

// shut stops accepting: it closes the net listener, the RawSocket listener
// and the HTTP server, and the serial line. Sessions go on.
func (l *Listener) shut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.nl != nil {
		l.nl.Close()
	}
	if l.rl != nil {
		l.rl.Close()
	}
	if l.srv != nil {
		l.srv.Close()
	}
	if l.serial != nil {
		l.serial.Close()
	}
}

// Close stops accepting; a Serve in progress returns. The sessions already
// attached are the router's: they end with it ([minirouter.Router.Shutdown]
// or Close), or when their client goes. Idempotent.
func (l *Listener) Close() error {
	l.shut()
	l.cancel()
	return nil
}

// Serve accepts RawSocket connections on nl and attaches each session to r,
// as [Listener.Serve] does, under cfg's limits. Sessions are not ended when
// nl closes. It returns [minirouter.ErrRouterClosed] once r starts to stop
// (having closed nl), and the accept error otherwise (for example when the
// caller closes nl).
func Serve(r *minirouter.Router, nl net.Listener, cfg Config) error {
	return newListener(nl.Addr().String(), KindRawSocket, nl, cfg).Serve(r)
}
