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
//	sensorbridge -check -config /etc/edgewamp/sensorbridge.json   # validate, exit 0 or 2
//
// It stops gracefully on SIGINT or SIGTERM: every session is sent GOODBYE
// (wamp.close.system_shutdown) and the process exits 0 within
// -shutdown-timeout. It exits 1 on a failure while running (a port in use)
// and 2 on a usage or configuration error, one line on stderr either way.
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

	"github.com/edgewamp/edgewamp/agent/demo"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/uplink"
	"github.com/edgewamp/edgewamp/wamp"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3"
// (scripts/build.sh does).
var version = "dev"

// errShowVersion is parseFlags' answer to -version.
var errShowVersion = errors.New("-version")

// Exit statuses, as for edge-agent: 0 ok (also after SIGINT or SIGTERM),
// 1 a failure at run time (a port in use), 2 a usage or configuration
// error, which a restart does not heal (systemd's RestartPreventExitStatus
// and the procd script rely on it).
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	// Writers and woken connections run on spare goroutines whose stacks
	// have grown already (see peer.Go).
	peer.UseSpares()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(sensorbridge(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// sensorbridge runs the command line args until ctx is done and returns
// the exit status; an error is one line on stderr.
func sensorbridge(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errShowVersion):
		fmt.Fprintf(stdout, "sensorbridge %s\n", version)
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "sensorbridge: %v\n", err)
		return exitUsage
	case cfg.check:
		fmt.Fprintln(stdout, "configuration ok")
		return exitOK
	}
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintf(stderr, "sensorbridge: %v\n", err)
		return exitFailed
	}
	return exitOK
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
	demoName        string // the demo device's name, its URIs' prefix
	check           bool   // -check: validate and exit
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

// usageHead opens the help text (-h); the flags follow.
const usageHead = `usage: sensorbridge [flags]

sensorbridge is a WAMP router for the devices of a site, with an optional uplink
to an upstream router. With no flags it serves realm1 on ` + defaultListen + ` (RawSocket)
and ` + defaultListenWS + ` (WebSocket), loopback only.

  sensorbridge -demo                              also run a simulated device
  sensorbridge -config /etc/edgewamp/sensorbridge.json
  sensorbridge -check -config FILE                validate the configuration and URLs, then exit

-listen URL (repeatable): ` + listen.Schemes + `
  (uni:// serves RawSocket and WebSocket on one port)
-uplink URL: ` + uplinkSchemes + `
  (?serializer=json|msgpack|cbor picks the serializer)
Durations take a unit: 500ms, 10s, 1m.
Exit status: 0 ok (also after SIGINT or SIGTERM), 1 a failure while running (a port
in use), 2 a usage or configuration error.

flags:
`

// durationFlag is a duration flag whose error says that a unit is needed.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("want a duration with a unit, e.g. \"500ms\", \"10s\", \"1m\"")
	}
	if d < 0 {
		return errors.New("want a duration that is not negative")
	}
	*f.d = d
	return nil
}

// parseFlags reads the flags and the config file they name; flags override
// the file's keys. It checks every URL as far as can be done without
// opening it. On -h it writes the help to stderr and returns flag.ErrHelp.
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	var listenURLs listenFlags
	var configFile, realm, level, format, tlsCert, tlsKey, uplinkURL, uplinkRealm, queueFile, demoName, dashboardAddr string
	var demoOn, showVersion, checkOnly bool
	demoInterval, shutdownTimeout := time.Second, 5*time.Second
	fs := flag.NewFlagSet("sensorbridge", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are one line, from main; -h is written below
	fs.BoolVar(&showVersion, "version", false, "print the version and exit")
	fs.BoolVar(&checkOnly, "check", false, "validate the configuration and every URL, print \"configuration ok\" and exit (status 2 on an error)")
	fs.StringVar(&configFile, "config", "", "JSON config file (see README); flags override its keys")
	fs.Var(&listenURLs, "listen", "listener `URL`, repeatable (schemes above) (default "+defaultListen+" and "+defaultListenWS+")")
	fs.StringVar(&tlsCert, "tls-cert", "", "certificate file (PEM) for rss:// and wss:// listeners")
	fs.StringVar(&tlsKey, "tls-key", "", "private key file (PEM) for rss:// and wss:// listeners")
	fs.StringVar(&realm, "realm", "realm1", "the realm sessions join (replaces the config file's realms)")
	fs.StringVar(&uplinkURL, "uplink", "", "upstream router URL (schemes above); replaces the config file's uplink url")
	fs.StringVar(&uplinkRealm, "uplink-realm", "", "upstream realm (default realm1)")
	fs.StringVar(&queueFile, "uplink-queue-file", "", "file keeping the uplink's store-and-forward queue across restarts")
	fs.BoolVar(&demoOn, "demo", false, "also run a simulated device: procedures light.set and light.get, topic temperature")
	fs.StringVar(&demoName, "demo-name", "", "the simulated device's name, put before its URIs (NAME.light.set), so that several demos can share a realm (default: none)")
	fs.Var(durationFlag{&demoInterval}, "demo-interval", "how often the simulated device publishes a temperature: a `duration` with a unit")
	fs.Var(durationFlag{&shutdownTimeout}, "shutdown-timeout", "how long a graceful shutdown may take: a `duration` with a unit")
	fs.StringVar(&dashboardAddr, "dashboard", "", "serve the dashboard page, /stats, /metrics and the HTTP bridge (POST /call/PROC, /publish/TOPIC) on `host:port`, e.g. 127.0.0.1:8082; replaces the config file's dashboard listen")
	fs.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&format, "log-format", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usageHead)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, fmt.Errorf("%w (sensorbridge -h lists the flags)", err)
	}
	if showVersion {
		return nil, errShowVersion
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (sensorbridge takes flags only; -h lists them)", fs.Arg(0))
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
		demoName: fc.DemoName, limits: fc.Limits, dashboard: fc.Dashboard, check: checkOnly}
	if err := cfg.limits.check(); err != nil {
		return nil, err
	}
	if set["dashboard"] {
		if cfg.dashboard == nil {
			cfg.dashboard = &dashboardSpec{}
		}
		cfg.dashboard.Listen = dashboardAddr
	}
	if err := cfg.dashboard.check(); err != nil {
		return nil, err
	}
	if set["demo"] || configFile == "" {
		cfg.demo = demoOn
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
	if set["demo-name"] {
		cfg.demoName = demoName
	}
	if err := demo.CheckName(cfg.demoName); err != nil {
		return nil, err
	}
	if set["log-level"] || fc.Log.Level == "" {
		fc.Log.Level = level
	}
	if set["log-format"] || fc.Log.Format == "" {
		fc.Log.Format = format
	}

	cfg.listeners = fc.Listeners
	if len(listenURLs) > 0 {
		cfg.listeners = nil
		for _, u := range listenURLs {
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
	if err := checkListeners(cfg.listeners, cfg.limits); err != nil {
		return nil, err
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
	probe, err := minirouter.New(minirouter.Config{Realms: cfg.realms})
	if err != nil {
		return nil, fmt.Errorf("realms: %w", err)
	}
	probe.Close()

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
		if err := checkUplinkURL(uc.URL, uc.Serializer); err != nil {
			return nil, err
		}
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
