package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// Bounds of a run.
const (
	defaultDuration = 3 * time.Second
	// maxDuration is the hard cap on -duration: a load run is seconds, not minutes.
	maxDuration = 60 * time.Second
	// setupTimeout bounds dialing and joining all sessions of a run.
	setupTimeout = 30 * time.Second
	// drainTimeout is how long a fan-out run waits, after the last publish,
	// for deliveries that are still on their way.
	drainTimeout = 2 * time.Second
	// minPayload is the smallest -size: the timestamp marker and its 16 hex digits.
	minPayload  = len(tsMarker) + 16
	maxPayload  = 512 << 10
	maxSessions = 100000
)

// config is one run's parsed command line.
type config struct {
	scenario    string
	url         string
	serializer  string // "json" or "msgpack"; "" when the URL's query or the default decides
	realm       string
	duration    time.Duration
	jsonOut     bool
	allowRemote bool
	cpuProfile  string
	memProfile  string
	serve       bool // start minirouter in-process on a loopback port and target it

	// fanout
	pubs, subs int
	size       int
	rate       float64 // publishes/s over all publishers; 0 = as fast as the window allows
	window     int     // publishes per publisher in flight (not yet delivered to every subscriber / acknowledged)
	ackEvery   int     // every Nth publish asks for PUBLISHED; 0 = none
	batch      int     // publishes written per system call at full speed
	topic      string
	mqtt       string // tcp://host:port: run the fan-out (or idle) over MQTT 3.1.1 instead

	// rpc
	callers, inflight int
	procedure         string

	// idle
	sessions  int
	routerPID int
	parallel  int
	settle    time.Duration

	// devices (also routerPID, parallel, size, mqtt)
	devices       int
	backends      int
	interval      time.Duration
	callRate      float64 // calls/s over all devices
	prefix        string  // topics PREFIX.<i>.reading, procedures PREFIX.<i>.get
	upstream      string  // the gateway's upstream router, for a subscriber there
	upstreamTopic string  // its prefix subscription
}

// scenarios are the subcommands that run a load.
var scenarios = map[string]bool{"fanout": true, "rpc": true, "idle": true, "devices": true}

