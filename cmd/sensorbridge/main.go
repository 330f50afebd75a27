// Command sensorbridge is the edgewamp gateway: a WAMP router for the devices
// of a site. In this first cut it routes between the sessions of one realm
// over RawSocket (TCP and Unix sockets):
//
//	sensorbridge                          # rs://127.0.0.1:8081, realm realm1
//	sensorbridge -demo                    # the same, plus a simulated device
//	sensorbridge -listen rs://0.0.0.0:8081 -listen unix:///run/edgewamp.sock -realm site7
//
// It stops gracefully on SIGINT or SIGTERM: every session is sent GOODBYE
// (wamp.close.system_shutdown) and the process exits within -shutdown-timeout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "sensorbridge: %v\n", err)
		os.Exit(2)
	}
	if err := run(ctx, cfg); err != nil {
		cfg.logger.Error("sensorbridge stopped", "err", err)
		os.Exit(1)
	}
}

// listenFlags collects repeated -listen values.
type listenFlags []string

func (l *listenFlags) String() string     { return strings.Join(*l, ",") }
func (l *listenFlags) Set(v string) error { *l = append(*l, v); return nil }

// config is what the command line asks for.
type config struct {
	listen          []string
	realm           string
	demo            bool
	demoInterval    time.Duration
	shutdownTimeout time.Duration
	logger          *slog.Logger
}

const defaultListen = "rs://127.0.0.1:8081"

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{}
	var listen listenFlags
	var level, format string
	fs := flag.NewFlagSet("sensorbridge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&listen, "listen", "listener URL, repeatable: rs://host:port (RawSocket over TCP) or unix:///path (default "+defaultListen+")")
	fs.StringVar(&cfg.realm, "realm", "realm1", "the realm sessions join")
	fs.BoolVar(&cfg.demo, "demo", false, "also run a simulated device: procedures light.set and light.get, topic temperature")
	fs.DurationVar(&cfg.demoInterval, "demo-interval", time.Second, "how often the simulated device publishes a temperature")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 5*time.Second, "how long a graceful shutdown may take")
	fs.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&format, "log-format", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if len(listen) == 0 {
		listen = listenFlags{defaultListen}
	}
	cfg.listen = listen
	if cfg.demoInterval <= 0 {
		return nil, errors.New("-demo-interval must be positive")
	}
	logger, err := newLogger(level, format, stderr)
	if err != nil {
		return nil, err
	}
	cfg.logger = logger
	return cfg, nil
}

func newLogger(level, format string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format %q: want text or json", format)
}
