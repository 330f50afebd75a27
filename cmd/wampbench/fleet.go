package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// fleetConfig is the fleet scenario's flags.
type fleetConfig struct {
	bin        string        // the sensorbridge binary
	gateways   int           // gateway processes
	devices    int           // device sessions per gateway
	interval   time.Duration // between one device's readings
	duration   time.Duration // measured load
	warmup     time.Duration // load before the measurement starts
	basePort   int           // the upstream's port; gateway i listens on basePort+1+i
	size       int           // reading payload bytes
	jsonOut    bool
	keepLogDir bool
}

// fleetResult is what the fleet scenario measured. The upstream's figures
// are taken three times: with only the uplinks joined ("gateways"), with
// every device joined and its procedure exported ("devices"), and after
// the load.
type fleetResult struct {
	Gateways           int            `json:"gateways"`
	DevicesPerGateway  int            `json:"devices_per_gateway"`
	IntervalSeconds    float64        `json:"interval_s"`
	Seconds            float64        `json:"seconds"`
	Published          uint64         `json:"published"`
	Delivered          uint64         `json:"delivered"`
	DeliveryRatio      float64        `json:"delivery_ratio"`
	ReadingsPerSec     float64        `json:"readings_per_sec"`
	Latency            *latency       `json:"latency,omitempty"`
	UpstreamSessions   int            `json:"upstream_sessions"`      // the gateways' (the upstream's own not counted)
	UpstreamRegs       int            `json:"upstream_registrations"` // the devices' procedures exported up
	UpstreamRSSEmptyKB int64          `json:"upstream_rss_empty_kb"`
	UpstreamRSSGwKB    int64          `json:"upstream_rss_gateways_kb"`
	UpstreamRSSDevKB   int64          `json:"upstream_rss_devices_kb"`
	UpstreamRSSLoadKB  int64          `json:"upstream_rss_load_kb"`
	UpstreamCPUShare   float64        `json:"upstream_cpu_share"`
	UpstreamCPUPer1k   float64        `json:"upstream_cpu_ms_per_1000_readings"`
	GatewayCPUPer1k    float64        `json:"gateway_cpu_ms_per_1000_readings"`
	GatewayRSSKB       int64          `json:"gateway_rss_median_kb"`
	SetupSeconds       float64        `json:"setup_s"`
	Counters           *fleetCounters `json:"counters,omitempty"`
	Load               string         `json:"loadavg"`
	Notes              []string       `json:"notes,omitempty"`
}

// fleetCounters are the sensorbridge processes' own counters (their
// sensorbridge.stats), read after the load and summed over the gateways:
// where a reading that did not reach the subscriber within the run went.
// They cover the whole run, warmup included.
type fleetCounters struct {
	UplinkEventsUp        int64 `json:"uplink_events_up"`        // sent up by the gateways' uplinks
	UplinkQueued          int64 `json:"uplink_queued"`           // still held by them after the load
	UplinkQueueDropped    int64 `json:"uplink_queue_dropped"`    // dropped by them (counted, logged)
	UplinkPublishErrors   int64 `json:"uplink_publish_errors"`   // refused by the upstream
	GatewayEventsDropped  int64 `json:"gateway_events_dropped"`  // the gateways' routers, for slow subscribers
	UpstreamEventsDropped int64 `json:"upstream_events_dropped"` // the upstream's router, for slow subscribers
}

// fleetRealm and fleetTopic: the devices publish sensor.dN on their
// gateway, whose uplink sends them up as fleet.gwI.sensor.dN.
const (
	fleetRealm  = "realm1"
	fleetPrefix = "fleet."
)

