package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// The devices scenario models a gateway's real load: N device sessions,
// each publishing one reading every -interval on its own topic
// (PREFIX.<i>.reading) and registering one procedure (PREFIX.<i>.get),
// called at -call-rate over all devices by a backend caller; M backend
// sessions subscribe to every reading with one wildcard subscription
// (PREFIX..reading). With -upstream, one more subscriber on the gateway's
// upstream router (prefix subscription to -upstream-topic) measures what
// the uplink forwards. With -router-pid it reads the gateway's CPU time
// (utime + stime of /proc/PID/stat, load-insensitive) and VmRSS.

// devicesWorkers is how many goroutines share the devices' publishing.
const devicesWorkers = 8

// devTick is the publishing workers' period: each tick publishes the
// readings that fell due since the last.
const devTick = 5 * time.Millisecond

// publisher is one publishing device of either protocol: publish appends
// reading seq, stamped ts, to buf[:0], writes it and returns buf.
type publisher interface {
	publish(buf []byte, seq uint64, ts int64) ([]byte, error)
}

// device is one device session of the generator.
type device struct {
	s   *session
	mu  sync.Mutex // one writer at a time: its publishing worker and its YIELDs
	tp  *template  // its PUBLISH, with the timestamp patched in
	one [1][]byte
}

// write writes b as one message under d.mu.
func (d *device) write(b []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.one[0] = b
	err := d.s.t.WriteMessages(d.one[:])
	d.one[0] = nil
	return err
}

// publish implements publisher.
func (d *device) publish(buf []byte, seq uint64, ts int64) ([]byte, error) {
	buf = d.tp.appendTo(buf[:0], idBase+wamp.ID(seq), ts)
	return buf, d.write(buf)
}

// devicesRun is the shared state of one devices run.
type devicesRun struct {
	c         *config
	clk       clock
	stop      atomic.Bool
	published atomic.Uint64
	pubErrs   atomic.Uint64
	delivered atomic.Uint64 // EVENTs at the backends
	upstream  atomic.Uint64 // EVENTs at the upstream subscriber
	calls     atomic.Uint64
	answered  atomic.Uint64
	callErrs  atomic.Uint64
}

// devTopic and devProc name device i's topic and procedure.
func devTopic(prefix string, i int) string { return prefix + "." + strconv.Itoa(i) + ".reading" }
func devProc(prefix string, i int) string  { return prefix + "." + strconv.Itoa(i) + ".get" }

// runDevices runs the devices scenario against the gateway at tg.
func runDevices(ctx context.Context, c *config, tg *target) (*result, error) {
	r := newResult(c, tg.url, "wamp", tg.ser.Name())
	setup, cancel := context.WithTimeout(ctx, setupTimeout+time.Duration(c.devices)*time.Millisecond)
	defer cancel()
	run := &devicesRun{c: c}
	var readers sync.WaitGroup
	var all []*session
	defer func() {
		closeAll(all)
		readers.Wait()
	}()

	backends, err := joinMany(setup, tg, c.realm, c.backends, 8)
	if err != nil {
		return nil, err
	}
	all = append(all, backends...)
	pattern := c.prefix + "..reading"
	for _, b := range backends {
		if _, err := b.request(setup, &wamp.Subscribe{Request: 1, Options: wamp.Dict{"match": "wildcard"}, Topic: wamp.URI(pattern)}, wamp.SUBSCRIBED); err != nil {
			return nil, fmt.Errorf("subscribe %s: %w", pattern, err)
		}
	}
	var up *session
	if c.upstream != "" {
		utg, err := newTarget(c.upstream, c.serializer)
		if err != nil {
			return nil, err
		}
		if up, err = utg.join(setup, c.realm); err != nil {
			return nil, fmt.Errorf("upstream: %w", err)
		}
		all = append(all, up)
		if _, err := up.request(setup, &wamp.Subscribe{Request: 1, Options: wamp.Dict{"match": "prefix"}, Topic: wamp.URI(c.upstreamTopic)}, wamp.SUBSCRIBED); err != nil {
			return nil, fmt.Errorf("upstream subscribe %s: %w", c.upstreamTopic, err)
		}
	}
	var caller *session
	if c.callRate > 0 {
		cs, err := joinMany(setup, tg, c.realm, 1, 1)
		if err != nil {
			return nil, err
		}
		caller = cs[0]
		all = append(all, caller)
	}

	payload := payloadString(c.size)
	joinStart := time.Now()
	devs, err := openMany(setup, c.devices, c.parallel, func(ctx context.Context, i int) (*device, error) {
		s, err := tg.join(ctx, c.realm)
		if err != nil {
			return nil, err
		}
		d := &device{s: s}
		if _, err := s.register(ctx, devProc(c.prefix, i)); err != nil {
			s.leave()
			return nil, err
		}
		d.tp, err = newTemplate(tg.ser, &wamp.Publish{Request: templateID, Options: wamp.Dict{}, Topic: wamp.URI(devTopic(c.prefix, i)),
			Payload: wamp.Payload{Args: wamp.List{payload}}}, true)
		if err != nil {
			s.leave()
			return nil, fmt.Errorf("PUBLISH template: %w", err)
		}
		return d, nil
	}, func(ds []*device) {
		closeAll(sessionsOf(ds))
	})
	if err != nil {
		return nil, err
	}
	all = append(all, sessionsOf(devs)...)
	r.JoinSeconds = time.Since(joinStart).Seconds()

	// Everything joined: clear the setup's write deadlines (the loops write
	// without one), start the clock, the readers and the load.
	for _, s := range all {
		if err := s.t.SetWriteDeadline(time.Time{}); err != nil {
			return nil, err
		}
	}
	run.clk = clock{start: time.Now()}
	tallies := make([]*histogram, len(backends))
	for i, b := range backends {
		tallies[i] = new(histogram)
		readers.Add(1)
		go func() { defer readers.Done(); run.eventLoop(b, tallies[i], &run.delivered) }()
	}
	upH := new(histogram)
	if up != nil {
		readers.Add(1)
		go func() { defer readers.Done(); run.eventLoop(up, upH, &run.upstream) }()
	}
	for _, d := range devs {
		readers.Add(1)
		go func() { defer readers.Done(); run.calleeLoop(d) }()
	}
	callH := new(histogram)
	var sentAt sync.Map // request ID -> send time
	if caller != nil {
		readers.Add(1)
		go func() { defer readers.Done(); run.callerLoop(caller, &sentAt, callH) }()
	}

	pubs := make([]publisher, len(devs))
	for i, d := range devs {
		pubs[i] = d
	}
	var callLoop func()
	if caller != nil {
		callLoop = func() { run.callLoop(caller, &sentAt) }
	}
	if err := run.drive(ctx, r, pubs, tallies, up != nil, callLoop, func() {
		closeAll(all)
		all = nil
		readers.Wait()
	}); err != nil {
		return nil, err
	}
	r.Calls, r.Answered, r.CallErrors = run.calls.Load(), run.answered.Load(), run.callErrs.Load()
	r.CallLatency = callH.summary()
	if up != nil {
		r.UpstreamDelivered = run.upstream.Load()
		r.UpstreamLatency = upH.summary()
	}
	return r, nil
}

