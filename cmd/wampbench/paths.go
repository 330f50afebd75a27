package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// extraScenarios are the scenarios with their own flags (run by run before
// the shared ones are parsed).
var extraScenarios = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"joins": runJoins,
	"fleet": runFleet,
}

// benchTLS is the generator's TLS client config for rss:// and wss://: it
// does not verify the router's certificate (the generator measures a router
// it was pointed at, by default on this machine only); with resume, it keeps
// TLS sessions (tickets) for resumption.
func benchTLS(resume bool) *tls.Config {
	conf := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}
	if resume {
		conf.ClientSessionCache = tls.NewLRUClientSessionCache(16)
	}
	return conf
}

// dialTLS opens an rss:// or wss:// transport to the router with tg.tls
// (benchTLS(true) when nil).
func dialTLS(ctx context.Context, u *url.URL, tg *target) (wamp.Transport, error) {
	conf := tg.tls
	if conf == nil {
		conf = benchTLS(true)
	}
	if strings.EqualFold(u.Scheme, "rss") {
		return rawsocket.Dial(ctx, "tcp", u.Host, rawsocket.ClientConfig{Serializer: tg.ser, MaxMessageSize: maxMessage, TLS: conf})
	}
	q := u.Query()
	q.Del("serializer")
	u.RawQuery = q.Encode()
	return wstransport.Dial(ctx, u.String(), wstransport.ClientConfig{Serializer: tg.ser, MaxMessageSize: maxMessage, TLS: conf})
}

// tlsStater is a transport over TLS that tells its state.
type tlsStater interface {
	TLSConnectionState() (tls.ConnectionState, bool)
}

// joinsResult is what the joins scenario measured.
type joinsResult struct {
	URL        string  `json:"url"`
	Serializer string  `json:"serializer"`
	Resume     bool    `json:"resume"`
	Curve      string  `json:"curve,omitempty"`
	Joins      int     `json:"joins"`
	Resumed    int     `json:"resumed"`
	Failed     int     `json:"failed"`
	Seconds    float64 `json:"seconds"`
	JoinP50us  float64 `json:"join_p50_us"`
	JoinP99us  float64 `json:"join_p99_us"`
	RouterCPU  float64 `json:"router_cpu_s,omitempty"`
	CPUPerJoin float64 `json:"router_cpu_per_join_us,omitempty"`
	Load       string  `json:"loadavg"`
	// ClientCPUPerJoin is this process's CPU time per join: the device's
	// side of the handshake (certificate verification, key exchange).
	ClientCPUPerJoin float64 `json:"client_cpu_per_join_us"`
}

