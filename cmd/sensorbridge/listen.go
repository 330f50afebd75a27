package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"

	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// listenSpec is one listener as configured: a URL and, for rss:// and
// wss://, the TLS certificate and key files.
type listenSpec struct {
	URL            string   `json:"url"`
	Cert           string   `json:"cert,omitempty"`
	Key            string   `json:"key,omitempty"`
	AllowedOrigins []string `json:"allowed_origins,omitempty"`
}

// Listener kinds.
const (
	kindRawSocket = "rawsocket"
	kindWebSocket = "websocket"
	kindUni       = "unisocket"
)

// gwListener is an open listener and how to serve it.
type gwListener struct {
	spec listenSpec
	kind string
	path string // WebSocket path (websocket, unisocket)
	l    net.Listener
}

// listen opens the listener a URL names:
//
//	rs://host:port, tcp://host:port  RawSocket over TCP
//	rss://host:port                  RawSocket over TLS (cert, key)
//	unix:///path                     RawSocket over a Unix socket (a stale socket file is replaced)
//	ws://host:port/path              WebSocket (path default /ws)
//	wss://host:port/path             WebSocket over TLS (cert, key)
//	uni://host:port/path             RawSocket and WebSocket on one port (first octet 0x7F = RawSocket)
func listen(spec listenSpec) (*gwListener, error) {
	raw := spec.URL
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("listen URL %q: %w", raw, err)
	}
	g := &gwListener{spec: spec}
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
		return nil, fmt.Errorf("listen URL %q: unsupported scheme %q (want rs, rss, unix, ws, wss or uni)", raw, u.Scheme)
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
	var srv *http.Server
	rawL, webL := g.l, g.l
	if g.kind == kindUni {
		rawL, webL = minirouter.SplitListener(g.l, 0)
	}
	if g.kind == kindRawSocket || g.kind == kindUni {
		wg.Add(1)
		go func() { defer wg.Done(); report(r.Serve(rawL)) }()
	}
	if g.kind == kindWebSocket || g.kind == kindUni {
		mux := http.NewServeMux()
		mux.Handle(g.path, wstransport.Handler(wstransport.ServerConfig{AllowedOrigins: g.spec.AllowedOrigins},
			func(t wamp.Transport) { _ = r.ServeTransport(context.Background(), t) }))
		srv = wstransport.NewServer("", mux)
		wg.Add(1)
		go func() { defer wg.Done(); report(srv.Serve(webL)) }()
	}
	return func() {
		if srv != nil {
			srv.Close()
		}
		rawL.Close()
		webL.Close()
		wg.Wait()
	}
}
