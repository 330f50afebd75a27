package main

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
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/internal/netsource"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/serialtransport"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// listenSpec is one listener as configured: a URL and, for rss:// and
// wss://, the TLS certificate and key files.
type listenSpec struct {
	URL            string   `json:"url"`
	Cert           string   `json:"cert,omitempty"`
	Key            string   `json:"key,omitempty"`
	ClientCA       string   `json:"client_ca,omitempty"`        // PEM CAs that client certificates are verified against
	MaxMessageSize int      `json:"max_message_size,omitempty"` // overrides limits.max_message_size for this listener
	AllowedOrigins []string `json:"allowed_origins,omitempty"`
}

// Listener kinds.
const (
	kindRawSocket = "rawsocket"
	kindWebSocket = "websocket"
	kindUni       = "unisocket"
	kindSerial    = "serial"
)

// gwListener is an open listener and how to serve it.
type gwListener struct {
	spec listenSpec
	kind string
	path string // WebSocket path (websocket, unisocket)
	l    net.Listener
	log  *slog.Logger
	// serial is the open line of a serial listener; nil while it is being
	// reopened (mu protects it then).
	mu     sync.Mutex
	serial *serialtransport.Listener
	// rawCfg and wsCfg are the server configs of its RawSocket and
	// WebSocket connections (limits); counters count what happens on it.
	rawCfg               rawsocket.ServerConfig
	maxPending, maxConns int  // RawSocket: handshakes at once, connections open (0: defaults)
	maxPerSource         int  // RawSocket: connections open per client address (0: default 64)
	limitLocal           bool // count loopback and Unix-socket clients per source too
	wsCfg                wstransport.ServerConfig
	counters             listenerCounters
	rl                   *rawsocket.Listener // RawSocket: set by serve (mu)
	wsSources            netsource.Counter   // WebSocket: requests in progress per client address (set by run)
	wsRefusedSource      atomic.Uint64       // WebSocket: upgrades refused for maxPerSource
}

