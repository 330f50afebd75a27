package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// dashboardSpec is the "dashboard" object: an HTTP listener with the live
// page, a WAMP client of the first realm over the router's WebSocket at /ws
// (same origin), which authenticates and is authorized like any session;
// the gateway's figures as JSON at /stats and as Prometheus metrics at
// /metrics (these have no authentication of their own: listen on loopback
// or a management network); and the HTTP bridge (POST /call/...,
// /publish/...), whose requests are authenticated and authorized by the
// first realm.
type dashboardSpec struct {
	// Listen is the host:port to serve on, e.g. "127.0.0.1:8082"; required.
	Listen string
	// Refresh is how often the page reloads its figures. Default 2s.
	Refresh duration
}

// defaultRefresh is the dashboard page's refresh interval by default.
const defaultRefresh = 2 * time.Second

// check reports a missing or malformed key; a nil spec (no dashboard) is fine.
func (d *dashboardSpec) check() error {
	if d == nil {
		return nil
	}
	if d.Listen == "" {
		return errors.New("dashboard.listen is required (host:port, e.g. \"127.0.0.1:8082\")")
	}
	if _, _, err := net.SplitHostPort(d.Listen); err != nil {
		return fmt.Errorf("dashboard.listen %q: %w", d.Listen, err)
	}
	if d.Refresh != 0 && time.Duration(d.Refresh) < 100*time.Millisecond {
		return fmt.Errorf("dashboard.refresh %v: want at least 100ms", time.Duration(d.Refresh))
	}
	return nil
}

// dashboardJSON is the /stats document: the stats procedure's result plus
// the sessions, the procedures registered, the serial links, and the first
// realm's name and whether it admits anonymous sessions (for the page).
func (gw *gateway) dashboardJSON(ctx context.Context) wamp.Dict {
	d := gw.statsDict()
	d["sessions"] = gw.sessionsList()
	d["procedures"] = gw.procedureList(ctx)
	d["realm"] = gw.realm.Name
	d["auth"] = wamp.Dict{"anonymous": gw.realm.AllowAnonymous || len(gw.realm.Users) == 0}
	return d
}

// The page's files, served as they are.
var (
	//go:embed web/index.html
	dashboardPage []byte
	//go:embed web/dashboard.js
	dashboardScript []byte
)

// dashboardHandler serves "/" (the page), "/dashboard.js" (its script),
// "/ws" (the router's WebSocket, for the page),
// "/stats" (JSON) and "/metrics" (Prometheus text), GET and HEAD only, and
// the HTTP bridge's POST /call/<procedure> and POST /publish/<topic>.
func dashboardHandler(gw *gateway, bridge http.Handler, refresh time.Duration) http.Handler {
	ws := listen.Handler(gw.r, wstransport.ServerConfig{})
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/ws" { // the page's WAMP connection (same origin only)
			ws.ServeHTTP(w, req)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		if strings.HasPrefix(req.URL.Path, "/call/") || strings.HasPrefix(req.URL.Path, "/publish/") {
			bridge.ServeHTTP(w, req)
			return
		}
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'")
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "read-only dashboard", http.StatusMethodNotAllowed)
			return
		}
		switch req.URL.Path {
		case "/":
			h.Set("Content-Type", "text/html; charset=utf-8")
			w.Write(dashboardPage)
		case "/dashboard.js":
			h.Set("Content-Type", "text/javascript; charset=utf-8")
			w.Write(dashboardScript)
		case "/metrics":
			gw.serveMetrics(w, req)
		case "/stats":
			d := gw.dashboardJSON(req.Context())
			d["refresh_ms"] = refresh.Milliseconds()
			b, err := json.Marshal(d)
			if err != nil {
				http.Error(w, "encoding the stats: "+err.Error(), http.StatusInternalServerError)
				return
			}
			h.Set("Content-Type", "application/json")
			h.Set("Content-Length", strconv.Itoa(len(b)))
			w.Write(b)
		default:
			http.NotFound(w, req)
		}
	})
}

// startDashboard listens on spec.Listen and serves the dashboard until the
// returned stop is called.
func startDashboard(spec *dashboardSpec, gw *gateway, log *slog.Logger) (stop func(), err error) {
	l, err := net.Listen("tcp", spec.Listen)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	refresh := time.Duration(spec.Refresh)
	if refresh == 0 {
		refresh = defaultRefresh
	}
	bridge := newHTTPBridge(gw.r, gw.realm, log)
	srv := &http.Server{
		Handler:           dashboardHandler(gw, bridge, refresh),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("dashboard stopped", "err", err)
		}
	}()
	log.Info("dashboard", "url", "http://"+l.Addr().String()+"/", "addr", l.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		<-done
		bridge.Close()
	}, nil
}
