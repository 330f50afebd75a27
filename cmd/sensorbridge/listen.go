package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// listenSpec is one listener as configured: a URL and, for rss:// and
// wss://, the TLS certificate and key files.
type listenSpec struct {
	URL            string
	Cert           string
	Key            string
	ClientCA       string // PEM CAs that client certificates are verified against
	MaxMessageSize int    // overrides limits.max_message_size for this listener
	AllowedOrigins []string
}

// Listener kinds, as the stats procedure reports them.
const (
	kindRawSocket = listen.KindRawSocket
	kindWebSocket = listen.KindWebSocket
)

// openListener opens the listener spec names (see listen.Open for the
// URLs) under the limits lim.
func openListener(spec listenSpec, lim limitsSpec, log *slog.Logger) (*listen.Listener, error) {
	if err := checkListenSpec(spec); err != nil {
		return nil, err
	}
	return listen.Open(spec.URL, listenConfig(spec, lim, log))
}

// checkListenSpec reports a key of spec out of its range.
func checkListenSpec(spec listenSpec) error {
	if spec.MaxMessageSize != 0 && (spec.MaxMessageSize < minMessageSize || spec.MaxMessageSize > maxMessageSize) {
		return fmt.Errorf("listen URL %q: max_message_size %d: want %d to %d bytes", spec.URL, spec.MaxMessageSize, minMessageSize, maxMessageSize)
	}
	return nil
}

// listenConfig is the listen.Config of spec under the limits lim.
func listenConfig(spec listenSpec, lim limitsSpec, log *slog.Logger) listen.Config {
	size := lim.MaxMessageSize
	if spec.MaxMessageSize > 0 { // this listener's own bound
		size = spec.MaxMessageSize
	}
	hs := time.Duration(lim.HandshakeTimeout)
	return listen.Config{
		Cert: spec.Cert, Key: spec.Key, ClientCA: spec.ClientCA,
		RawSocket:            rawsocket.ServerConfig{HandshakeTimeout: hs, MaxMessageSize: size},
		WebSocket:            wstransport.ServerConfig{HandshakeTimeout: hs, MaxMessageSize: size, AllowedOrigins: spec.AllowedOrigins},
		MaxPendingHandshakes: lim.MaxPendingHandshakes, MaxPendingPerSource: lim.MaxPendingPerSource,
		MaxConnections: lim.MaxConnections, MaxConnsPerSource: lim.MaxConnectionsPerSource, LimitLocal: lim.LimitLocal,
		Logger: log,
	}
}

// serveListener serves l for r until it is closed; it reports a serving
// error (not the one caused by stop or the router's shutdown) on errc. It
// returns a function that closes l and waits for Serve to return (the
// sessions end with the router).
func serveListener(l *listen.Listener, r *minirouter.Router, errc chan<- error) (stop func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := l.Serve(r)
		if err != nil && !errors.Is(err, minirouter.ErrRouterClosed) && !errors.Is(err, http.ErrServerClosed) &&
			!errors.Is(err, net.ErrClosed) {
			select {
			case errc <- fmt.Errorf("serve %s: %w", l.URL(), err):
			default:
			}
		}
	}()
	return func() {
		l.Close()
		<-done
	}
}

// listenerDict is a listener's entry in the stats procedure's result.
func listenerDict(l *listen.Listener) wamp.Dict {
	st := l.Stats()
	d := wamp.Dict{
		"url":                l.URL(),
		"kind":               l.Kind(),
		"connections":        st.Connections,
		"active":             st.Active,
		"handshake_failures": st.HandshakeFailures,
		"protocol_errors":    st.ProtocolErrors,
		"auth_failures":      st.AuthFailures,
		"timeouts":           st.Timeouts,
	}
	switch l.Kind() {
	case listen.KindRawSocket, listen.KindUni:
		d["refused"] = st.Refused
		d["refused_per_source"] = st.RefusedPerSource
	case listen.KindWebSocket:
		d["refused_per_source"] = st.RefusedPerSource
	}
	if l.Kind() != listen.KindSerial {
		d["pending_handshakes"], d["handshakes_shed"] = st.PendingHandshakes, st.HandshakesShed
	}
	return d
}
