//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// serialConfig is the serial scenario's flags.
type serialConfig struct {
	bin        string        // the sensorbridge binary; "" runs minirouter in this process
	routerCPU  int           // the core sensorbridge is pinned to; -1: not pinned
	port       int           // sensorbridge's loopback RawSocket port
	baud       int           // the line's rate (8N1: baud/10 bytes/s)
	serializer string        // on the link: json or msgpack
	window     int           // the window both ends announce (0: the transport's default)
	size       int           // reading payload bytes
	duration   time.Duration // the measured flat-out phase
	warmup     time.Duration // flat out before the measurement
	slowRate   float64       // readings/s of the latency phase
	slowFor    time.Duration // the latency phase
	callsFor   time.Duration // the call phase (one call at a time)
	latency    time.Duration // the line's latency per byte (relay)
	byteErrors float64       // the line's byte error rate (relay)
	jsonOut    bool
	cpuProfile string // this process's CPU profile (the in-process router's with it)
}

// serialResult is what the serial scenario measured. Shares are of the
// line rate, baud/10 bytes/s (8N1) in each direction.
type serialResult struct {
	Router          string  `json:"router"`
	Baud            int     `json:"baud"`
	LineBytesPerSec int     `json:"line_bytes_per_sec"`
	Serializer      string  `json:"serializer"`
	Window          int     `json:"window"`
	PayloadBytes    int     `json:"payload_bytes"`
	Seconds         float64 `json:"seconds"`
	Readings        uint64  `json:"readings"` // delivered to the subscriber in the measured phase
	ReadingsPerSec  float64 `json:"readings_per_sec"`
	// Bytes per reading at each layer: the WAMP message (PUBLISH), the
	// link's frames on the line device -> gateway, and the line's bytes
	// gateway -> device (the link's ACKs).
	WAMPBytesPerReading  float64 `json:"wamp_bytes_per_reading"`
	FrameBytesPerReading float64 `json:"frame_bytes_per_reading"`
	AckBytesPerReading   float64 `json:"ack_bytes_per_reading"`
	// PayloadShare is 64 x readings/s over the line rate; WAMPShare (the
	// goodput, the link layer's efficiency) the WAMP message bytes
	// delivered per second over the line rate; LineShare the bytes the line
	// carried device -> gateway per second over the line rate (its
	// utilisation: below 1 the line idled).
	PayloadShare float64 `json:"payload_share"`
	WAMPShare    float64 `json:"wamp_share"`
	LineShare    float64 `json:"line_share"`
	// IdleShare is the line time device -> gateway lost with nothing to
	// send (the link stalled), LagShare the line time the relay modelling
	// the line lost to the machine's load (it could not keep up).
	IdleShare       float64  `json:"idle_share"`
	LagShare        float64  `json:"relay_lag_share"`
	Retransmissions uint64   `json:"retransmissions"`
	FrameErrors     uint64   `json:"frame_errors"` // frames the device dropped (CRC, COBS)
	Saturated       *latency `json:"latency_saturated,omitempty"`
	SlowRate        float64  `json:"slow_rate"`
	Latency         *latency `json:"latency,omitempty"` // device -> subscriber at SlowRate
	CallRTT         *latency `json:"call_rtt,omitempty"`
	RouterCPUPer1k  float64  `json:"router_cpu_ms_per_1000_readings,omitempty"`
	Load            string   `json:"loadavg"`
}

