package listen

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// serveWeb serves WebSocket upgrades on nl, at the listener's path, until
// the HTTP server is closed.
func (l *Listener) serveWeb(r *minirouter.Router, nl net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle(l.path, l.wsHandler(r))
	srv := wstransport.NewServer("", mux)
	if d := l.cfg.WebSocket.HandshakeTimeout; d > 0 { // the handshake timeout bounds the HTTP request too
		srv.ReadHeaderTimeout = d
	}
	if err := l.started(func() { l.srv = srv }); err != nil {
		return err
	}
	if err := srv.Serve(nl); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return nil
}

// wsHandler serves WebSocket upgrades to r, counting them: a request that
// the WebSocket handler returns from without having served a session (it
// serves one before returning) was refused.
func (l *Listener) wsHandler(r *minirouter.Router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		l.counters.connections.Add(1)
		src, ok := l.wsSources.Take(req.RemoteAddr)
		if !ok {
			l.counters.handshakeFailures.Add(1)
			l.counters.refusedSource.Add(1)
			w.Header().Set("Connection", "close")
			http.Error(w, "too many connections from this address", http.StatusServiceUnavailable)
			return
		}
		defer l.wsSources.Release(src)
		served := false
		h := wstransport.Handler(l.wsConfig, func(t wamp.Transport) {
			served = true
			l.counters.active.Add(1)
			l.ended(serveBlocking(context.Background(), r, t)) // the connection ends when the handler returns
		})
		h.ServeHTTP(w, req)
		if !served {
			l.counters.handshakeFailures.Add(1)
		}
	})
}

// Handler returns an http.Handler that upgrades WAMP WebSocket requests (a
// wstransport.Handler with cfg) and serves each session on r until it ends,
// without the limits and counters of a [Listener]: for tests and for
// embedding in an existing http.Server.
func Handler(r *minirouter.Router, cfg wstransport.ServerConfig) http.Handler {
	return wstransport.Handler(cfg, func(t wamp.Transport) { serveBlocking(context.Background(), r, t) })
}

// serveBlocking attaches t to r and waits until its session ends (a
// WebSocket connection ends when its handler returns).
func serveBlocking(ctx context.Context, r *minirouter.Router, t wamp.Transport) error {
	done := make(chan error, 1)
	r.Attach(ctx, t, func(err error) { done <- err })
	return <-done
}