// runFleet is the fleet scenario: G gateway processes (sensorbridge), each
// with D device sessions publishing one reading per interval and
// registering one procedure, uplinked over rs:// to one upstream
// sensorbridge where one subscriber (prefix fleet.) measures the latency
// device -> upstream subscriber. Every process it starts is stopped by its
// PID at the end; the whole run is bounded by setup (2 min) plus
// -warmup and -duration.
func runFleet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fc := fleetConfig{}
	fs := flag.NewFlagSet("wampbench fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&fc.bin, "sensorbridge", "sensorbridge", "the sensorbridge binary the gateways and the upstream run")
	fs.IntVar(&fc.gateways, "gateways", 50, "gateway processes (1..200)")
	fs.IntVar(&fc.devices, "devices", 100, "device sessions per gateway (1..1000)")
	fs.DurationVar(&fc.interval, "interval", time.Second, "between one device's readings")
	fs.DurationVar(&fc.duration, "duration", 20*time.Second, "measured load (at most 5m)")
	fs.DurationVar(&fc.warmup, "warmup", 3*time.Second, "load before the measurement (at most 1m)")
	fs.IntVar(&fc.basePort, "base-port", 19400, "the upstream's loopback port; gateway i listens on base-port+1+i")
	fs.IntVar(&fc.size, "size", 64, "reading payload bytes (at least 18: the send timestamp)")
	fs.BoolVar(&fc.jsonOut, "json", false, "print the result as JSON")
	fs.BoolVar(&fc.keepLogDir, "keep", false, "keep the directory of the processes' configs and logs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fc.gateways < 1 || fc.gateways > 200 || fc.devices < 1 || fc.devices > 1000 ||
		fc.duration <= 0 || fc.duration > 5*time.Minute || fc.warmup < 0 || fc.warmup > time.Minute ||
		fc.interval < 10*time.Millisecond || fc.size < minPayload || fc.size > 4096 ||
		fc.basePort < 1024 || fc.basePort+fc.gateways >= 65535 {
		return errors.New("want -gateways 1..200, -devices 1..1000, -duration (0, 5m], -warmup [0, 1m], -interval >= 10ms, -size 18..4096, ports in 1024..65535")
	}
	res, err := fleet(ctx, &fc, stderr)
	if res == nil {
		return err
	}
	text := fmt.Sprintf("fleet %d gateways x %d devices, 1 reading per %v: %d published, %d delivered upstream (ratio %.4f), %.0f readings/s\n",
		res.Gateways, res.DevicesPerGateway, fc.interval, res.Published, res.Delivered, res.DeliveryRatio, res.ReadingsPerSec)
	if l := res.Latency; l != nil {
		text += fmt.Sprintf("  device -> upstream subscriber: p50 %.0f µs, p90 %.0f µs, p99 %.0f µs, max %.0f µs\n", l.P50, l.P90, l.P99, l.Max)
	}
	text += fmt.Sprintf("  upstream: %d sessions, %d registrations; RSS %d kB empty, %d kB with the gateways, %d kB with their devices, %d kB after the load\n",
		res.UpstreamSessions, res.UpstreamRegs, res.UpstreamRSSEmptyKB, res.UpstreamRSSGwKB, res.UpstreamRSSDevKB, res.UpstreamRSSLoadKB)
	text += fmt.Sprintf("  upstream CPU %.1f %% of a core = %.1f ms per 1,000 readings; gateways %.1f ms per 1,000 readings (all together), RSS median %d kB each\n",
		100*res.UpstreamCPUShare, res.UpstreamCPUPer1k, res.GatewayCPUPer1k, res.GatewayRSSKB)
	if c := res.Counters; c != nil {
		text += fmt.Sprintf("  counters (whole run): uplinks sent %d up, hold %d, dropped %d, refused %d; events dropped by the gateways %d, by the upstream %d\n",
			c.UplinkEventsUp, c.UplinkQueued, c.UplinkQueueDropped, c.UplinkPublishErrors, c.GatewayEventsDropped, c.UpstreamEventsDropped)
	}
	text += fmt.Sprintf("  setup %.1fs; loadavg %s\n", res.SetupSeconds, res.Load)
	for _, n := range res.Notes {
		text += "  note: " + n + "\n"
	}
	if werr := writeJSONOrText(stdout, fc.jsonOut, res, text); err == nil {
		err = werr
	}
	return err
}

// fleetProcs are the processes a fleet run started, stopped by PID.
type fleetProcs struct {
	upstream *exec.Cmd
	gateways []*exec.Cmd
}

// stop sends SIGTERM to every process, waits up to 10 s for each, then
// kills what is left.
func (p *fleetProcs) stop() {
	all := append([]*exec.Cmd{p.upstream}, p.gateways...)
	for _, c := range all {
		if c != nil && c.Process != nil {
			c.Process.Signal(syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, c := range all {
		if c == nil || c.Process == nil {
			continue
		}
		done := make(chan struct{})
		go func() { c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Until(deadline)):
			c.Process.Kill()
			<-done
		}
	}
}

// start runs the sensorbridge binary with a config file written to dir.
func (fc *fleetConfig) start(dir, name string, conf map[string]any) (*exec.Cmd, error) {
	b, err := json.Marshal(conf)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, name+".json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(fc.bin, "-config", file, "-log-level", "warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return cmd, nil
}

// fleet sets the fleet up, loads it and tears it down.
func fleet(ctx context.Context, fc *fleetConfig, stderr io.Writer) (*fleetResult, error) {
	dir, err := os.MkdirTemp("", "wampbench-fleet")
	if err != nil {
		return nil, err
	}
	if fc.keepLogDir {
		fmt.Fprintln(stderr, "fleet: configs and logs in", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	setupStart := time.Now()
	setup, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	procs := &fleetProcs{}
	defer procs.stop()
	up := fmt.Sprintf("127.0.0.1:%d", fc.basePort)
	limits := func(sessions int) map[string]any {
		return map[string]any{"max_sessions": sessions, "max_registrations": fc.devices + 16}
	}
	procs.upstream, err = fc.start(dir, "upstream", map[string]any{
		"listeners": []any{map[string]any{"url": "rs://" + up}},
		"limits":    limits(fc.gateways + 16),
	})
	if err != nil {
		return nil, err
	}
	if err := waitListening(setup, up, procs.upstream); err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	res := &fleetResult{Gateways: fc.gateways, DevicesPerGateway: fc.devices, IntervalSeconds: fc.interval.Seconds()}
	upPID := procs.upstream.Process.Pid
	res.UpstreamRSSEmptyKB, _ = vmRSS(upPID)
	upTarget, err := newTarget("rs://"+up, "msgpack")
	if err != nil {
		return nil, err
	}
	sub, err := upTarget.join(setup, fleetRealm)
	if err != nil {
		return nil, fmt.Errorf("upstream subscriber: %w", err)
	}
	defer sub.leave()
	if _, err := sub.request(setup, &wamp.Subscribe{Request: 1, Options: wamp.Dict{"match": "prefix"}, Topic: fleetPrefix}, wamp.SUBSCRIBED); err != nil {
		return nil, fmt.Errorf("upstream subscriber: %w", err)
	}
	// The upstream's own sessions and procedures (sensorbridge.stats, the
	// subscriber) are counted before the gateways come.
	baseSessions, err := metaCount(setup, sub, "wamp.session.count")
	if err != nil {
		return nil, err
	}
	baseRegs, err := metaCount(setup, sub, "wamp.registration.list")
	if err != nil {
		return nil, err
	}
	gwAddr := func(i int) string { return fmt.Sprintf("127.0.0.1:%d", fc.basePort+1+i) }
	for i := range fc.gateways {
		gw := fmt.Sprintf("gw%d.", i)
		cmd, err := fc.start(dir, "gateway"+strconv.Itoa(i), map[string]any{
			"listeners": []any{map[string]any{"url": "rs://" + gwAddr(i)}},
			"limits":    limits(fc.devices + 16),
			"uplink": map[string]any{
				"url":     "rs://" + up,
				"publish": []any{map[string]any{"local": "sensor.", "upstream": fleetPrefix + gw + "sensor."}},
				"export":  []any{map[string]any{"local": "dev.", "upstream": fleetPrefix + gw + "dev."}},
			},
		})
		if err != nil {
			return nil, err
		}
		procs.gateways = append(procs.gateways, cmd)
	}
	for i := range fc.gateways {
		if err := waitListening(setup, gwAddr(i), procs.gateways[i]); err != nil {
			return nil, fmt.Errorf("gateway %d: %w", i, err)
		}
	}
	if err := waitMeta(setup, sub, "wamp.session.count", baseSessions+fc.gateways); err != nil {
		return nil, fmt.Errorf("waiting for the uplinks to join: %w", err)
	}
	res.UpstreamRSSGwKB, _ = vmRSS(upPID)

	devs, err := joinDevices(setup, fc, gwAddr)
	if err != nil {
		return nil, err
	}
	defer closeAll(devs)
	if err := waitMeta(setup, sub, "wamp.registration.list", baseRegs+fc.gateways*fc.devices); err != nil {
		res.Notes = append(res.Notes, "not every device procedure reached the upstream: "+err.Error())
	}
	res.UpstreamSessions, _ = metaCount(setup, sub, "wamp.session.count")
	res.UpstreamRegs, _ = metaCount(setup, sub, "wamp.registration.list")
	res.UpstreamSessions -= baseSessions
	res.UpstreamRegs -= baseRegs
	res.UpstreamRSSDevKB, _ = vmRSS(upPID)
	res.SetupSeconds = time.Since(setupStart).Seconds()

	loadFleet(ctx, fc, devs, sub, upPID, procs, res)
	res.UpstreamRSSLoadKB, _ = vmRSS(upPID)
	counters, err := readCounters(ctx, fc, devs, upTarget)
	if err != nil {
		res.Notes = append(res.Notes, "counters: "+err.Error())
	}
	res.Counters = counters
	var rss []int64
	for _, g := range procs.gateways {
		if kb, err := vmRSS(g.Process.Pid); err == nil {
			rss = append(rss, kb)
		}
	}
	if len(rss) > 0 {
		res.GatewayRSSKB = median(rss)
	}
	res.Load = loadavg()
	return res, nil
}

// joinDevices joins fc.devices sessions to every gateway, each registering
// dev.dN.read (exported upstream by the gateway's uplink).
func joinDevices(ctx context.Context, fc *fleetConfig, gwAddr func(int) string) ([]*session, error) {
	var all []*session
	for i := range fc.gateways {
		tg, err := newTarget("rs://"+gwAddr(i), "msgpack")
		if err != nil {
			return nil, err
		}
		ss, err := joinMany(ctx, tg, fleetRealm, fc.devices, 16)
		if err != nil {
			closeAll(all)
			return nil, fmt.Errorf("gateway %d devices: %w", i, err)
		}
		all = append(all, ss...)
		for j, s := range ss {
			if _, err := s.register(ctx, "dev.d"+strconv.Itoa(j)+".read"); err != nil {
				closeAll(all)
				return nil, fmt.Errorf("gateway %d device %d: %w", i, j, err)
			}
		}
	}
	return all, nil
}

// loadFleet runs the readings (warmup, then the measured window) and
// fills res's counts, latency and CPU figures.
func loadFleet(ctx context.Context, fc *fleetConfig, devs []*session, sub *session, upPID int, procs *fleetProcs, res *fleetResult) {
	clk := clock{start: time.Now()}
	measureFrom := int64(fc.warmup)
	measureTo := int64(fc.warmup + fc.duration)
	var published, delivered, sendErrs atomic.Uint64
	var h histogram
	subDone := make(chan struct{})
	go func() {
		defer close(subDone)
		for {
			b, err := sub.t.ReadMessage()
			if err != nil {
				return
			}
			now := clk.now()
			if t, _, ok := peekType(b, true); !ok || t != wamp.EVENT {
				continue
			}
			if ts, ok := parseTS(b); ok && ts >= measureFrom && ts < measureTo {
				delivered.Add(1)
				h.record(now - ts)
			}
		}
	}()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for k, s := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Readings are spread evenly over the interval.
			phase := time.Duration(int64(fc.interval) * int64(k) / int64(len(devs)))
			t := time.NewTimer(phase)
			defer t.Stop()
			topic := wamp.URI("sensor.d" + strconv.Itoa(k%fc.devices))
			payload := []byte(payloadString(fc.size))
			for seq := wamp.ID(1); ; seq++ {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				t.Reset(fc.interval)
				ts := clk.now()
				putHex16(payload[len(payload)-16:], uint64(ts))
				err := s.send(&wamp.Publish{Request: seq, Options: wamp.Dict{}, Topic: topic, Payload: wamp.Payload{Args: wamp.List{string(payload)}}})
				if err != nil {
					sendErrs.Add(1)
				} else if ts >= measureFrom && ts < measureTo {
					published.Add(1)
				}
			}
		}()
	}
	wait := func(d time.Duration) bool {
		select {
		case <-time.After(d):
			return true
		case <-ctx.Done():
			return false
		}
	}
	var up0, gw0 time.Duration
	if wait(fc.warmup) {
		up0, _ = procCPU(upPID)
		gw0 = gatewaysCPU(procs)
		wait(fc.duration)
	}
	up1, _ := procCPU(upPID)
	gw1 := gatewaysCPU(procs)
	close(stop)
	wg.Wait()
	wait(time.Second) // the last readings of the window reach the subscriber
	sub.t.Close()
	<-subDone
	res.Seconds = fc.duration.Seconds()
	res.Published, res.Delivered = published.Load(), delivered.Load()
	if res.Published > 0 {
		res.DeliveryRatio = float64(res.Delivered) / float64(res.Published)
		res.UpstreamCPUPer1k = float64((up1 - up0).Milliseconds()) * 1000 / float64(res.Published)
		res.GatewayCPUPer1k = float64((gw1 - gw0).Milliseconds()) * 1000 / float64(res.Published)
	}
	res.ReadingsPerSec = float64(res.Published) / res.Seconds
	res.UpstreamCPUShare = (up1 - up0).Seconds() / res.Seconds
	res.Latency = h.summary()
	if n := sendErrs.Load(); n > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d readings could not be written", n))
	}
}

// gatewaysCPU sums the gateways' CPU time.
func gatewaysCPU(p *fleetProcs) time.Duration {
	var sum time.Duration
	for _, g := range p.gateways {
		if d, err := procCPU(g.Process.Pid); err == nil {
			sum += d
		}
	}
	return sum
}

// waitListening waits until addr accepts TCP connections, and checks that
// the process cmd started is the one listening: one that exited (its port
// taken by another process) fails the run rather than let it measure
// someone else's router.
func waitListening(ctx context.Context, addr string, cmd *exec.Cmd) error {
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			time.Sleep(100 * time.Millisecond)
			if exited(cmd.Process.Pid) {
				return fmt.Errorf("%s exited (is %s taken? see -base-port)", cmd.Path, addr)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nothing listens on %s: %w", addr, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitMeta polls a meta procedure until its count reaches want.
func waitMeta(ctx context.Context, s *session, proc string, want int) error {
	for {
		n, err := metaCount(ctx, s, proc)
		if err == nil && n >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %d of %d (%v)", proc, n, want, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// metaCount calls wamp.session.count (its count) or
// wamp.registration.list (the number of exact registrations).
func metaCount(ctx context.Context, s *session, proc string) (int, error) {
	m, err := s.request(ctx, &wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: wamp.URI(proc)}, wamp.RESULT)
	if err != nil {
		return 0, err
	}
	r := m.(*wamp.Result)
	if len(r.Args) == 0 {
		return 0, fmt.Errorf("%s: empty result", proc)
	}
	switch v := r.Args[0].(type) {
	case wamp.Dict:
		l, _ := v["exact"].(wamp.List)
		return len(l), nil
	case int64:
		return int(v), nil
	case uint64:
		return int(v), nil
	case float64:
		return int(v), nil
	}
	return 0, fmt.Errorf("%s: result %T", proc, r.Args[0])
}

// readCounters sums the gateways' counters (asked through each gateway's
// first device session) and reads the upstream's (through a new session).
func readCounters(ctx context.Context, fc *fleetConfig, devs []*session, upTarget *target) (*fleetCounters, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c := &fleetCounters{}
	for i := 0; i < len(devs); i += fc.devices {
		st, err := bridgeStats(ctx, devs[i])
		if err != nil {
			return nil, fmt.Errorf("gateway %d: %w", i/fc.devices, err)
		}
		up, _ := st["uplink"].(wamp.Dict)
		c.UplinkEventsUp += optInt(up, "events_up")
		c.UplinkQueued += optInt(up, "queued")
		c.UplinkQueueDropped += optInt(up, "queue_dropped")
		c.UplinkPublishErrors += optInt(up, "publish_errors")
		r, _ := st["router"].(wamp.Dict)
		c.GatewayEventsDropped += optInt(r, "events_dropped")
	}
	s, err := upTarget.join(ctx, fleetRealm)
	if err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	defer s.leave()
	st, err := bridgeStats(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	r, _ := st["router"].(wamp.Dict)
	c.UpstreamEventsDropped = optInt(r, "events_dropped")
	return c, nil
}

// bridgeStats calls sensorbridge.stats on s and returns its keyword results.
func bridgeStats(ctx context.Context, s *session) (wamp.Dict, error) {
	m, err := s.request(ctx, &wamp.Call{Request: 2, Options: wamp.Dict{}, Procedure: "sensorbridge.stats"}, wamp.RESULT)
	if err != nil {
		return nil, err
	}
	return m.(*wamp.Result).Kwargs, nil
}

// optInt reads the integer counter key of d (0 when absent).
func optInt(d wamp.Dict, key string) int64 {
	n, _ := wamp.OptInt(d, key)
	return n
}

// median of a few values.
func median(v []int64) int64 {
	s := append([]int64(nil), v...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

// exited reports whether a child process has exited (a zombie, not yet
// waited for) or is gone.
func exited(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z'
}
