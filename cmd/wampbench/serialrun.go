//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	devclient "github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/internal/ptytest"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/serialtransport"
	"github.com/edgewamp/edgewamp/wamp"
)

// The serial scenario needs ptys, so it exists on Linux only.
func init() { extraScenarios["serial"] = runSerial }

const (
	serialTopic = "bench.serial.reading"
	serialProc  = "bench.serial.echo"
)

// countingLink is the device's link, counting the WAMP messages the device
// hands it and their bytes (what the link carries, before its framing).
// The device's writer hands over batches of up to a few hundred messages,
// so the counts give the mean message size, not a rate.
type countingLink struct {
	*serialtransport.Conn
	msgs, bytes atomic.Uint64
}

// WriteMessages counts msgs and writes them.
func (c *countingLink) WriteMessages(msgs [][]byte) error {
	n := 0
	for _, m := range msgs {
		n += len(m)
	}
	c.msgs.Add(uint64(len(msgs)))
	c.bytes.Add(uint64(n))
	return c.Conn.WriteMessages(msgs)
}

// serialSub is the router-side subscriber: it counts the readings and
// records their latency in the histogram of the current phase.
type serialSub struct {
	s     *session
	clk   clock
	count atomic.Uint64
	phase atomic.Int32 // index into hists
	mu    sync.Mutex
	hists [2]histogram // flat out, slow
	done  chan struct{}
}

func (ss *serialSub) loop() {
	defer close(ss.done)
	bin := ss.s.t.Serializer().Binary()
	for {
		b, err := ss.s.t.ReadMessage()
		if err != nil {
			return
		}
		now := ss.clk.now()
		if t, _, ok := peekType(b, bin); !ok || t != wamp.EVENT {
			continue
		}
		if ts, ok := parseTS(b); ok {
			ss.mu.Lock()
			ss.hists[ss.phase.Load()].record(now - ts)
			ss.mu.Unlock()
		}
		ss.count.Add(1)
	}
}

// serialRouter is the router end: sensorbridge or minirouter in process.
type serialRouter struct {
	name string
	url  string // where the subscriber and the caller dial
	cmd  *exec.Cmd
	lr   *localRouter
	sl   *listen.Listener
}

// startSerialRouter starts the router serving the line's gateway end.
func startSerialRouter(ctx context.Context, sc *serialConfig, line string) (*serialRouter, error) {
	serialURL := "serial://" + line + "?baud=" + strconv.Itoa(sc.baud)
	if sc.window > 0 {
		serialURL += "&window=" + strconv.Itoa(sc.window)
	}
	if sc.bin == "" {
		lr, err := startRouter("rs://127.0.0.1:0", 16)
		if err != nil {
			return nil, err
		}
		sl, err := listen.Open(serialURL, listen.Config{})
		if err != nil {
			lr.close()
			return nil, err
		}
		go sl.Serve(lr.r)
		return &serialRouter{name: "minirouter (in process)", url: lr.url, lr: lr, sl: sl}, nil
	}
	port := sc.port
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(sc.bin, "-listen", "rs://"+addr, "-listen", serialURL, "-log-level", "warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", sc.bin, err)
	}
	r := &serialRouter{name: "sensorbridge", url: "rs://" + addr, cmd: cmd}
	if sc.routerCPU >= 0 {
		var set unix.CPUSet
		set.Set(sc.routerCPU)
		if err := unix.SchedSetaffinity(cmd.Process.Pid, &set); err != nil {
			r.close()
			return nil, fmt.Errorf("pin sensorbridge to core %d: %w", sc.routerCPU, err)
		}
	}
	if err := waitListening(ctx, addr, cmd); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// freePort returns a loopback TCP port free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// cpu returns the router process's CPU time (0 in process).
func (r *serialRouter) cpu() time.Duration {
	if r.cmd == nil {
		return 0
	}
	d, _ := procCPU(r.cmd.Process.Pid)
	return d
}

// close stops the router (sensorbridge by its PID, SIGTERM then SIGKILL after 10 s).
func (r *serialRouter) close() {
	if r.lr != nil {
		r.sl.Close()
		r.lr.close()
		return
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		<-done
	}
}