// runSerial is the serial scenario: a device (device.Client over
// serialtransport, as edge-agent runs it) on one end of a pty line paced at
// -baud, the router (sensorbridge's serial listener, or minirouter's in
// this process) on the other, and a subscriber and a caller on the router.
// The device publishes readings of -size bytes as fast as the link takes
// them (-warmup, then -duration measured), then -slow-rate per second for
// -slow-for (the delivery latency of a realistic load), then answers one
// call at a time from the router side for -calls-for (the round trip).
func runSerial(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sc := serialConfig{}
	fs := flag.NewFlagSet("wampbench serial", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&sc.bin, "sensorbridge", "", "the sensorbridge binary serving the line (empty: minirouter in this process, with the same serial listener)")
	fs.IntVar(&sc.routerCPU, "router-cpu", -1, "pin sensorbridge to this core (-1: not pinned)")
	fs.IntVar(&sc.port, "port", 0, "sensorbridge's loopback RawSocket port, for the subscriber and the caller (0: a free one)")
	fs.IntVar(&sc.baud, "baud", 115200, "the line's rate; 8N1 carries baud/10 bytes/s each way")
	fs.StringVar(&sc.serializer, "serializer", "msgpack", "the link's serializer: json or msgpack")
	fs.IntVar(&sc.window, "window", 0, "the link window both ends announce, 1..16 (0: the transport's default)")
	fs.IntVar(&sc.size, "size", 64, "reading payload bytes (at least 18: the send timestamp)")
	fs.DurationVar(&sc.duration, "duration", 5*time.Second, "the measured flat-out phase (at most 60s)")
	fs.DurationVar(&sc.warmup, "warmup", time.Second, "flat out before the measurement (at most 10s)")
	fs.Float64Var(&sc.slowRate, "slow-rate", 1, "readings per second in the latency phase")
	fs.DurationVar(&sc.slowFor, "slow-for", 10*time.Second, "the latency phase (0: none; at most 60s)")
	fs.DurationVar(&sc.callsFor, "calls-for", 3*time.Second, "the call phase (0: none; at most 60s)")
	fs.DurationVar(&sc.latency, "line-latency", 0, "the line's latency (beyond its byte time)")
	fs.Float64Var(&sc.byteErrors, "byte-errors", 0, "the line's byte error rate (one flipped bit per damaged byte)")
	fs.BoolVar(&sc.jsonOut, "json", false, "print the result as JSON")
	fs.StringVar(&sc.cpuProfile, "cpuprofile", "", "write this process's CPU profile (device, line relay and, without -sensorbridge, the router) to `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if sc.baud < 1200 || sc.baud > 4000000 || sc.size < minPayload || sc.size > 900 ||
		sc.duration <= 0 || sc.duration > time.Minute || sc.warmup < 0 || sc.warmup > 10*time.Second ||
		sc.slowRate <= 0 || sc.slowRate > 1000 || sc.slowFor < 0 || sc.slowFor > time.Minute ||
		sc.callsFor < 0 || sc.callsFor > time.Minute || sc.window < 0 || sc.window > 16 ||
		sc.byteErrors < 0 || sc.byteErrors > 0.1 || sc.latency < 0 || sc.latency > time.Second ||
		(sc.serializer != "json" && sc.serializer != "msgpack") || (sc.port != 0 && (sc.port < 1024 || sc.port > 65535)) {
		return errors.New("want -baud 1200..4000000, -size 18..900, -duration (0, 60s], -warmup [0, 10s], -slow-rate (0, 1000], " +
			"-slow-for and -calls-for [0, 60s], -window 0..16, -byte-errors [0, 0.1], -line-latency [0, 1s], -serializer json|msgpack, -port 0 or 1024..65535")
	}
	stopProf, err := startProfile(sc.cpuProfile)
	if err != nil {
		return err
	}
	res, err := serialRun(ctx, &sc)
	if perr := stopProf(); perr != nil && err == nil {
		err = perr
	}
	if res == nil {
		return err
	}
	if werr := writeJSONOrText(stdout, sc.jsonOut, res, res.text()); err == nil {
		err = werr
	}
	return err
}

// text is the result for people.
func (r *serialResult) text() string {
	s := fmt.Sprintf("serial %d baud (%d B/s), %s, window %d, %d-byte readings, router %s: %.1f readings/s over %.1fs\n",
		r.Baud, r.LineBytesPerSec, r.Serializer, r.Window, r.PayloadBytes, r.Router, r.ReadingsPerSec, r.Seconds)
	s += fmt.Sprintf("  per reading: %d B payload, %.1f B WAMP message, %.1f B of frames on the line, %.1f B back (ACKs)\n",
		r.PayloadBytes, r.WAMPBytesPerReading, r.FrameBytesPerReading, r.AckBytesPerReading)
	s += fmt.Sprintf("  share of the line rate: payload %.1f %%, WAMP messages (goodput) %.1f %%, line busy %.1f %% (idle %.1f %%, relay lag %.1f %%)\n",
		100*r.PayloadShare, 100*r.WAMPShare, 100*r.LineShare, 100*r.IdleShare, 100*r.LagShare)
	s += fmt.Sprintf("  retransmissions %d, frame errors %d\n", r.Retransmissions, r.FrameErrors)
	lat := func(name string, l *latency) {
		if l != nil {
			s += fmt.Sprintf("  %s: n %d, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", name, l.Count, l.P50/1e3, l.P99/1e3, l.Max/1e3)
		}
	}
	lat("latency flat out", r.Saturated)
	lat(fmt.Sprintf("latency at %g/s", r.SlowRate), r.Latency)
	lat("call round trip", r.CallRTT)
	if r.RouterCPUPer1k > 0 {
		s += fmt.Sprintf("  router CPU %.1f ms per 1,000 readings\n", r.RouterCPUPer1k)
	}
	return s + "  loadavg " + r.Load + "\n"
}