// parseArgs parses "SCENARIO [flags]" into a config and checks it.
func parseArgs(args []string, stderr io.Writer) (*config, error) {
	if len(args) == 0 || !scenarios[args[0]] {
		fmt.Fprint(stderr, usageText)
		if len(args) == 0 {
			return nil, errors.New("no scenario given (fanout, rpc, idle, devices or serve)")
		}
		return nil, fmt.Errorf("unknown scenario %q (want fanout, rpc, idle, devices or serve)", args[0])
	}
	c := &config{scenario: args[0]}
	fs := flag.NewFlagSet("wampbench "+c.scenario, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.url, "url", "rs://127.0.0.1:8081", "router URL: rs://host:port, tcp://host:port, unix:///path, ws://host:port/path (?serializer=json|msgpack|cbor)")
	fs.StringVar(&c.serializer, "serializer", "", "json, msgpack or cbor (default: the URL's ?serializer=, else msgpack)")
	fs.StringVar(&c.realm, "realm", "realm1", "realm to join")
	fs.DurationVar(&c.duration, "duration", defaultDuration, "how long the load runs (at most 60s)")
	fs.BoolVar(&c.jsonOut, "json", false, "print the result as JSON")
	fs.BoolVar(&c.allowRemote, "allow-remote", false, "allow a target that is not on this machine (loopback or unix socket)")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write this process's CPU profile to FILE (with -serve it includes the router)")
	fs.StringVar(&c.memProfile, "memprofile", "", "write this process's heap profile to FILE at the end of the load (idle: while the sessions are held)")
	fs.BoolVar(&c.serve, "serve", false, "start minirouter in this process on a loopback port and run against it (ignores -url's host)")
	switch c.scenario {
	case "fanout":
		fs.IntVar(&c.pubs, "pubs", 1, "publisher sessions")
		fs.IntVar(&c.subs, "subs", 10, "subscriber sessions")
		fs.IntVar(&c.size, "size", 64, "payload bytes per event (at least 18: the send timestamp)")
		fs.Float64Var(&c.rate, "rate", 0, "publishes per second over all publishers (0: as fast as the window allows)")
		fs.IntVar(&c.window, "window", 128, "publishes per publisher in flight at full speed")
		fs.IntVar(&c.ackEvery, "ack-every", 0, "ask for PUBLISHED every N publishes and count unacknowledged ones in the window (0: no acks; the window is then measured at the subscribers)")
		fs.IntVar(&c.batch, "batch", 32, "publishes per write at full speed")
		fs.StringVar(&c.topic, "topic", "wampbench.fanout", "topic")
		fs.StringVar(&c.mqtt, "mqtt", "", "run the fan-out over MQTT 3.1.1 QoS 0 against this broker (tcp://host:port) instead of WAMP")
	case "rpc":
		fs.IntVar(&c.callers, "callers", 1, "caller sessions")
		fs.IntVar(&c.inflight, "inflight", 1, "calls in flight per caller")
		fs.IntVar(&c.size, "size", 16, "argument bytes per call")
		fs.StringVar(&c.procedure, "procedure", "wampbench.echo", "procedure the generator registers and calls")
	case "idle":
		fs.IntVar(&c.sessions, "sessions", 1000, "joined sessions to hold")
		fs.IntVar(&c.routerPID, "router-pid", 0, "router process: read its VmRSS from /proc/PID/status before and after")
		fs.IntVar(&c.parallel, "parallel", 32, "sessions joining at once")
		fs.DurationVar(&c.settle, "settle", 500*time.Millisecond, "wait after the last join before reading the router's memory")
		fs.StringVar(&c.mqtt, "mqtt", "", "hold MQTT 3.1.1 clients (clean session, keepalive off) on this broker (tcp://host:port) instead of WAMP sessions")
	case "devices":
		fs.IntVar(&c.devices, "devices", 1000, "device sessions, each publishing one reading every -interval and registering one procedure")
		fs.DurationVar(&c.interval, "interval", time.Second, "each device's reading interval")
		fs.IntVar(&c.backends, "backends", 4, "backend sessions, each subscribed to every reading with one wildcard subscription")
		fs.Float64Var(&c.callRate, "call-rate", 100, "calls per second to the devices' procedures over all devices (0: none)")
		fs.IntVar(&c.size, "size", 64, "payload bytes per reading (at least 18: the send timestamp)")
		fs.StringVar(&c.prefix, "prefix", "bench.dev", "topics PREFIX.<i>.reading, procedures PREFIX.<i>.get (MQTT: PREFIX with / for .)")
		fs.StringVar(&c.upstream, "upstream", "", "the gateway's upstream router: one more subscriber there measures what the uplink forwards")
		fs.StringVar(&c.upstreamTopic, "upstream-topic", "bench.dev.", "the upstream subscriber's prefix subscription")
		fs.IntVar(&c.routerPID, "router-pid", 0, "the gateway's process: its CPU time (/proc/PID/stat) and VmRSS before and after the load")
		fs.IntVar(&c.parallel, "parallel", 32, "sessions joining at once")
		fs.StringVar(&c.mqtt, "mqtt", "", "run against this MQTT 3.1.1 broker (tcp://host:port) instead: devices publish at QoS 0, backends subscribe to PREFIX/+/reading; no calls")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

// check validates the values and bounds of c.
func (c *config) check() error {
	if c.duration <= 0 || c.duration > maxDuration {
		return fmt.Errorf("-duration %v out of range (0, %v]", c.duration, maxDuration)
	}
	if c.serializer != "" && c.serializer != "json" && c.serializer != "msgpack" && c.serializer != "cbor" {
		return fmt.Errorf("-serializer %q: want json, msgpack or cbor", c.serializer)
	}
	switch c.scenario {
	case "fanout":
		if c.pubs < 1 || c.subs < 1 || c.pubs+c.subs > maxSessions {
			return fmt.Errorf("-pubs %d -subs %d: want at least one of each and at most %d sessions", c.pubs, c.subs, maxSessions)
		}
		if c.size < minPayload || c.size > maxPayload {
			return fmt.Errorf("-size %d out of range [%d, %d]", c.size, minPayload, maxPayload)
		}
		if c.rate < 0 || c.window < 1 || c.batch < 1 || c.ackEvery < 0 {
			return errors.New("-rate must be >= 0, -window and -batch >= 1, -ack-every >= 0")
		}
		if c.mqtt != "" {
			if c.ackEvery > 0 {
				return errors.New("-ack-every: MQTT QoS 0 has no acknowledgements")
			}
			return checkTarget(c.mqtt, c.allowRemote, "tcp")
		}
	case "rpc":
		if c.callers < 1 || c.inflight < 1 || c.callers > maxSessions || c.inflight > 4096 {
			return fmt.Errorf("-callers %d -inflight %d: want 1..%d callers and 1..4096 in flight", c.callers, c.inflight, maxSessions)
		}
		if c.size < 0 || c.size > maxPayload {
			return fmt.Errorf("-size %d out of range [0, %d]", c.size, maxPayload)
		}
	case "idle":
		if c.sessions < 1 || c.sessions > maxSessions || c.parallel < 1 || c.settle < 0 {
			return fmt.Errorf("-sessions %d: want 1..%d; -parallel >= 1, -settle >= 0", c.sessions, maxSessions)
		}
		if c.mqtt != "" {
			return checkTarget(c.mqtt, c.allowRemote, "tcp")
		}
	case "devices":
		if c.devices < 1 || c.backends < 1 || c.devices+c.backends > maxSessions || c.parallel < 1 {
			return fmt.Errorf("-devices %d -backends %d: want at least one of each, at most %d sessions; -parallel >= 1", c.devices, c.backends, maxSessions)
		}
		if c.interval < time.Millisecond || c.callRate < 0 || c.size < minPayload || c.size > maxPayload {
			return fmt.Errorf("-interval %v (at least 1ms), -call-rate %v (>= 0), -size %d ([%d, %d]) out of range", c.interval, c.callRate, c.size, minPayload, maxPayload)
		}
		if !wamp.ValidURI(wamp.URI(c.prefix), false, false) {
			return fmt.Errorf("-prefix %q: not a valid URI", c.prefix)
		}
		if c.upstream != "" {
			if err := checkTarget(c.upstream, c.allowRemote, "rs", "tcp", "unix", "ws"); err != nil {
				return fmt.Errorf("-upstream: %w", err)
			}
		}
		if c.mqtt != "" {
			return checkTarget(c.mqtt, c.allowRemote, "tcp")
		}
	}
	if c.serve {
		return nil
	}
	return checkTarget(c.url, c.allowRemote, "rs", "tcp", "unix", "ws", "rss", "wss")
}

// errRemote is wrapped by checkTarget's error for a target off this machine.
var errRemote = errors.New("not a loopback target (pass -allow-remote to load a router on another machine)")

// checkTarget checks that rawURL has one of the schemes and, unless
// allowRemote, names this machine: a loopback IP literal, "localhost", or a
// Unix socket.
func checkTarget(rawURL string, allowRemote bool, schemes ...string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("target %q: %w", rawURL, err)
	}
	scheme := strings.ToLower(u.Scheme)
	ok := false
	for _, s := range schemes {
		ok = ok || s == scheme
	}
	if !ok {
		return fmt.Errorf("target %q: scheme %q not supported (want %s)", rawURL, u.Scheme, strings.Join(schemes, ", "))
	}
	if scheme == "unix" {
		if u.Path == "" && u.Opaque == "" {
			return fmt.Errorf("target %q: unix URL without a socket path (want unix:///path)", rawURL)
		}
		return nil
	}
	if u.Hostname() == "" || u.Port() == "" {
		return fmt.Errorf("target %q: want %s://host:port", rawURL, scheme)
	}
	if allowRemote || isLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("target %q: %w", rawURL, errRemote)
}

// isLoopback reports whether host is "localhost" or a loopback IP literal.
// Other names are not resolved: a name could point anywhere tomorrow.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