// runJoins is the joins scenario: N sessions one after another each dial
// (a fresh connection, so a full or resumed TLS handshake), join, say
// GOODBYE and close; with -router-pid it reads the router's CPU time
// (utime + stime of /proc/PID/stat) before and after and reports CPU time
// per join. With -resume the client keeps a TLS session cache, so every
// join after the first resumes.
func runJoins(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("wampbench joins", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rawURL := fs.String("url", "rss://127.0.0.1:8083", "router URL: rss://host:port, wss://host:port/path, or rs:// / ws:// for the no-TLS baseline")
	ser := fs.String("serializer", "msgpack", "json, msgpack or cbor")
	realm := fs.String("realm", "realm1", "realm to join")
	n := fs.Int("joins", 500, "joins, one after another (at most 100000)")
	resume := fs.Bool("resume", false, "keep a TLS session cache: joins after the first resume the TLS session")
	curve := fs.String("curve", "", "offer only this key exchange: x25519 (default: crypto/tls's, X25519MLKEM768 first)")
	pid := fs.Int("router-pid", 0, "router process: read its CPU time from /proc/PID/stat before and after")
	maxDur := fs.Duration("duration", 60*time.Second, "stop after this long even if joins remain (at most 5m)")
	jsonOut := fs.Bool("json", false, "print the result as JSON")
	allowRemote := fs.Bool("allow-remote", false, "allow a target that is not on this machine")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > 100000 || *maxDur <= 0 || *maxDur > 5*time.Minute {
		return errors.New("-joins must be 1..100000 and -duration in (0, 5m]")
	}
	if err := checkTarget(*rawURL, *allowRemote, "rss", "wss", "rs", "tcp", "ws"); err != nil {
		return err
	}
	tg, err := newTarget(*rawURL, *ser)
	if err != nil {
		return err
	}
	res := joinsResult{URL: *rawURL, Serializer: tg.ser.Name(), Resume: *resume}
	tg.tls = benchTLS(*resume)
	switch *curve {
	case "":
	case "x25519":
		tg.tls.CurvePreferences = []tls.CurveID{tls.X25519}
	default:
		return fmt.Errorf("-curve %q: want x25519", *curve)
	}
	res.Curve = *curve
	ctx, cancel := context.WithTimeout(ctx, *maxDur)
	defer cancel()
	var cpu0 time.Duration
	if *pid > 0 {
		if cpu0, err = procCPU(*pid); err != nil {
			return err
		}
	}
	lat := make([]time.Duration, 0, *n)
	self0 := selfCPU()
	start := time.Now()
	for i := 0; i < *n && ctx.Err() == nil; i++ {
		t0 := time.Now()
		jctx, jcancel := context.WithTimeout(ctx, 10*time.Second)
		s, err := tg.join(jctx, *realm)
		jcancel()
		if err != nil {
			res.Failed++
			if res.Failed > 10 && res.Failed > *n/10 {
				return fmt.Errorf("%d joins failed, the last: %w", res.Failed, err)
			}
			continue
		}
		lat = append(lat, time.Since(t0))
		if ts, ok := s.t.(tlsStater); ok {
			if st, isTLS := ts.TLSConnectionState(); isTLS && st.DidResume {
				res.Resumed++
			}
		}
		s.leave()
	}
	res.Seconds = time.Since(start).Seconds()
	res.Joins = len(lat)
	if res.Joins > 0 {
		res.ClientCPUPerJoin = float64((selfCPU() - self0).Microseconds()) / float64(res.Joins)
	}
	if *pid > 0 {
		time.Sleep(200 * time.Millisecond) // the router's side of the last close
		cpu1, err := procCPU(*pid)
		if err != nil {
			return err
		}
		res.RouterCPU = (cpu1 - cpu0).Seconds()
		if res.Joins > 0 {
			res.CPUPerJoin = float64((cpu1 - cpu0).Microseconds()) / float64(res.Joins)
		}
	}
	slices.Sort(lat)
	res.JoinP50us, res.JoinP99us = quantileUS(lat, 0.50), quantileUS(lat, 0.99)
	res.Load = loadavg()
	return writeJSONOrText(stdout, *jsonOut, res, fmt.Sprintf(
		"joins %s (%s, resume %v): %d joined (%d TLS sessions resumed, %d failed) in %.1fs; join p50 %.0f µs, p99 %.0f µs; router CPU %.3fs = %.0f µs per join; client %.0f µs per join; loadavg %s\n",
		res.URL, res.Serializer, res.Resume, res.Joins, res.Resumed, res.Failed, res.Seconds, res.JoinP50us, res.JoinP99us, res.RouterCPU, res.CPUPerJoin, res.ClientCPUPerJoin, res.Load))
}

// quantileUS is the q quantile of sorted durations, in microseconds.
func quantileUS(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[int(q*float64(len(sorted)-1))]) / 1e3
}

// procCPU reads a process's user + system CPU time from /proc/PID/stat
// (clock ticks of 10 ms: runs should cost seconds, not milliseconds).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("router CPU: %w", err)
	}
	return parseProcCPU(b)
}

// parseProcCPU takes utime and stime (fields 14 and 15) from a
// /proc/PID/stat text; the command name in parentheses may hold spaces.
func parseProcCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("router CPU: /proc/PID/stat without a command name")
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("router CPU: /proc/PID/stat too short")
	}
	var ticks int64
	for _, s := range f[11:13] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("router CPU: %w", err)
		}
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// loadavg is the first three fields of /proc/loadavg ("?" if unreadable):
// figures taken on a loaded machine say so.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// writeJSONOrText writes v as one JSON line, or text.
func writeJSONOrText(w io.Writer, asJSON bool, v any, text string) error {
	if asJSON {
		return json.NewEncoder(w).Encode(v)
	}
	_, err := io.WriteString(w, text)
	return err
}

// selfCPU is this process's user + system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
