package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/agent/gpio"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/internal/logline"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// Options are what a Config does not hold: the process's environment and
// the test seams. The zero value is ready to use.
type Options struct {
	// Version is reported by the status procedure. Default "dev".
	Version string
	// Logger receives the agent's logs (a *slog.Logger fits). Default
	// device.DefaultLogger(): slog.Default(), or in an edgewamp_noslog
	// build text lines on standard error.
	Logger device.Logger
	// Now returns the current time. Default time.Now.
	Now func() time.Time
	// Connect, when set, replaces dialling Config.Router (in-process
	// routers, tests).
	Connect func(ctx context.Context) (wamp.Transport, error)
	// OpenGPIO requests a GPIO line. Default: the Linux character device
	// (package agent/gpio).
	OpenGPIO func(chip string, cfg gpio.LineConfig) (Line, error)
	// Dialers are passed to device.Config.Dialers (ws://, serial://).
	Dialers map[string]wamp.Dialer
}

// Agent is a running device agent. Its methods are safe for concurrent use.
type Agent struct {
	cfg       Config
	opt       Options
	tls       *rawsocket.TLSConfig // from cfg.TLS; nil: the system's roots
	log       device.Logger
	client    atomic.Pointer[device.Client] // set by Run
	sensors   []*sensor
	actuators []namedActuator
	started   time.Time

	published, publishErrors, calls, callErrors atomic.Uint64
}

type namedActuator struct {
	_        [0]func() // not comparable: no equality function to link
	name     string
	set, get wamp.URI
	act      actuator
}

// New prepares an agent for cfg (already validated by Parse or Load, or
// checked here): it opens the files, commands' programs and GPIO lines it
// needs, so that a missing device fails at start with the sensor's or
// actuator's name. Nothing is connected before Run.
func New(cfg *Config, opt Options) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opt.Version == "" {
		opt.Version = "dev"
	}
	if opt.Logger == nil {
		opt.Logger = device.DefaultLogger()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.OpenGPIO == nil {
		opt.OpenGPIO = func(chip string, lc gpio.LineConfig) (Line, error) { return gpio.Request(chip, lc) }
	}
	a := &Agent{cfg: *cfg, opt: opt, log: opt.Logger, started: opt.Now()}
	ok := false
	defer func() {
		if !ok {
			a.closeAll()
		}
	}()
	for i := range cfg.Sensors {
		s, err := a.newSensor(&cfg.Sensors[i])
		if err != nil {
			return nil, fmt.Errorf("agent: sensors[%d] (%q): %w", i, cfg.Sensors[i].Name, err)
		}
		a.sensors = append(a.sensors, s)
	}
	for i := range cfg.Actuators {
		ac := &cfg.Actuators[i]
		act, err := a.newActuator(ac)
		if err != nil {
			return nil, fmt.Errorf("agent: actuators[%d] (%q): %w", i, ac.Name, err)
		}
		set, get := cfg.procedures(ac)
		a.actuators = append(a.actuators, namedActuator{name: ac.Name, set: wamp.URI(set), get: wamp.URI(get), act: act})
	}
	router := cfg.Router
	if router == "" {
		router = DefaultRouter
	}
	realm := cfg.Realm
	if realm == "" {
		realm = string(device.DefaultRealm)
	}
	a.cfg.Router, a.cfg.Realm = router, realm
	if err := a.loadTLS(); err != nil {
		return nil, fmt.Errorf("config: tls: %w", err)
	}
	if err := device.CheckURL(router, a.clientConfig()); err != nil {
		return nil, fmt.Errorf("config: router: %w", err)
	}
	ok = true
	return a, nil
}

// clientConfig is the configuration of the agent's device client.
func (a *Agent) clientConfig() device.Config {
	return device.Config{
		Realm:   wamp.URI(a.cfg.Realm),
		Auth:    a.cfg.Auth,
		Logger:  a.opt.Logger,
		Dialers: a.opt.Dialers,
		TLS:     a.tls,
		Reconnect: device.Reconnect{
			Enabled:      true,
			Connect:      a.opt.Connect,
			MinBackoff:   a.cfg.Reconnect.MinBackoff.std(),
			MaxBackoff:   a.cfg.Reconnect.MaxBackoff.std(),
			OfflineQueue: a.cfg.OfflineQueue,
			OnJoin: func(c *device.Client) {
				a.log.Info("joined", "router", a.cfg.Router, "realm", a.cfg.Realm, "session", uint64(c.ID()))
			},
		},
	}
}

