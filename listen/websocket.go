package listen

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

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
	// The upgrade ends the connection's pending time (wsConfig.Upgrading).
	srv.ConnContext = func(ctx context.Context, nc net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, nc)
	}
	srv.ErrorLog = log.New(&throttledLog{log: l.log, url: l.url}, "", 0)
	if err := l.started(func() { l.srv = srv }); err != nil {
		return err
	}
	if err := srv.Serve(nl); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return nil
}

// serveWebOnly serves a WebSocket listener. On plain ws:// a RawSocket
// client (first octet 0x7F, see Split) is answered at once with an HTTP
// 400 that says what the port is, which its handshake error reports:
// without it, the HTTP server waits for a request line that never comes
// until the handshake timeout. (On wss:// the HTTP server needs the
// *tls.Conn itself, for the client certificate, so nothing is split.)
func (l *Listener) serveWebOnly(r *minirouter.Router) error {
	if l.tls {
		return l.serveWeb(r, l.nl)
	}
	raw, web := Split(l.nl, l.cfg.WebSocket.HandshakeTimeout)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.refuseRawSocket(raw)
	}()
	err := l.serveWeb(r, web)
	raw.Close()
	<-done
	return err
}

// rawSocketAnswer is what a RawSocket client gets from a WebSocket port.
const rawSocketAnswer = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n" +
	"this is a WebSocket port (ws://); a RawSocket client needs the router's RawSocket port (rs://)\n"

// refuseRawSocket answers each RawSocket connection of nl with
// rawSocketAnswer and closes it, until nl is closed.
func (l *Listener) refuseRawSocket(nl net.Listener) {
	for {
		c, err := nl.Accept()
		if err != nil {
			return
		}
		l.counters.connections.Add(1)
		l.counters.handshakeFailures.Add(1)
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = c.Write([]byte(rawSocketAnswer))
		c.Close()
	}
}

// wsHandler serves WebSocket upgrades to r, counting them: a request that
// the WebSocket handler returns from without having attached a session was
// refused. The handler returns once the session is attached (so net/http
// lets go of the request's goroutine and buffers); the client address's
// slot is released when the session ends.
func (l *Listener) wsHandler(r *minirouter.Router) http.Handler {
	ctx := l.attachContext()
	h := wstransport.AttachHandler(l.wsConfig, func(t wamp.Transport, req *http.Request) {
		st, _ := req.Context().Value(wsRequestKey{}).(*wsRequest)
		ended := l.endedFn // an address not counted ("") has no slot to release
		if st != nil {
			st.served = true
			if src := st.src; src != "" {
				ended = func(err error) {
					l.ended(err)
					l.wsSources.Release(src)
				}
			}
		}
		l.counters.active.Add(1)
		r.Attach(ctx, t, ended)
	})
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
		st := &wsRequest{src: src}
		h.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), wsRequestKey{}, st)))
		if !st.served {
			l.counters.handshakeFailures.Add(1)
			l.wsSources.Release(src)
		}
	})
}

// wsRequest is what wsHandler tells its attach function about a request
// (through the request's context, wsRequestKey), and learns back.
type wsRequest struct {
	src    string // the client address's slot (netsource.Counter), "" when not counted
	served bool   // a session was attached
}

// wsRequestKey is the request context key of its wsRequest.
type wsRequestKey struct{}

// connKey is the request context key of the request's connection.
type connKey struct{}

// Handler returns an http.Handler that upgrades WAMP WebSocket requests (a
// wstransport.AttachHandler with cfg) and attaches each session to r,
// without the limits and counters of a [Listener]: for tests and for
// embedding in an existing http.Server. The request's handler returns once
// the session is attached; the session runs until it ends (the router
// closes the connection then), whatever becomes of the http.Server.
func Handler(r *minirouter.Router, cfg wstransport.ServerConfig) http.Handler {
	ctx := minirouter.WithTransport(context.Background(), "ws")
	return wstransport.AttachHandler(cfg, func(t wamp.Transport, _ *http.Request) { r.Attach(ctx, t, nil) })
}
