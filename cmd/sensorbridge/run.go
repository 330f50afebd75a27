package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/internal/demo"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// run starts the router and its listeners, and the demo device when asked,
// and serves until ctx is cancelled; then it shuts down gracefully.
func run(ctx context.Context, cfg *config) error {
	log := cfg.logger
	r, err := minirouter.New(minirouter.Config{
		Realms: []minirouter.RealmConfig{{Name: wamp.URI(cfg.realm)}},
		Logger: log,
	})
	if err != nil {
		return fmt.Errorf("router: %w", err)
	}
	var listeners []net.Listener
	closeAll := func() {
		for _, l := range listeners {
			l.Close()
		}
	}
	for _, u := range cfg.listen {
		l, err := listen(u)
		if err != nil {
			closeAll()
			return err
		}
		listeners = append(listeners, l)
		log.Info("listening", "url", u, "addr", l.Addr().String(), "realm", cfg.realm)
	}

	var wg sync.WaitGroup
	serveErr := make(chan error, len(listeners))
	for i, l := range listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Serve(l); err != nil && ctx.Err() == nil {
				serveErr <- fmt.Errorf("serve %s: %w", cfg.listen[i], err)
			}
		}()
	}

	demoCtx, stopDemo := context.WithCancel(ctx)
	defer stopDemo()
	if cfg.demo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runDemo(demoCtx, r, cfg)
		}()
	}

	var result error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case result = <-serveErr:
	}
	stopDemo()
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := r.Shutdown(sctx); err != nil {
		log.Warn("shutdown incomplete", "err", err)
	}
	closeAll()
	wg.Wait()
	return result
}

// runDemo joins the simulated device to the router in process and runs it
// until ctx is cancelled.
func runDemo(ctx context.Context, r *minirouter.Router, cfg *config) {
	t, err := r.Connect(ctx)
	if err != nil {
		cfg.logger.Error("demo device: connect", "err", err)
		return
	}
	c, err := device.NewClient(ctx, t, device.Config{Realm: wamp.URI(cfg.realm), Logger: cfg.logger})
	if err != nil {
		cfg.logger.Error("demo device: join", "err", err)
		return
	}
	defer c.Close()
	err = demo.Run(ctx, c, demo.Config{Interval: cfg.demoInterval, Logger: cfg.logger})
	if err != nil && !errors.Is(err, context.Canceled) {
		cfg.logger.Error("demo device stopped", "err", err)
	}
}