func (a *Agent) newSensor(sc *SensorConfig) (*sensor, error) {
	s := &sensor{
		name: sc.Name, topic: wamp.URI(a.cfg.topic(sc)), unit: sc.Unit,
		interval: sc.Interval.std(), onChange: sc.OnChange, deadband: sc.Deadband,
		poll: pollPeriod(sc), now: a.opt.Now, log: a.log, publish: a.publish,
	}
	timeout := sc.Timeout.std()
	if timeout == 0 {
		timeout = DefaultCommandTimeout
	}
	switch sc.Kind {
	case KindFile:
		f, err := os.Open(sc.Path)
		if err != nil {
			return nil, err
		}
		f.Close()
		s.src = &fileSource{path: sc.Path, p: newParser(sc), buf: make([]byte, 4096)}
	case KindCommand:
		if _, err := os.Stat(sc.Argv[0]); err != nil {
			return nil, err
		}
		s.src = &commandSource{argv: sc.Argv, timeout: timeout, p: newParser(sc)}
	case KindSimulated:
		src := &simSource{base: 21.5, amp: 3, period: 10 * time.Minute, start: a.opt.Now(), now: a.opt.Now,
			demo: sc.Base == nil && sc.Amplitude == nil && sc.Period == 0}
		if sc.Base != nil {
			src.base = *sc.Base
		}
		if sc.Amplitude != nil {
			src.amp = *sc.Amplitude
		}
		if sc.Period > 0 {
			src.period = sc.Period.std()
		}
		s.src = src
	case KindGPIO:
		chip, lc := sc.GPIO.lineConfig(false, "edge-agent:"+sc.Name)
		l, err := a.opt.OpenGPIO(chip, lc)
		if err != nil {
			return nil, err
		}
		// With edges, the poll period's reads only catch what the kernel's
		// event buffer lost; every edge is published as it comes.
		s.src = &gpioSource{line: l, edges: lc.Edge != gpio.EdgeNone}
	}
	if s.poll <= 0 {
		s.poll = DefaultPoll
	}
	return s, nil
}

func (a *Agent) newActuator(ac *ActuatorConfig) (actuator, error) {
	switch ac.Kind {
	case KindFile:
		f, err := os.OpenFile(ac.Path, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		f.Close()
		return &fileActuator{path: ac.Path, spec: ac.Args[0]}, nil
	case KindCommand:
		if _, err := os.Stat(ac.Argv[0]); err != nil {
			return nil, err
		}
		timeout := ac.Timeout.std()
		if timeout == 0 {
			timeout = DefaultCommandTimeout
		}
		return &commandActuator{argv: ac.Argv, timeout: timeout, now: a.opt.Now}, nil
	case KindGPIO:
		chip, lc := ac.GPIO.lineConfig(true, "edge-agent:"+ac.Name)
		l, err := a.opt.OpenGPIO(chip, lc)
		if err != nil {
			return nil, err
		}
		return &gpioActuator{line: l}, nil
	case KindSimulated:
		return &simActuator{}, nil
	}
	return nil, fmt.Errorf("kind: unknown %q", ac.Kind)
}

// declare registers the status and actuator procedures on c; with
// reconnection they are made again after every join.
func (a *Agent) declare(c *device.Client) error {
	ctx := context.Background() // not used: registering with reconnection does not wait
	if _, err := c.Register(ctx, wamp.URI(a.cfg.statusProcedure()), a.serve(func(context.Context, *device.Invocation) (wamp.Payload, error) {
		return wamp.Payload{Args: wamp.List{a.Status()}}, nil
	}), nil); err != nil {
		return err
	}
	for i := range a.actuators {
		na := &a.actuators[i]
		ac := &a.cfg.Actuators[i]
		specs := ac.Args
		boolish := ac.Kind == KindGPIO || ac.Kind == KindSimulated
		if boolish {
			specs = boolSpecs
		}
		set := func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
			in := inv.Args
			if boolish {
				in = toBoolArgs(in)
			}
			args, err := checkArgs(string(na.set), specs, in)
			if err != nil {
				return wamp.Payload{}, err
			}
			v, err := na.act.set(ctx, args)
			if err != nil {
				a.log.Warn("actuator failed", "actuator", na.name, "error", err)
				return wamp.Payload{}, err
			}
			a.log.Info("actuator set", "actuator", na.name, "value", v)
			return wamp.Payload{Args: wamp.List{v}}, nil
		}
		get := func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
			if len(inv.Args) != 0 {
				return wamp.Payload{}, wamp.NewError(wamp.ErrInvalidArgument.URI, string(na.get)+" takes no arguments")
			}
			v, err := na.act.get(ctx)
			if err != nil {
				return wamp.Payload{}, err
			}
			return wamp.Payload{Args: wamp.List{v}}, nil
		}
		if _, err := c.Register(ctx, na.set, a.serve(set), nil); err != nil {
			return err
		}
		if _, err := c.Register(ctx, na.get, a.serve(get), nil); err != nil {
			return err
		}
	}
	return nil
}

