package wstransport

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/net/websocket"

	"github.com/edgewamp/edgewamp/internal/parkpoll"
	"github.com/edgewamp/edgewamp/internal/sockio"
	"github.com/edgewamp/edgewamp/wamp"
)

// ServerConfig configures [Handler]. The zero value is ready to use: every
// field's zero value means the documented default. A ServerConfig is copied
// by Handler and not modified.
type ServerConfig struct {
	// Serializers lists the serializers the server accepts, in its order of
	// preference: the first one whose subprotocol the client offers is
	// chosen. nil entries are skipped. Default: wamp.JSON, wamp.MsgPack,
	// then wamp.CBOR (unless built with edgewamp_nocbor).
	Serializers []wamp.Serializer

	// MaxMessageSize is the largest message accepted, and sent, in bytes.
	// A larger incoming message closes that connection. Default (0 or less):
	// DefaultMaxMessageSize, 1 MiB.
	MaxMessageSize int

	// AllowedOrigins lists the browser origins ("https://dash.example.com",
	// scheme://host[:port], compared case-insensitively) allowed to connect
	// besides the server's own. The rule is:
	//   - requests without an Origin header (non-browser clients) are accepted;
	//   - requests whose Origin has the same host:port as the request's Host
	//     (a page served by this server) are accepted;
	//   - other origins are accepted only when listed here, or when this list
	//     contains "*" (any origin: only for servers that authenticate every
	//     session, since a browser sends the user's cookies along).
	// Refused origins get HTTP 403. Default: empty (same-origin only).
	AllowedOrigins []string

	// OriginRefused, when set, is called with the Origin of each request
	// refused for it, in the request's goroutine, so that the server can
	// say so: the browser shows only "closed (1006)". It must not block.
	// Default: nil.
	OriginRefused func(origin string)

	// Upgrading, when set, is called in the request's goroutine once the
	// upgrade is accepted, just before the 101 response is written (package
	// listen ends the connection's pending time there). An error refuses
	// the upgrade instead: the connection is closed unanswered (package
	// listen: its pending bounds are closing it). Default: nil.
	Upgrading func(r *http.Request) error

	// HandshakeTimeout bounds the WebSocket handshake once the HTTP request
	// has been read (the request itself is bounded by the http.Server's
	// ReadHeaderTimeout, see NewServer). Default (0 or less):
	// DefaultHandshakeTimeout, 10 seconds.
	HandshakeTimeout time.Duration
}

// defaultSerializers are JSON, MessagePack and, unless the build leaves it
// out (edgewamp_nocbor), CBOR, in the server's order of preference.
func defaultSerializers() []wamp.Serializer {
	sers := []wamp.Serializer{wamp.JSON, wamp.MsgPack}
	if s, ok := wamp.SerializerByID(wamp.SerializerCBOR); ok {
		sers = append(sers, s)
	}
	return sers
}

// withDefaults returns a copy of cfg with the defaults filled in.
func (cfg ServerConfig) withDefaults() ServerConfig {
	var sers []wamp.Serializer
	for _, s := range cfg.Serializers {
		if s != nil {
			sers = append(sers, s)
		}
	}
	if len(sers) == 0 {
		sers = defaultSerializers()
	}
	cfg.Serializers = sers
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	cfg.AllowedOrigins = append([]string(nil), cfg.AllowedOrigins...)
	return cfg
}

// Handler returns an http.Handler that accepts WAMP-over-WebSocket
// connections and runs serve for each, in the request's goroutine. The
// connection is closed when serve returns, so serve must run the whole
// session. serve must not keep t after it returns. The request's goroutine
// and net/http's state for the connection stay for the whole session: a
// server with many sessions uses [AttachHandler].
//
// The handler refuses, with a plain-text explanation and without upgrading:
// a request that is not a WebSocket upgrade (426), a refused Origin (403, see
// ServerConfig.AllowedOrigins), a request that offers none of the
// configured WAMP subprotocols (400), and a request that cannot be taken over
// (HTTP/2; 505). Otherwise it selects exactly one subprotocol, in the
// server's order of preference, and upgrades.
//
// The returned handler is safe for concurrent use. A nil serve closes each
// connection as soon as it is upgraded.
func Handler(cfg ServerConfig, serve func(t wamp.Transport)) http.Handler {
	return newHandler(cfg, serve)
}

// AttachHandler is [Handler] for sessions that outlive their request:
// attach is called, in the request's goroutine, with each upgraded
// connection and its upgrade request r. It owns t from then on (it must
// close t when the session ends, as minirouter.Router.Attach does) and
// must return without waiting for the session; r's context ends when it
// returns. The handler returns as soon as attach does, so that net/http
// lets go of the request's goroutine and buffers: a session then costs its
// connection alone (and parks while idle: see [Conn.Park]). Shutting the
// http.Server down does not end the sessions, as with Handler.
//
// The returned handler is safe for concurrent use. A nil attach closes each
// connection as soon as it is upgraded.
func AttachHandler(cfg ServerConfig, attach func(t wamp.Transport, r *http.Request)) http.Handler {
	h := newHandler(cfg, nil)
	h.attach = attach
	return h
}

// newHandler makes Handler's handler (AttachHandler's with attach set).
func newHandler(cfg ServerConfig, serve func(t wamp.Transport)) *handler {
	startParking()
	cfg = cfg.withDefaults()
	if serve == nil {
		serve = func(wamp.Transport) {}
	}
	names := make([]string, len(cfg.Serializers))
	for i, s := range cfg.Serializers {
		names[i] = Subprotocol(s)
	}
	return &handler{cfg: cfg, serve: serve, supported: strings.Join(names, ", ")}
}