// serialRun sets the line, the router and the sessions up, runs the three
// phases and tears everything down.
func serialRun(ctx context.Context, sc *serialConfig) (*serialResult, error) {
	rate := sc.baud / 10
	line, err := ptytest.OpenLine(ptytest.LineConfig{BytesPerSec: rate, Latency: sc.latency, ByteErrorRate: sc.byteErrors, Seed: 1})
	if err != nil {
		return nil, err
	}
	defer line.Close()
	setup, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	r, err := startSerialRouter(setup, sc, line.GatewayPath)
	if err != nil {
		return nil, err
	}
	defer r.close()

	devURL := "serial://" + line.DevicePath + "?baud=" + strconv.Itoa(sc.baud) + "&serializer=" + sc.serializer
	if sc.window > 0 {
		devURL += "&window=" + strconv.Itoa(sc.window)
	}
	conn, err := serialtransport.Dial(setup, devURL, serialtransport.Config{})
	if err != nil {
		return nil, fmt.Errorf("device: %w", err)
	}
	link := &countingLink{Conn: conn}
	dev, err := devclient.NewClient(setup, link, devclient.Config{Realm: "realm1"})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("device join over the line: %w", err)
	}
	defer dev.Close()
	echo := func(_ context.Context, inv *devclient.Invocation) (wamp.Payload, error) { return inv.Payload, nil }
	if _, err := dev.Register(setup, serialProc, echo, nil); err != nil {
		return nil, fmt.Errorf("device register: %w", err)
	}

	tg, err := newTarget(r.url, "msgpack")
	if err != nil {
		return nil, err
	}
	clk := clock{start: time.Now()}
	subSess, err := tg.join(setup, "realm1")
	if err != nil {
		return nil, fmt.Errorf("subscriber: %w", err)
	}
	defer subSess.leave()
	if _, err := subSess.subscribe(setup, serialTopic); err != nil {
		return nil, err
	}
	sub := &serialSub{s: subSess, clk: clk, done: make(chan struct{})}
	go sub.loop()
	caller, err := tg.join(setup, "realm1")
	if err != nil {
		return nil, fmt.Errorf("caller: %w", err)
	}
	defer caller.leave()

	res := &serialResult{Router: r.name, Baud: sc.baud, LineBytesPerSec: rate, Serializer: sc.serializer,
		Window: conn.Window(), PayloadBytes: sc.size, SlowRate: sc.slowRate}
	if err := serialFlatOut(ctx, sc, dev, link, line, r, sub, res); err != nil {
		return res, err
	}
	sub.phase.Store(1)
	if err := serialSlow(ctx, sc, dev, clk); err != nil {
		return res, err
	}
	if sc.callsFor > 0 {
		if res.CallRTT, err = serialCalls(ctx, sc, caller); err != nil {
			return res, err
		}
	}
	sub.mu.Lock()
	res.Saturated, res.Latency = sub.hists[0].summary(), sub.hists[1].summary()
	sub.mu.Unlock()
	st := conn.Stats()
	res.Retransmissions = st.Retransmissions
	res.FrameErrors = st.CRCErrors + st.COBSErrors
	res.Load = loadavg()
	return res, nil
}

// publishReading publishes one reading stamped with the send time.
func publishReading(ctx context.Context, dev *devclient.Client, buf []byte, clk clock) error {
	putHex16(buf[len(buf)-16:], uint64(clk.now()))
	return dev.Publish(ctx, serialTopic, wamp.Payload{Args: wamp.List{string(buf)}}, nil)
}