// serve wraps a handler with the call counters.
func (a *Agent) serve(h device.Handler) device.Handler {
	return func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		a.calls.Add(1)
		p, err := h(ctx, inv)
		if err != nil {
			a.callErrors.Add(1)
		}
		return p, err
	}
}

// publish hands a reading to the client: sent now, or queued while
// offline.
func (a *Agent) publish(ctx context.Context, topic wamp.URI, p wamp.Payload) error {
	if err := a.client.Load().Publish(ctx, topic, p, nil); err != nil {
		if ctx.Err() == nil {
			n := a.publishErrors.Add(1)
			if n == 1 || n%100 == 0 {
				a.log.Warn("publish failed", "topic", string(topic), "error", err, "errors", n)
			}
		}
		return err
	}
	a.published.Add(1)
	return nil
}

// Run connects, keeps the session joined and runs the sensors until ctx is
// done; it then leaves the realm (GOODBYE, bounded by a second), releases
// the sensors' and actuators' devices and returns nil. An Agent runs once.
func (a *Agent) Run(ctx context.Context) error {
	c, err := device.Dial(ctx, a.cfg.Router, a.clientConfig())
	if err == nil {
		err = a.declare(c)
	}
	if err != nil {
		if c != nil {
			c.Close()
		}
		a.closeAll()
		return fmt.Errorf("agent: %w", err)
	}
	a.client.Store(c)
	var wg sync.WaitGroup
	for _, s := range a.sensors {
		wg.Go(func() { s.run(ctx) })
	}
	a.log.Info("edge-agent started", "version", a.opt.Version, "router", a.cfg.Router, "realm", a.cfg.Realm,
		"sensors", len(a.sensors), "actuators", len(a.actuators))
	<-ctx.Done()
	wg.Wait()
	lctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = c.Leave(lctx)
	cancel()
	for _, na := range a.actuators {
		_ = na.act.close()
	}
	st := c.Stats()
	a.log.Info("edge-agent stopped", "published", a.published.Load(), "queued", st.OfflineQueued, "dropped", st.OfflineDropped)
	return nil
}

// closeAll releases what New opened, when New fails.
func (a *Agent) closeAll() {
	for _, s := range a.sensors {
		_ = s.src.close()
	}
	for _, na := range a.actuators {
		_ = na.act.close()
	}
}

// Status is the agent's status as the status procedure returns it: version,
// uptime, router, the current session, counters, and the state of each
// sensor and actuator.
func (a *Agent) Status() wamp.Dict {
	var st device.Stats
	var session uint64
	if c := a.client.Load(); c != nil {
		st = c.Stats()
		session = uint64(c.ID())
	}
	now := a.opt.Now()
	sensors := wamp.Dict{}
	var readErrors uint64
	for _, s := range a.sensors {
		sensors[s.name] = s.state()
		readErrors += s.readErrors.Load()
	}
	acts := wamp.Dict{}
	for _, na := range a.actuators {
		v, err := na.act.get(context.Background())
		if err != nil {
			v = wamp.Dict{"error": err.Error()}
		}
		acts[na.name] = v
	}
	return wamp.Dict{
		"version":  a.opt.Version,
		"started":  a.started.UTC().Format(time.RFC3339),
		"uptime_s": int64(now.Sub(a.started).Seconds()),
		"router":   a.cfg.Router,
		"realm":    a.cfg.Realm,
		"session":  session,
		"counters": wamp.Dict{
			"published":      a.published.Load(),
			"publish_errors": a.publishErrors.Load(),
			"queued":         st.OfflineQueued,
			"dropped":        st.OfflineDropped,
			"read_errors":    readErrors,
			"calls":          a.calls.Load(),
			"call_errors":    a.callErrors.Load(),
			"joins":          st.Joins,
			"reconnects":     st.Reconnects,
			"dial_errors":    st.DialErrors,
		},
		"sensors":   sensors,
		"actuators": acts,
	}
}

// NewLogger builds the logger a LogConfig asks for, writing to w.
// The lines are those of log/slog's TextHandler or JSONHandler, written
// without linking log/slog (see internal/logline).
func NewLogger(lc LogConfig, w io.Writer) (device.Logger, error) {
	var level logline.Level
	switch strings.ToLower(lc.Level) {
	case "", "info":
		level = logline.LevelInfo
	case "debug":
		level = logline.LevelDebug
	case "warn", "warning":
		level = logline.LevelWarn
	case "error":
		level = logline.LevelError
	default:
		return nil, fmt.Errorf("config: log.level: unknown level %q", lc.Level)
	}
	switch lc.Format {
	case "", "text":
		return logline.New(w, logline.Text, level), nil
	case "json":
		return logline.New(w, logline.JSON, level), nil
	}
	return nil, errors.New("config: log.format: unknown format " + lc.Format)
}