// drive runs the publishing workers over pubs (and callLoop, when not nil)
// for -duration, waits for the deliveries to the subscribers (one
// histogram each in tallies; and the upstream one) to drain, reads the
// router's CPU time and memory around all that, then calls closeAll (which
// must end every reader) and fills r's common fields.
func (run *devicesRun) drive(ctx context.Context, r *result, pubs []publisher, tallies []*histogram, upstream bool, callLoop func(), closeAll func()) error {
	c, subs := run.c, len(tallies)
	cpu0, rss0, err := procUsage(c.routerPID)
	if err != nil {
		closeAll()
		return err
	}
	var workers sync.WaitGroup
	for w := range devicesWorkers {
		var mine []publisher
		for i := w; i < len(pubs); i += devicesWorkers {
			mine = append(mine, pubs[i])
		}
		workers.Add(1)
		go func() { defer workers.Done(); run.publishLoop(mine) }()
	}
	if callLoop != nil {
		workers.Add(1)
		go func() { defer workers.Done(); callLoop() }()
	}
	sleepCtx(ctx, c.duration)
	run.stop.Store(true)
	workers.Wait()
	pubEnd := run.clk.now()
	published := run.published.Load()
	want := published * uint64(subs)
	waitFor(drainTimeout, func() bool {
		return run.delivered.Load() >= want && (!upstream || run.upstream.Load() >= published) && run.answered.Load()+run.callErrs.Load() >= run.calls.Load()
	})
	wall := float64(run.clk.now()) / 1e9
	cpu1, rss1, err := procUsage(c.routerPID)
	closeAll()
	if err != nil {
		return err
	}
	r.Seconds = float64(pubEnd) / 1e9
	r.Devices, r.Subscribers, r.PayloadBytes, r.IntervalSeconds = c.devices, subs, c.size, c.interval.Seconds()
	r.Published, r.Delivered = published, run.delivered.Load()
	r.PublishedPerSec = rate(published, pubEnd)
	if want > 0 {
		r.DeliveryRatio = float64(r.Delivered) / float64(want)
	}
	if n := run.pubErrs.Load(); n > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d publishes could not be written", n))
	}
	var h histogram
	for _, t := range tallies {
		h.merge(t)
	}
	r.Latency = h.summary()
	if c.routerPID != 0 {
		r.RouterPID, r.RouterRSSBefore, r.RouterRSSAfter = c.routerPID, rss0, rss1
		r.RouterCPUSeconds = cpu1 - cpu0
		r.RouterCPUShare = r.RouterCPUSeconds / wall
		if published > 0 {
			r.CPUPerKReadings = r.RouterCPUSeconds * 1e6 / float64(published) // ms per 1,000 readings
		}
	}
	return nil
}

// sessionsOf returns the devices' sessions.
func sessionsOf(ds []*device) []*session {
	ss := make([]*session, 0, len(ds))
	for _, d := range ds {
		if d != nil {
			ss = append(ss, d.s)
		}
	}
	return ss
}

