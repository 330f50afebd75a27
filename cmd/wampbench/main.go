// Command wampbench is a load generator for WAMP routers (ours or any
// other) and, for the fan-out, MQTT 3.1.1 brokers.
//
// Usage:
//
//	wampbench fanout [-url U] [-pubs P] [-subs S] [-size B] [-rate R | -window W -batch N] [-ack-every N] [-mqtt tcp://H:P]
//	wampbench rpc    [-url U] [-callers C] [-inflight W] [-size B]
//	wampbench idle   [-url U] [-sessions N] [-router-pid PID] [-mqtt tcp://H:P]
//	wampbench devices [-url U] [-devices N] [-interval D] [-backends M] [-call-rate R] [-upstream U] [-router-pid PID] [-mqtt tcp://H:P]
//	wampbench serve  [-listen U] [-max-sessions N] [-cpuprofile F] [-for D]
//	wampbench serial [-baud B] [-serializer json|msgpack] [-sensorbridge BIN [-router-cpu N]] [-window W] [-duration D] [-slow-rate R -slow-for D] [-calls-for D]
//
// Every scenario takes -url (rs://host:port, tcp://host:port,
// unix:///path or ws://host:port/path), -serializer json|msgpack|cbor (default
// the URL's ?serializer=, else msgpack), -realm (realm1), -duration (3s, at
// most 60s), -json (print the result as JSON instead of text), -cpuprofile
// FILE, -serve (run against minirouter started in this process on a
// loopback port) and -allow-remote (without it, targets other than
// loopback addresses, "localhost" and Unix sockets are refused).
//
// fanout joins S subscribers to one topic and P publishers that publish
// payloads of B bytes ending in a send timestamp. Without -rate each
// publisher writes batches of -batch pre-encoded PUBLISHes (one write per
// batch) as fast as a window of -window publishes in flight allows; in
// flight means not yet delivered to every subscriber or, with -ack-every N,
// not yet acknowledged (every Nth publish asks for PUBLISHED). With -rate R
// the publishers together publish R per second. It reports published/s,
// delivered/s, the delivery ratio (delivered / (published × S)) and the
// end-to-end latency of the events (p50, p90, p99, max). With -mqtt it
// runs the same fan-out over MQTT 3.1.1 (QoS 0) against that broker.
//
// rpc registers a procedure on one callee session and runs C caller
// sessions with W calls each in flight; it reports calls/s and the round
// trip latency. idle joins N sessions and holds them; given -router-pid it
// reads the router's VmRSS from /proc/PID/status before and after and
// reports kilobytes per session; with -mqtt it holds N MQTT clients
// (clean session, keepalive off) against that broker instead.
//
// devices models a gateway's load: N device sessions each publish one
// reading every -interval on their own topic and register one procedure,
// called at -call-rate over all of them; M backends subscribe to every
// reading with one wildcard subscription; with -upstream one more
// subscriber on the gateway's upstream router sees what the uplink
// forwards. It reports the readings' delivery latency (backends and
// upstream), the calls' round trip, and with -router-pid the gateway's CPU
// time per 1,000 readings and its VmRSS. With -mqtt, N MQTT clients
// publish and M subscribe with a + wildcard (no calls).
//
// serial (Linux) runs a device (device.Client over serialtransport, as
// edge-agent does) on a serial line made of two ptys and a relay paced at
// -baud (8N1: baud/10 bytes/s each way), with sensorbridge's serial
// listener (-sensorbridge BIN) or minirouter's in this process on the other
// end. The device publishes readings of -size bytes as fast as the link
// takes them, then -slow-rate per second, and answers calls made one at a
// time from the router side; it reports readings/s, the bytes of each layer
// per reading (payload, WAMP message, link frames, ACKs back) and their
// shares of the line rate, the delivery latency and the call round trip.
//
// serve runs minirouter alone in this process, so that it can be pinned to
// a core with taskset and profiled with -cpuprofile:
//
//	taskset -c 0 wampbench serve -listen rs://127.0.0.1:9000 -cpuprofile router.prof &
//	taskset -c 1 wampbench fanout -url rs://127.0.0.1:9000 -subs 10
//
// The hot loops work on the transport directly with pre-encoded messages
// (only the request ID and the timestamp are patched in), so the generator
// itself spends little per message. BENCHMARKS.md has the measured figures
// and the command lines that produce them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"syscall"
)

// startHint tells how to start a router to measure when none answers.
const startHint = `no router there? Start one pinned to core 0 and load it from core 1:
  taskset -c 0 sensorbridge -listen rs://127.0.0.1:8081 -log-level error &
  taskset -c 1 wampbench fanout -url rs://127.0.0.1:8081
or run minirouter alone (wampbench serve -listen rs://127.0.0.1:8081), or in this process (-serve)`

const usageText = `usage: wampbench fanout|rpc|idle|devices|serve [flags]   (wampbench SCENARIO -h lists the flags)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wampbench:", err)
		os.Exit(1)
	}
}

// run parses args and runs the scenario (or serve), writing the result to
// stdout. Interrupting ctx ends the load early and still reports.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "serve" {
		return runServe(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && extraScenarios[args[0]] != nil {
		return extraScenarios[args[0]](ctx, args[1:], stdout, stderr)
	}
	c, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	r, err := runScenario(ctx, c)
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
		err = fmt.Errorf("%w\n%s", err, startHint)
	}
	if r != nil {
		if werr := r.write(stdout, c.jsonOut); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// runScenario runs c's scenario (starting the in-process router and the
// CPU profile when asked) and returns its result.
func runScenario(ctx context.Context, c *config) (res *result, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.duration+setupTimeout+drainTimeout+10e9)
	defer cancel()
	stopProf, err := startProfile(c.cpuProfile)
	if err != nil {
		return nil, err
	}
	defer func() {
		if perr := stopProf(); perr != nil && err == nil {
			err = perr
		}
	}()
	if c.mqtt != "" {
		switch c.scenario {
		case "idle":
			return runMQTTIdle(ctx, c)
		case "devices":
			return runMQTTDevices(ctx, c)
		}
		return runMQTTFanout(ctx, c)
	}
	targetURL := c.url
	if c.serve {
		lr, err := startRouter(inProcessListen(c.url), maxSessions)
		if err != nil {
			return nil, err
		}
		defer lr.close()
		targetURL = lr.url
	}
	ser := c.serializer
	if u, perr := url.Parse(c.url); ser == "" && perr == nil {
		ser = u.Query().Get("serializer")
	}
	tg, err := newTarget(targetURL, ser)
	if err != nil {
		return nil, err
	}
	switch c.scenario {
	case "fanout":
		res, err = runFanout(ctx, c, tg)
	case "rpc":
		res, err = runRPC(ctx, c, tg)
	case "devices":
		res, err = runDevices(ctx, c, tg)
	default:
		return runIdle(ctx, c, tg) // writes the heap profile itself, while the sessions are held
	}
	if perr := writeHeapProfile(c.memProfile); perr != nil && err == nil {
		err = perr
	}
	return res, err
}

// inProcessListen picks the in-process router's listener for -serve: the
// same transport as -url, on a free loopback port (or a temporary socket).
func inProcessListen(rawURL string) string {
	switch {
	case len(rawURL) >= 5 && rawURL[:5] == "ws://":
		return "ws://127.0.0.1:0/ws"
	case len(rawURL) >= 7 && rawURL[:7] == "unix://":
		return "unix://"
	}
	return "rs://127.0.0.1:0"
}
