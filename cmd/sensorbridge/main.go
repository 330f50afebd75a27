// Command sensorbridge is the edgewamp gateway: a WAMP router for the devices
// of a site, over RawSocket (TCP, TLS, Unix sockets) and WebSocket, with an
// optional uplink that bridges chosen topics and procedures to an upstream
// router:
//
//	sensorbridge                          # rs://127.0.0.1:8081 and ws://127.0.0.1:8080/ws, realm realm1
//	sensorbridge -demo                    # the same, plus a simulated device
//	sensorbridge -listen rs://0.0.0.0:8081 -listen unix:///run/edgewamp.sock -realm site7
//	sensorbridge -listen uni://127.0.0.1:8080/ws   # RawSocket and WebSocket on one port
//	sensorbridge -config /etc/edgewamp/sensorbridge.json
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
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/uplink"
	"github.com/edgewamp/edgewamp/wamp"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3"
// (scripts/build.sh does).
var version = "dev"

// errShowVersion is parseFlags' answer to -version.
var errShowVersion = errors.New("-version")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if errors.Is(err, errShowVersion) {
		fmt.Printf("sensorbridge %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
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

// config is what the config file and the command line ask for.
type config struct {
	listeners       []listenSpec
	realms          []minirouter.RealmConfig
	uplink          *uplink.Config // nil: no uplink
	demo            bool
	demoInterval    time.Duration
	shutdownTimeout time.Duration
	limits          limitsSpec
	dashboard       *dashboardSpec // nil: no dashboard
	logger          *slog.Logger
}

// The default listeners, used when neither -listen nor the config file
// names any: RawSocket for devices and WebSocket for browsers and backends,
// both on loopback only.
const (
	defaultListen   = "rs://127.0.0.1:8081"
	defaultListenWS = "ws://127.0.0.1:8080/ws"
)

// parseFlags reads the flags and the config file they name; flags override
// the file's keys.
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	var listen listenFlags
	var configFile, realm, level, format, tlsCert, tlsKey, uplinkURL, uplinkRealm, queueFile string
	var demo, showVersion bool
	var demoInterval, shutdownTimeout time.Duration
	fs := flag.NewFlagSet("sensorbridge", flag.ContinueOnError)
	fs.BoolVar(&showVersion, "version", false, "print the version and exit")
	fs.SetOutput(stderr)
	fs.StringVar(&configFile, "config", "", "JSON config file (see README); flags override its keys")
	fs.Var(&listen, "listen", "listener URL, repeatable: rs://host:port, rss://host:port, unix:///path, ws://host:port/path, wss://host:port/path, uni://host:port/path (RawSocket and WebSocket on one port) (default "+defaultListen+" and "+defaultListenWS+")")
	fs.StringVar(&tlsCert, "tls-cert", "", "certificate file (PEM) for rss:// and wss:// listeners")
	fs.StringVar(&tlsKey, "tls-key", "", "private key file (PEM) for rss:// and wss:// listeners")
	fs.StringVar(&realm, "realm", "realm1", "the realm sessions join (replaces the config file's realms)")
	fs.StringVar(&uplinkURL, "uplink", "", "upstream router URL (rs://, rss://, unix://, ws://, wss://); replaces the config file's uplink url")
	fs.StringVar(&uplinkRealm, "uplink-realm", "", "upstream realm (default realm1)")
	fs.StringVar(&queueFile, "uplink-queue-file", "", "file keeping the uplink's store-and-forward queue across restarts")
	fs.BoolVar(&demo, "demo", false, "also run a simulated device: procedures light.set and light.get, topic temperature")
	fs.DurationVar(&demoInterval, "demo-interval", time.Second, "how often the simulated device publishes a temperature")
	fs.DurationVar(&shutdownTimeout, "shutdown-timeout", 5*time.Second, "how long a graceful shutdown may take")
	fs.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&format, "log-format", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if showVersion {
		return nil, errShowVersion
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	fc := &fileConfig{}
	if configFile != "" {
		var err error
		if fc, err = loadConfigFile(configFile); err != nil {
			return nil, err
		}
	}
	cfg := &config{demo: fc.Demo, demoInterval: time.Duration(fc.DemoInterval), shutdownTimeout: time.Duration(fc.ShutdownTimeout),
		limits: fc.Limits, dashboard: fc.Dashboard}
	if err := cfg.limits.check(); err != nil {
		return nil, err
	}
	if err := cfg.dashboard.check(); err != nil {
		return nil, err
	}
	if set["demo"] || configFile == "" {
		cfg.demo = demo
	}
	if set["demo-interval"] || cfg.demoInterval == 0 {
		cfg.demoInterval = demoInterval
	}
	if set["shutdown-timeout"] || cfg.shutdownTimeout == 0 {
		cfg.shutdownTimeout = shutdownTimeout
	}
	if cfg.demoInterval <= 0 {
		return nil, errors.New("-demo-interval must be positive")
	}
	if set["log-level"] || fc.Log.Level == "" {
		fc.Log.Level = level
	}
	if set["log-format"] || fc.Log.Format == "" {
		fc.Log.Format = format
	}

	cfg.listeners = fc.Listeners
	if len(listen) > 0 {
		cfg.listeners = nil
		for _, u := range listen {
			cfg.listeners = append(cfg.listeners, listenSpec{URL: u})
		}
	}
	if len(cfg.listeners) == 0 {
		cfg.listeners = []listenSpec{{URL: defaultListen}, {URL: defaultListenWS}}
	}
	for i := range cfg.listeners {
		l := &cfg.listeners[i]
		if set["tls-cert"] || l.Cert == "" {
			l.Cert = firstNonEmpty(tlsCert, l.Cert)
		}
		if set["tls-key"] || l.Key == "" {
			l.Key = firstNonEmpty(tlsKey, l.Key)
		}
	}

	for _, r := range fc.Realms {
		rc, err := r.realmConfig()
		if err != nil {
			return nil, err
		}
		cfg.realms = append(cfg.realms, rc)
	}
	if set["realm"] || len(cfg.realms) == 0 {
		cfg.realms = []minirouter.RealmConfig{{Name: wamp.URI(realm)}}
	}
	// The router checks the realms (users, permissions, policies): do it
	// now, so that a bad file stops sensorbridge before anything starts.
	check, err := minirouter.New(minirouter.Config{Realms: cfg.realms})
	if err != nil {
		return nil, fmt.Errorf("realms: %w", err)
	}
	check.Close()

	us := fc.Uplink
	if set["uplink"] || set["uplink-realm"] || set["uplink-queue-file"] {
		if us == nil {
			us = &uplinkSpec{}
		}
		if set["uplink"] {
			us.URL = uplinkURL
		}
		if set["uplink-realm"] {
			us.Realm = uplinkRealm
		}
		if set["uplink-queue-file"] {
			us.QueueFile = queueFile
		}
	}
	if us != nil {
		uc, err := us.uplinkConfig()
		if err != nil {
			return nil, err
		}
		cfg.uplink = uc
		if err := checkUplinkRealm(uc, cfg.realms); err != nil {
			return nil, err
		}
	}

	logger, err := newLogger(fc.Log.Level, fc.Log.Format, stderr)
	if err != nil {
		return nil, err
	}
	cfg.logger = logger
	return cfg, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
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

// checkUplinkRealm refuses an uplink whose local realm would refuse its
// local session, which joins anonymously.
func checkUplinkRealm(uc *uplink.Config, realms []minirouter.RealmConfig) error {
	local := realms[0]
	for _, rc := range realms {
		if rc.Name == uc.LocalRealm {
			local = rc
		}
	}
	if len(local.Users) > 0 && !local.AllowAnonymous {
		return fmt.Errorf("uplink.local_realm %q admits no anonymous session, and the uplink's local session is anonymous: set allow_anonymous in that realm, or bridge another one", local.Name)
	}
	return nil
}