// publishLoop publishes the readings of devs as they fall due (device k of
// devs at k/len(devs) of each interval) until the run stops.
func (run *devicesRun) publishLoop(devs []publisher) {
	if len(devs) == 0 {
		return
	}
	perNs := float64(len(devs)) / float64(run.c.interval)
	var sent uint64
	var buf []byte
	t := time.NewTicker(devTick)
	defer t.Stop()
	for !run.stop.Load() {
		<-t.C
		now := run.clk.now()
		due := uint64(float64(now) * perNs)
		for ; sent < due && !run.stop.Load(); sent++ {
			var err error
			if buf, err = devs[sent%uint64(len(devs))].publish(buf, sent, run.clk.now()); err != nil {
				run.pubErrs.Add(1)
				continue
			}
			run.published.Add(1)
		}
	}
}

// eventLoop counts the EVENTs read on s and records their latency into h,
// until s closes.
func (run *devicesRun) eventLoop(s *session, h *histogram, count *atomic.Uint64) {
	bin := s.t.Serializer().Binary()
	for {
		b, err := s.t.ReadMessage()
		if err != nil {
			return
		}
		now := run.clk.now()
		if t, _, ok := peekType(b, bin); ok && t != wamp.EVENT {
			continue
		}
		if ts, ok := parseTS(b); ok {
			h.record(now - ts)
		}
		count.Add(1)
	}
}

// calleeLoop answers the INVOCATIONs of d's procedure until d closes.
func (run *devicesRun) calleeLoop(d *device) {
	ser := d.s.t.Serializer()
	var out []byte
	for {
		b, err := d.s.t.ReadMessage()
		if err != nil {
			return
		}
		m, err := ser.DecodeMessage(b)
		inv, ok := m.(*wamp.Invocation)
		if err != nil || !ok {
			continue
		}
		out, err = ser.AppendMessage(out[:0], &wamp.Yield{Request: inv.Request, Options: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{21.5}}})
		if err == nil {
			d.write(out)
		}
	}
}

// callLoop calls a random device's procedure -call-rate times per second
// until the run stops, recording each send time in sentAt.
func (run *devicesRun) callLoop(s *session, sentAt *sync.Map) {
	ser := s.t.Serializer()
	perNs := run.c.callRate / 1e9
	var sent uint64
	var out []byte
	t := time.NewTicker(devTick)
	defer t.Stop()
	for !run.stop.Load() {
		<-t.C
		due := uint64(float64(run.clk.now()) * perNs)
		for ; sent < due && !run.stop.Load(); sent++ {
			id := wamp.ID(sent + 1)
			var err error
			out, err = ser.AppendMessage(out[:0], &wamp.Call{Request: id, Options: wamp.Dict{}, Procedure: wamp.URI(devProc(run.c.prefix, rand.IntN(run.c.devices)))})
			if err != nil {
				run.callErrs.Add(1)
				continue
			}
			sentAt.Store(id, run.clk.now())
			run.calls.Add(1)
			if err := s.t.WriteMessages([][]byte{out}); err != nil {
				sentAt.Delete(id)
				run.callErrs.Add(1)
			}
		}
	}
}

// callerLoop reads the caller's RESULTs and ERRORs until s closes.
func (run *devicesRun) callerLoop(s *session, sentAt *sync.Map, h *histogram) {
	ser := s.t.Serializer()
	for {
		b, err := s.t.ReadMessage()
		if err != nil {
			return
		}
		now := run.clk.now()
		m, err := ser.DecodeMessage(b)
		if err != nil {
			continue
		}
		var id wamp.ID
		switch m := m.(type) {
		case *wamp.Result:
			id = m.Request
			run.answered.Add(1)
		case *wamp.ErrorMessage:
			id = m.Request
			run.callErrs.Add(1)
		default:
			continue
		}
		if at, ok := sentAt.LoadAndDelete(id); ok {
			h.record(now - at.(int64))
		}
	}
}

// clockTicks is the unit of utime and stime in /proc/PID/stat (USER_HZ,
// 100 on every Linux architecture).
const clockTicks = 100

// procUsage returns the CPU time (user + system, seconds) and VmRSS (kB)
// of process pid; zeros when pid is 0.
func procUsage(pid int) (cpu float64, rssKB int64, err error) {
	if pid == 0 {
		return 0, 0, nil
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("router CPU time: %w", err)
	}
	if cpu, err = parseStatCPU(string(b)); err != nil {
		return 0, 0, err
	}
	rssKB, err = vmRSS(pid)
	return cpu, rssKB, err
}

// parseStatCPU returns utime + stime in seconds from a /proc/PID/stat line.
// The command name (field 2) may hold spaces and parentheses: the fields
// are counted from the last ')'.
func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("router CPU time: no ')' in /proc/PID/stat")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errors.New("router CPU time: short /proc/PID/stat")
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("router CPU time: %w", err)
	}
	return float64(u+s) / clockTicks, nil
}