// serialFlatOut publishes as fast as the link takes readings, for the
// warmup and then the measured duration, and fills res's rates.
func serialFlatOut(ctx context.Context, sc *serialConfig, dev *devclient.Client, link *countingLink,
	line *ptytest.Line, r *serialRouter, sub *serialSub, res *serialResult) error {
	msgs0, bytes0 := link.msgs.Load(), link.bytes.Load()
	stop := make(chan struct{})
	pubErr := make(chan error, 1)
	go func() {
		buf := []byte(payloadString(sc.size))
		for {
			select {
			case <-stop:
				pubErr <- nil
				return
			default:
			}
			if err := publishReading(ctx, dev, buf, sub.clk); err != nil {
				pubErr <- err
				return
			}
		}
	}()
	type snap struct {
		at             time.Time
		delivered, cpu uint64
		ab, ba         ptytest.LineStats
	}
	take := func() snap {
		ab, ba := line.Relay.Stats()
		return snap{time.Now(), sub.count.Load(), uint64(r.cpu()), ab, ba}
	}
	wait := func(d time.Duration) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-pubErr:
			return fmt.Errorf("device publish: %w", err)
		case <-time.After(d):
			return nil
		}
	}
	if err := wait(sc.warmup); err != nil {
		return err
	}
	a := take()
	if err := wait(sc.duration); err != nil {
		return err
	}
	b := take()
	close(stop)
	if err := <-pubErr; err != nil {
		return fmt.Errorf("device publish: %w", err)
	}
	// Let the link drain (at most one window in flight) before the next phase.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && sub.count.Load() < dev.Stats().Published; {
		time.Sleep(20 * time.Millisecond)
	}
	el := b.at.Sub(a.at).Seconds()
	lineRate := float64(res.LineBytesPerSec)
	res.Seconds = el
	res.Readings = b.delivered - a.delivered
	res.ReadingsPerSec = float64(res.Readings) / el
	if n := link.msgs.Load() - msgs0; n > 0 {
		res.WAMPBytesPerReading = float64(link.bytes.Load()-bytes0) / float64(n)
	}
	if res.Readings > 0 {
		res.FrameBytesPerReading = float64(b.ab.Bytes-a.ab.Bytes) / float64(res.Readings)
		res.AckBytesPerReading = float64(b.ba.Bytes-a.ba.Bytes) / float64(res.Readings)
		if b.cpu > a.cpu {
			res.RouterCPUPer1k = float64(b.cpu-a.cpu) / 1e6 / (float64(res.Readings) / 1000)
		}
	}
	res.PayloadShare = float64(sc.size) * res.ReadingsPerSec / lineRate
	res.WAMPShare = res.WAMPBytesPerReading * res.ReadingsPerSec / lineRate
	res.LineShare = float64(b.ab.Bytes-a.ab.Bytes) / el / lineRate
	res.IdleShare = float64(b.ab.Idle-a.ab.Idle) / el / lineRate
	res.LagShare = float64(b.ab.Lag-a.ab.Lag) / el / lineRate
	return nil
}

// serialSlow publishes sc.slowRate readings per second for sc.slowFor.
func serialSlow(ctx context.Context, sc *serialConfig, dev *devclient.Client, clk clock) error {
	if sc.slowFor <= 0 {
		return nil
	}
	buf := []byte(payloadString(sc.size))
	tick := time.NewTicker(time.Duration(float64(time.Second) / sc.slowRate))
	defer tick.Stop()
	end := time.After(sc.slowFor)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-end:
			time.Sleep(500 * time.Millisecond) // the last reading's delivery
			return nil
		case <-tick.C:
			if err := publishReading(ctx, dev, buf, clk); err != nil {
				return fmt.Errorf("device publish: %w", err)
			}
		}
	}
}

// serialCalls calls the device's procedure from the router side, one call
// at a time with a payload of sc.size bytes, for sc.callsFor.
func serialCalls(ctx context.Context, sc *serialConfig, caller *session) (*latency, error) {
	var h histogram
	arg := payloadString(sc.size)
	end := time.Now().Add(sc.callsFor)
	for id := wamp.ID(1); time.Now().Before(end) && ctx.Err() == nil; id++ {
		start := time.Now()
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := caller.request(cctx, &wamp.Call{Request: id, Options: wamp.Dict{}, Procedure: serialProc,
			Payload: wamp.Payload{Args: wamp.List{arg}}}, wamp.RESULT)
		cancel()
		if err != nil {
			return h.summary(), fmt.Errorf("call %s over the line: %w", serialProc, err)
		}
		h.record(int64(time.Since(start)))
	}
	return h.summary(), nil
}
