package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/edgewamp/edgewamp/agent/demo"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/uplink"
)

// run starts the router, its listeners, the uplink and the demo device as
// configured, and serves until ctx is cancelled; then it stops the uplink
// (leaving the upstream realm) and shuts the router down gracefully.
func run(ctx context.Context, cfg *config) error {
	log := cfg.logger
	realms := slices.Clone(cfg.realms)
	creds, err := internalCredentials(&realms[0])
	if err != nil {
		return err
	}
	rc := minirouter.Config{Realms: realms, Logger: log}
	cfg.limits.apply(&rc)
	r, err := minirouter.New(rc)
	if err != nil {
		return fmt.Errorf("router: %w", err)
	}
	var listeners []*listen.Listener
	closeAll := func() {
		for _, l := range listeners {
			l.Close()
		}
	}
	for _, spec := range cfg.listeners {
		l, err := openListener(spec, cfg.limits, log)
		if err != nil {
			closeAll()
			if errors.Is(err, syscall.EADDRINUSE) {
				err = fmt.Errorf("%w (another program, or another sensorbridge, serves that port: stop it or pick another with -listen)", err)
			}
			return err
		}
		listeners = append(listeners, l)
		log.Info("listening", "url", spec.URL, "kind", l.Kind(), "addr", l.Addr())
	}
	var ul *uplink.Uplink
	if cfg.uplink != nil {
		uc := *cfg.uplink
		uc.Logger = log
		if ul, err = uplink.New(r, uc); err != nil {
			closeAll()
			return fmt.Errorf("uplink: %w", err)
		}
	}

	gw := &gateway{r: r, ul: ul, listeners: listeners, started: time.Now(), realm: realms[0]}
	for _, rc := range realms {
		if len(rc.History) > 0 {
			gw.history = append(gw.history, rc.Name)
		}
	}
	if cfg.uplink != nil {
		gw.uplinkURL = cfg.uplink.URL
		if u, err := url.Parse(cfg.uplink.URL); err == nil { // no credentials on the page
			u.User = nil
			gw.uplinkURL = u.String()
		}
	}
	if cfg.dashboard != nil {
		stopDash, err := startDashboard(cfg.dashboard, gw, log)
		if err != nil {
			closeAll()
			r.Close()
			return err
		}
		defer stopDash()
	}

	serveErr := make(chan error, len(listeners))
	var stops []func()
	for _, l := range listeners {
		stops = append(stops, serveListener(l, r, serveErr))
	}

	// The in-process sessions (stats, demo) outlive ctx: the router's
	// shutdown ends them with a GOODBYE, then stopLocal stops them.
	localCtx, stopLocal := context.WithCancel(context.Background())
	defer stopLocal()
	var wg sync.WaitGroup
	uplinkCtx, stopUplink := context.WithCancel(ctx)
	defer stopUplink()
	if ul != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ul.Run(uplinkCtx); err != nil && uplinkCtx.Err() == nil {
				log.Error("uplink stopped", "err", err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		serveStats(localCtx, gw, cfg.realms[0].Name, creds, log)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		runMemTrim(localCtx, log)
	}()
	if cfg.demo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runDemo(localCtx, r, cfg, creds)
		}()
	}

	if cfg.demo {
		log.Info("demo device", demoAttrs(cfg, listeners)...)
	}

	var result error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case result = <-serveErr:
	}
	stopUplink()
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := r.Shutdown(sctx); err != nil {
		log.Warn("shutdown incomplete", "err", err)
	}
	stopLocal()
	for _, stop := range stops {
		stop()
	}
	wg.Wait()
	return result
}

// runDemo joins the simulated device to the router in process and runs it
// until ctx is cancelled.
func runDemo(ctx context.Context, r *minirouter.Router, cfg *config, creds device.Credentials) {
	t, err := r.Connect(ctx)
	if err != nil {
		cfg.logger.Error("demo device: connect", "err", err)
		return
	}
	c, err := device.NewClient(ctx, t, device.Config{Realm: cfg.realms[0].Name, Logger: cfg.logger, Auth: creds})
	if err != nil {
		cfg.logger.Error("demo device: join", "err", err)
		return
	}
	defer c.Close()
	err = demo.Run(ctx, c, demo.Config{Name: cfg.demoName, Interval: cfg.demoInterval, Logger: cfg.logger})
	select {
	case <-r.Done(): // shutting down: the router ended the session
	default:
		if err != nil && !errors.Is(err, context.Canceled) {
			cfg.logger.Error("demo device stopped", "err", err)
		}
	}
}

// demoAttrs are the attributes of the line that says what the demo device
// serves, and where to reach it.
func demoAttrs(cfg *config, listeners []*listen.Listener) []any {
	u := demo.URIsOf(cfg.demoName)
	var urls []string
	for _, l := range listeners {
		urls = append(urls, l.URL())
	}
	return []any{"realm", cfg.realms[0].Name, "procedures", string(u.LightSet) + " " + string(u.LightGet),
		"topics", string(u.Temperature) + " " + string(u.LightState), "every", cfg.demoInterval, "urls", strings.Join(urls, " ")}
}