// listen opens the listener a URL names:
//
//	rs://host:port, tcp://host:port  RawSocket over TCP
//	rss://host:port                  RawSocket over TLS (cert, key)
//	unix:///path                     RawSocket over a Unix socket (a stale socket file is replaced)
//	ws://host:port/path              WebSocket (path default /ws)
//	wss://host:port/path             WebSocket over TLS (cert, key)
//	uni://host:port/path             RawSocket and WebSocket on one port (first octet 0x7F = RawSocket)
//	serial:///dev/ttyATH0?baud=250000  the serial link (serialtransport): one device session at a time
func listen(spec listenSpec) (*gwListener, error) {
	raw := spec.URL
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("listen URL %q: %w", raw, err)
	}
	g := &gwListener{spec: spec}
	if spec.MaxMessageSize != 0 && (spec.MaxMessageSize < minMessageSize || spec.MaxMessageSize > maxMessageSize) {
		return nil, fmt.Errorf("listen URL %q: max_message_size %d: want %d to %d bytes", raw, spec.MaxMessageSize, minMessageSize, maxMessageSize)
	}
	var tlsConf *tls.Config
	switch u.Scheme {
	case "rs", "tcp", "rss":
		g.kind = kindRawSocket
	case "ws", "wss", "uni":
		g.kind = kindWebSocket
		if u.Scheme == "uni" {
			g.kind = kindUni
		}
		g.path = u.Path
		if g.path == "" {
			g.path = "/ws"
		}
	case "serial":
		sl, err := serialtransport.Listen(raw, serialtransport.Config{})
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", raw, err)
		}
		g.kind, g.serial = kindSerial, sl
		return g, nil
	case "unix":
		path := u.Path
		if u.Host != "" || path == "" {
			return nil, fmt.Errorf("listen URL %q: want unix:///absolute/path", raw)
		}
		if err := removeStaleSocket(path); err != nil {
			return nil, err
		}
		l, err := net.Listen("unix", path)
		if err != nil {
			return nil, err
		}
		g.kind, g.l = kindRawSocket, l
		return g, nil
	default:
		return nil, fmt.Errorf("listen URL %q: unsupported scheme %q (want rs, rss, unix, ws, wss, uni or serial)", raw, u.Scheme)
	}
	if u.Host == "" || u.Port() == "" {
		return nil, fmt.Errorf("listen URL %q: want %s://host:port", raw, u.Scheme)
	}
	if u.Scheme == "rss" || u.Scheme == "wss" {
		if spec.Cert == "" || spec.Key == "" {
			return nil, fmt.Errorf("listen URL %q: TLS needs a certificate and a key file (-tls-cert, -tls-key)", raw)
		}
		cert, err := tls.LoadX509KeyPair(spec.Cert, spec.Key)
		if err != nil {
			return nil, fmt.Errorf("listen URL %q: %w", raw, err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if spec.ClientCA != "" {
			pem, err := os.ReadFile(spec.ClientCA)
			if err != nil {
				return nil, fmt.Errorf("listen URL %q: client_ca: %w", raw, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("listen URL %q: client_ca %s: no PEM certificate", raw, spec.ClientCA)
			}
			// A certificate is asked for and, when given, must verify; a
			// client without one may still use another authmethod.
			tlsConf.ClientCAs, tlsConf.ClientAuth = pool, tls.VerifyClientCertIfGiven
		}
	} else if spec.ClientCA != "" {
		return nil, fmt.Errorf("listen URL %q: client_ca needs an rss:// or wss:// listener", raw)
	}
	l, err := net.Listen("tcp", u.Host)
	if err != nil {
		return nil, err
	}
	if tlsConf != nil {
		l = tls.NewListener(l, tlsConf)
	}
	g.l = l
	return g, nil
}

// addr describes where the listener listens.
func (g *gwListener) addr() string {
	if g.kind == kindSerial {
		return g.serial.Name()
	}
	return g.l.Addr().String()
}

// close closes a listener that was opened but never served.
func (g *gwListener) close() {
	if g.kind == kindSerial {
		g.serial.Close()
		return
	}
	g.l.Close()
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

// serve runs the listener for r until it is closed; it reports a serving
// error (not the one caused by stop) on errc. It returns a function that
// stops the listener and waits for its goroutines.
func (g *gwListener) serve(r *minirouter.Router, errc chan<- error) (stop func()) {
	var wg sync.WaitGroup
	report := func(err error) {
		if err != nil && !errors.Is(err, minirouter.ErrRouterClosed) && !errors.Is(err, http.ErrServerClosed) &&
			!errors.Is(err, net.ErrClosed) {
			select {
			case errc <- fmt.Errorf("serve %s: %w", g.spec.URL, err):
			default:
			}
		}
	}
	if g.kind == kindSerial {
		return g.serveSerial(r)
	}
	var srv *http.Server
	rawL, webL := g.l, g.l
	if g.kind == kindUni {
		rawL, webL = minirouter.SplitListener(g.l, 0)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if g.kind == kindRawSocket || g.kind == kindUni {
		wg.Add(1)
		go func() { defer wg.Done(); report(g.serveRaw(ctx, r, rawL, &wg)) }()
	}
	if g.kind == kindWebSocket || g.kind == kindUni {
		mux := http.NewServeMux()
		mux.Handle(g.path, g.wsHandler(ctx, r))
		srv = wstransport.NewServer("", mux)
		if g.wsCfg.HandshakeTimeout > 0 { // limits.handshake_timeout bounds the HTTP request too
			srv.ReadHeaderTimeout = g.wsCfg.HandshakeTimeout
		}
		wg.Add(1)
		go func() { defer wg.Done(); report(srv.Serve(webL)) }()
	}
	return func() {
		if srv != nil {
			srv.Close()
		}
		rawL.Close()
		webL.Close()
		cancel()
		wg.Wait()
	}
}

// serveRaw serves RawSocket on l until it is closed, through a
// rawsocket.Listener (handshakes concurrent, each under
// rawCfg.HandshakeTimeout, at most maxPending at once, at most maxConns
// connections open; a client beyond either gets handshake error code 4),
// each session attached to r and counted in wg.
func (g *gwListener) serveRaw(ctx context.Context, r *minirouter.Router, l net.Listener, wg *sync.WaitGroup) error {
	rl := rawsocket.NewListener(l, rawsocket.ListenConfig{ServerConfig: g.rawCfg,
		MaxPendingHandshakes: g.maxPending, MaxConnections: g.maxConns,
		MaxConnectionsPerSource: cmp.Or(g.maxPerSource, minirouter.DefaultMaxConnsPerSource), LimitLocalSources: g.limitLocal})
	defer rl.Close()
	g.mu.Lock()
	g.rl = rl
	g.mu.Unlock()
	for {
		c, err := rl.Accept()
		if err != nil {
			return err
		}
		g.counters.active.Add(1)
		wg.Add(1)
		// Attach, not a goroutine per session: an idle session then holds
		// no goroutine at all (see minirouter.Router.Attach).
		r.Attach(ctx, c, func(err error) {
			g.counters.active.Add(-1)
			g.counters.sessionEnded(err)
			wg.Done()
		})
	}
}

// statsDict is the listener's entry in the stats procedure's result.
func (g *gwListener) statsDict() wamp.Dict {
	d := g.counters.dict()
	d["url"], d["kind"] = g.spec.URL, g.kind
	g.mu.Lock()
	rl := g.rl
	g.mu.Unlock()
	if g.kind == kindWebSocket || g.kind == kindUni {
		d["refused_per_source"] = g.wsRefusedSource.Load()
	}
	if rl != nil { // RawSocket: the handshakes are the rawsocket.Listener's
		st := rl.Stats()
		d["connections"] = c64(d["connections"]) + st.Accepted + st.Refused + st.HandshakeFailed
		d["handshake_failures"] = c64(d["handshake_failures"]) + st.HandshakeFailed + st.Refused
		d["refused"] = st.Refused
		d["refused_per_source"] = st.RefusedSource + g.wsRefusedSource.Load() // uni: both halves
		d["pending_handshakes"] = st.PendingHandshake
	}
	return d
}

// c64 reads a counter of listenerCounters.dict.
func c64(v any) uint64 { n, _ := v.(uint64); return n }

// wsHandler serves WebSocket upgrades to r, counting them: a request that
// the WebSocket handler returns from without having served a session (it
// serves one before returning) was refused.
func (g *gwListener) wsHandler(ctx context.Context, r *minirouter.Router) http.Handler {
	cfg := g.wsCfg
	cfg.AllowedOrigins = g.spec.AllowedOrigins
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		g.counters.connections.Add(1)
		src, ok := g.wsSources.Take(req.RemoteAddr)
		if !ok {
			g.counters.handshakeFailures.Add(1)
			g.wsRefusedSource.Add(1)
			w.Header().Set("Connection", "close")
			http.Error(w, "too many connections from this address", http.StatusServiceUnavailable)
			return
		}
		defer g.wsSources.Release(src)
		served := false
		h := wstransport.Handler(cfg, func(t wamp.Transport) {
			served = true
			g.counters.active.Add(1)
			defer g.counters.active.Add(-1)
			g.counters.sessionEnded(r.ServeTransport(ctx, t))
		})
		h.ServeHTTP(w, req)
		if !served {
			g.counters.handshakeFailures.Add(1)
		}
	})
}

// Reopening a serial line that failed (a USB adapter unplugged, say) waits
// from serialRetryMin, doubling up to serialRetryMax.
const (
	serialRetryMin = time.Second
	serialRetryMax = 30 * time.Second
)

// serveSerial serves the device sessions of a serial line, one link at a
// time: a device that restarts and handshakes again ends its old session
// (its registrations and subscriptions go) and starts a new one. When the
// line itself fails it is reopened with backoff; sensorbridge keeps running.
func (g *gwListener) serveSerial(r *minirouter.Router) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	log := g.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		retry := serialRetryMin
		for ctx.Err() == nil {
			g.mu.Lock()
			sl := g.serial
			g.mu.Unlock()
			if sl == nil {
				reopened, err := serialtransport.Listen(g.spec.URL, serialtransport.Config{})
				if err != nil {
					log.Warn("serial line still unavailable", "url", g.spec.URL, "err", err, "retry_in", retry)
					select {
					case <-ctx.Done():
					case <-time.After(retry):
					}
					retry = min(2*retry, serialRetryMax)
					continue
				}
				log.Info("serial line reopened", "url", g.spec.URL)
				g.mu.Lock()
				g.serial, sl = reopened, reopened
				g.mu.Unlock()
			}
			c, err := sl.Accept(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				log.Warn("serial line failed; reopening", "url", g.spec.URL, "err", err, "stats", sl.Stats())
				sl.Close()
				g.mu.Lock()
				g.serial = nil
				g.mu.Unlock()
				continue
			}
			retry = serialRetryMin
			wg.Add(1)
			go func() {
				defer wg.Done()
				g.counters.connections.Add(1)
				g.counters.active.Add(1)
				err := r.ServeTransport(ctx, c)
				g.counters.active.Add(-1)
				g.counters.sessionEnded(err)
				log.Info("serial session ended", "url", g.spec.URL, "err", err)
			}()
		}
	}()
	return func() {
		cancel()
		g.mu.Lock()
		if g.serial != nil {
			g.serial.Close()
		}
		g.mu.Unlock()
		wg.Wait()
	}
}