// handler is the http.Handler returned by Handler and AttachHandler. It is
// immutable.
type handler struct {
	cfg       ServerConfig
	serve     func(wamp.Transport)
	attach    func(wamp.Transport, *http.Request) // AttachHandler's: owns the connection, returns at once
	supported string                              // the configured subprotocols, for error messages
}

// ServeHTTP checks the request, then lets x/net/websocket do the upgrade.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isUpgradeRequest(r) {
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Sec-WebSocket-Protocol", h.supported)
		refuse(w, http.StatusUpgradeRequired, "wstransport: this is a WAMP WebSocket endpoint; a WebSocket upgrade request is required")
		return
	}
	if origin := r.Header.Get("Origin"); !originAllowed(origin, r.Host, h.cfg.AllowedOrigins) {
		if h.cfg.OriginRefused != nil {
			h.cfg.OriginRefused(origin)
		}
		refuse(w, http.StatusForbidden, "wstransport: origin not allowed: "+origin)
		return
	}
	ser := pickSerializer(h.cfg.Serializers, offeredSubprotocols(r.Header))
	if ser == nil {
		refuse(w, http.StatusBadRequest, "wstransport: no supported WAMP subprotocol offered; this server supports: "+h.supported)
		return
	}
	hj, ok := w.(http.Hijacker)
	if r.ProtoMajor != 1 || !ok {
		refuse(w, http.StatusHTTPVersionNotSupported, "wstransport: WebSocket needs an HTTP/1.1 connection that can be taken over")
		return
	}
	proto := Subprotocol(ser)
	hw := &hijackWriter{ResponseWriter: w, hj: hj, timeout: h.cfg.HandshakeTimeout}
	s := websocket.Server{
		// The Handshake function replaces x/net's default Origin check (the
		// plain websocket.Handler refuses clients without an Origin): the
		// checks above are done, so it only records the selected subprotocol.
		Handshake: func(c *websocket.Config, r *http.Request) error {
			c.Protocol = []string{proto}
			if h.cfg.Upgrading != nil {
				if err := h.cfg.Upgrading(r); err != nil {
					hw.conn.Close() // unanswered: x/net's 403 then goes nowhere
					return err
				}
			}
			return nil
		},
		Handler: func(ws *websocket.Conn) {
			// The session holds the socket alone, without the listeners'
			// wrappers (parkpoll.Socket), with raw reads and writes.
			nc := sockio.Wrap(parkpoll.Socket(hw.conn))
			_ = nc.SetDeadline(time.Time{}) // handshake done; the session sets its own
			// Frames are read with the hijacked reader's buffer, straight
			// from nc (net/http's reader under it locks on every read),
			// after what the client sent beyond its request; ws is used
			// no further.
			br := hw.brw.Reader
			pending, _ := br.Peek(br.Buffered())
			br, pre := frameReader(br, nc, pending)
			c := newConn(nc, br, true, ser, h.cfg.MaxMessageSize)
			c.initPark(nc, pre)
			if h.attach != nil {
				hw.kept = true // x/net closes the connection when this returns: not any more
				h.attach(c, r)
				return
			}
			defer c.Close()
			h.serve(c)
		},
	}
	s.ServeHTTP(hw, r)
}

// refuse answers an HTTP error with a plain-text message, without upgrading.
func refuse(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Connection", "close")
	http.Error(w, msg, code)
}

// hijackWriter passes the ResponseWriter to x/net/websocket and keeps the
// net.Conn it hijacks (x/net's Conn does not expose it), giving it the
// handshake deadline: net/http leaves its own read and write deadlines on a
// hijacked connection.
type hijackWriter struct {
	http.ResponseWriter
	hj      http.Hijacker
	timeout time.Duration
	conn    net.Conn          // set by Hijack, read by the same goroutine afterwards
	brw     *bufio.ReadWriter // as conn
	kept    bool              // the session owns conn: x/net's Close of it does nothing
}

// Hijack takes over the connection and sets the handshake deadline.
func (hw *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := hw.hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if nc == nil {
		return nil, nil, errors.New("wstransport: hijack returned no connection")
	}
	_ = nc.SetDeadline(time.Now().Add(hw.timeout))
	hw.conn, hw.brw = nc, brw
	return hijacked{nc, hw}, brw, nil
}

// hijacked is the connection x/net/websocket gets from Hijack: it closes
// the connection when its handler returns, which the session of an
// AttachHandler outlives.
type hijacked struct {
	net.Conn
	hw *hijackWriter
}

// Close closes the connection unless a session owns it.
func (c hijacked) Close() error {
	if c.hw.kept {
		return nil
	}
	return c.Conn.Close()
}

// Unwrap returns the original ResponseWriter (for http.ResponseController).
func (hw *hijackWriter) Unwrap() http.ResponseWriter { return hw.ResponseWriter }

// NewServer returns an http.Server for addr and h with time limits suited
// to a WAMP WebSocket endpoint exposed to untrusted clients: the request
// headers must arrive within 10 s (ReadHeaderTimeout), a whole request within
// 30 s (ReadTimeout) and its answer within 30 s (WriteTimeout), idle
// keep-alive connections close after 120 s, headers are limited to 64 KiB,
// and only HTTP/1.1 is served (WebSocket needs it). The read and write
// limits do not apply to upgraded WebSocket connections: Handler clears them
// after the handshake, and the session sets its own. Run it with
// ListenAndServe, ListenAndServeTLS (with TLSConfig set), or Serve. Each
// call returns a new server; it is safe for concurrent use.
func NewServer(addr string, h http.Handler) *http.Server {
	var protos http.Protocols
	protos.SetHTTP1(true)
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		Protocols:         &protos,
	}
}
