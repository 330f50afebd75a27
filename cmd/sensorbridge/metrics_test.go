package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/uplink"
	"github.com/edgewamp/edgewamp/wamp"
)

// promFamily is one metric family as parsePromText reads it.
type promFamily struct {
	help, typ string
	samples   map[string]float64 // by canonical label set: `url="...",kind="..."`, "" without labels
}

// parsePromText parses the Prometheus text exposition format (0.0.4)
// strictly, as a scraper would reject it: every family has one HELP and one
// TYPE line before its samples, and its samples are contiguous; metric and
// label names are valid; label values use only the \\, \" and \n escapes;
// values are floats (or NaN, +Inf, -Inf); a series appears once; the
// document ends with a newline; counters are never negative.
func parsePromText(text string) (map[string]*promFamily, error) {
	if text == "" || !strings.HasSuffix(text, "\n") {
		return nil, errors.New("empty, or no newline at the end")
	}
	fams := map[string]*promFamily{}
	var cur string // family whose samples may follow
	done := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		fail := func(format string, a ...any) error {
			return fmt.Errorf("line %d %q: %s", n, line, fmt.Sprintf(format, a...))
		}
		if strings.HasPrefix(line, "#") {
			f := strings.SplitN(line, " ", 4)
			if len(f) < 3 || (f[1] != "HELP" && f[1] != "TYPE") {
				continue // a comment
			}
			name := f[2]
			if !validMetricName(name) {
				return nil, fail("bad metric name")
			}
			if done[name] {
				return nil, fail("family %s seen before, not contiguous", name)
			}
			if cur != "" && cur != name {
				done[cur] = true
			}
			cur = name
			fam := fams[name]
			if fam == nil {
				fam = &promFamily{samples: map[string]float64{}}
				fams[name] = fam
			}
			if len(fam.samples) > 0 {
				return nil, fail("HELP or TYPE after the family's samples")
			}
			text := ""
			if len(f) == 4 {
				text = f[3]
			}
			if f[1] == "HELP" {
				if fam.help != "" {
					return nil, fail("second HELP")
				}
				if text == "" {
					return nil, fail("empty HELP")
				}
				fam.help = text
			} else {
				if fam.typ != "" {
					return nil, fail("second TYPE")
				}
				switch text {
				case "counter", "gauge", "untyped", "summary", "histogram":
				default:
					return nil, fail("bad type %q", text)
				}
				fam.typ = text
			}
			continue
		}
		if strings.TrimSpace(line) == "" {
			return nil, fail("blank line")
		}
		name, labels, value, err := parseSample(line)
		if err != nil {
			return nil, fail("%v", err)
		}
		if name != cur || fams[name] == nil {
			return nil, fail("sample outside its family (want %s)", cur)
		}
		fam := fams[name]
		if fam.help == "" || fam.typ == "" {
			return nil, fail("sample before the family's HELP and TYPE")
		}
		if _, dup := fam.samples[labels]; dup {
			return nil, fail("series repeated")
		}
		if fam.typ == "counter" && (value < 0 || math.IsNaN(value)) {
			return nil, fail("counter %v", value)
		}
		fam.samples[labels] = value
	}
	for name, fam := range fams {
		if len(fam.samples) == 0 {
			return nil, fmt.Errorf("family %s has no sample", name)
		}
	}
	return fams, sc.Err()
}

// parseSample parses `name{l="v",...} value`, returning the labels as
// written once unescaped and checked.
func parseSample(line string) (name, labels string, value float64, err error) {
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		return "", "", 0, errors.New("no value")
	}
	name, rest := line[:i], line[i:]
	if !validMetricName(name) {
		return "", "", 0, errors.New("bad metric name")
	}
	if rest[0] == '{' {
		var b strings.Builder
		seen := map[string]bool{}
		rest = rest[1:]
		for {
			eq := strings.IndexByte(rest, '=')
			if eq <= 0 {
				return "", "", 0, errors.New("label without =")
			}
			ln := rest[:eq]
			if !validLabelName(ln) || seen[ln] {
				return "", "", 0, fmt.Errorf("bad or repeated label name %q", ln)
			}
			seen[ln] = true
			rest = rest[eq+1:]
			if rest == "" || rest[0] != '"' {
				return "", "", 0, errors.New("label value not quoted")
			}
			j := 1
			for ; j < len(rest) && rest[j] != '"'; j++ {
				if rest[j] == '\\' {
					j++
					if j == len(rest) || (rest[j] != '\\' && rest[j] != '"' && rest[j] != 'n') {
						return "", "", 0, errors.New("bad escape in a label value")
					}
				}
			}
			if j == len(rest) {
				return "", "", 0, errors.New("label value not closed")
			}
			fmt.Fprintf(&b, "%s=%s,", ln, rest[:j+1])
			rest = rest[j+1:]
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
			}
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
		}
		labels = strings.TrimSuffix(b.String(), ",")
	}
	if !strings.HasPrefix(rest, " ") {
		return "", "", 0, errors.New("no space before the value")
	}
	f := strings.Fields(rest)
	if len(f) == 0 || len(f) > 2 {
		return "", "", 0, errors.New("want a value and an optional timestamp")
	}
	value, err = strconv.ParseFloat(f[0], 64)
	if err != nil {
		return "", "", 0, fmt.Errorf("value: %w", err)
	}
	if len(f) == 2 {
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			return "", "", 0, fmt.Errorf("timestamp: %w", err)
		}
	}
	return name, labels, value, nil
}

func validMetricName(s string) bool {
	for i, c := range s {
		if !(c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

func validLabelName(s string) bool {
	return validMetricName(s) && !strings.Contains(s, ":")
}

// TestParsePromTextRejects: the parser the metrics test relies on refuses
// what a scraper refuses.
func TestParsePromTextRejects(t *testing.T) {
	head := "# HELP a_total A.\n# TYPE a_total counter\n"
	for _, bad := range []string{
		"",
		head + "a_total 1",              // no final newline
		"a_total 1\n",                   // no HELP/TYPE
		head + "a_total{x=\"\\t\"} 1\n", // bad escape
		head + "a_total{x=1} 1\n",       // unquoted
		head + "a_total -1\n",           // negative counter
		head + "a_total 1\na_total 2\n", // repeated series
		head + "a_total one\n",          // not a number
		head + "b_total 1\n",            // outside its family
		head + "a_total 1\n# HELP b B.\n# TYPE b gauge\nb 1\n" + head + "a_total{x=\"y\"} 1\n", // not contiguous
		"# HELP 1a A.\n# TYPE 1a gauge\n1a 1\n",                                                // bad name
		head + "a_total{x=\"1\",x=\"2\"} 1\n",                                                  // repeated label
		"# HELP a A.\n# TYPE a meter\na 1\n",                                                   // bad type
	} {
		if _, err := parsePromText(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if _, err := parsePromText(head + "a_total{x=\"a\\\"b\\\\c\\nd\",y=\"\"} 1.5e3 1700000000000\n"); err != nil {
		t.Error(err)
	}
}

// TestMetrics reads /metrics from a gateway with two listeners, the demo
// device and an uplink that cannot connect, parses it strictly, and checks
// the families and figures that must be there.
func TestMetrics(t *testing.T) {
	sock := "unix://" + filepath.Join(t.TempDir(), "sb.sock")
	ws := "ws://127.0.0.1:0/ws"
	addrs := mustStart(t, map[string]any{
		"listeners": []any{map[string]any{"url": sock}, map[string]any{"url": ws}},
		"demo":      true,
		"uplink":    map[string]any{"url": "ws://127.0.0.1:1/ws", "min_backoff": "50ms"},
		"dashboard": map[string]any{"listen": "127.0.0.1:0"},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := dialRetry(t, ctx, sock, device.Config{Realm: "realm1"})
	if err := c.Publish(ctx, "x.y", wamp.Payload{Args: wamp.List{1}}, &device.PublishOptions{Acknowledge: true}); err != nil {
		t.Fatal(err)
	}

	var fams map[string]*promFamily
	for {
		resp, err := http.Get("http://" + addrs["dashboard"] + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
			t.Fatalf("GET /metrics: %d %q", resp.StatusCode, ct)
		}
		if fams, err = parsePromText(string(body)); err != nil {
			t.Fatalf("%v\n%s", err, body)
		}
		if f := fams["edgewamp_uplink_dial_errors_total"]; f != nil && f.samples[""] > 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no uplink dial error counted:\n%s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	want := func(name, typ, labels string, ok func(float64) bool) {
		t.Helper()
		f := fams[name]
		if f == nil {
			t.Errorf("no family %s", name)
			return
		}
		if f.typ != typ {
			t.Errorf("%s: type %s, want %s", name, f.typ, typ)
		}
		if v, found := f.samples[labels]; !found || !ok(v) {
			t.Errorf("%s{%s} = %v (found %v)", name, labels, v, found)
		}
	}
	positive := func(v float64) bool { return v > 0 }
	zero := func(v float64) bool { return v == 0 }
	want("edgewamp_uptime_seconds", "gauge", "", func(v float64) bool { return v >= 0 })
	want("edgewamp_router_sessions", "gauge", "", func(v float64) bool { return v >= 3 }) // stats, demo, the test's client
	want("edgewamp_router_messages_in_total", "counter", "", positive)
	want("edgewamp_router_auth_failures_total", "counter", "", zero)
	want("edgewamp_listener_sessions", "gauge", `url="`+sock+`",kind="rawsocket"`, func(v float64) bool { return v == 1 })
	want("edgewamp_listener_connections_total", "counter", `url="`+sock+`",kind="rawsocket"`, positive)
	want("edgewamp_listener_connections_total", "counter", `url="`+ws+`",kind="websocket"`, zero)
	want("edgewamp_uplink_joined", "gauge", "", zero)
	want("edgewamp_uplink_dial_errors_total", "counter", "", positive)
	want("edgewamp_uplink_queue_dropped_total", "counter", "", zero)
	want("edgewamp_uplink_queue_memory_only", "gauge", "", zero)
	want("edgewamp_uplink_queue_file_damaged_total", "counter", "", zero)
	want("edgewamp_uplink_last_error_timestamp_seconds", "gauge", "", func(v float64) bool {
		return v > float64(time.Now().Add(-time.Minute).Unix()) && v <= float64(time.Now().Unix()+1)
	})
	if f := fams[lastErrorInfo]; f == nil || len(f.samples) != 1 {
		t.Errorf("%s: %+v, want one series", lastErrorInfo, f)
	} else {
		for labels, v := range f.samples {
			if !strings.HasPrefix(labels, `error="device: connecting failed: `) || v != 1 {
				t.Errorf("%s{%s} = %v", lastErrorInfo, labels, v)
			}
		}
	}
	for name, f := range fams {
		if !strings.HasPrefix(name, "edgewamp_") {
			t.Errorf("family %s: not edgewamp_", name)
		}
		if (f.typ == "counter") != strings.HasSuffix(name, "_total") {
			t.Errorf("family %s is a %s", name, f.typ)
		}
	}
	for _, m := range serialMetrics { // no serial line here: no serial families
		if fams[m.name] != nil {
			t.Errorf("family %s without a serial line", m.name)
		}
	}
}

// TestLastErrorInfo: the uplink's last error is one info series whose label
// is escaped and cut to maxErrorLabel bytes (at a rune boundary), and none
// without an error.
func TestLastErrorInfo(t *testing.T) {
	long := strings.Repeat("é", maxErrorLabel) // 2 bytes a rune: the cut falls inside none
	tests := []struct {
		name, text, label string
	}{
		{"none", "", ""},
		{"escaped", "dial \"x\": a\\b\nc", `error="dial \"x\": a\\b\nc"`},
		{"cut", long, `error="` + long[:maxErrorLabel] + `…"`},
		{"cut in a rune", "x" + long, `error="x` + long[:maxErrorLabel-2] + `…"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			writeLastError(&b, &uplink.Stats{LastError: tt.text})
			if tt.text == "" {
				if b.Len() != 0 {
					t.Errorf("wrote %q without an error", b.String())
				}
				return
			}
			fams, err := parsePromText(b.String())
			if err != nil {
				t.Fatalf("%v\n%s", err, b.String())
			}
			f := fams[lastErrorInfo]
			if f == nil || f.typ != "gauge" || len(f.samples) != 1 || f.samples[tt.label] != 1 {
				t.Errorf("%s", b.String())
			}
		})
	}
}

// TestEveryRouterStatShown: each field of minirouter.Stats is in /stats and
// has a /metrics family, so a counter added to the router cannot be left
// out of both. Each field gets a distinct value; each value must show.
func TestEveryRouterStatShown(t *testing.T) {
	var s minirouter.Stats
	v := reflect.ValueOf(&s).Elem()
	for i := 0; i < v.NumField(); i++ {
		v.Field(i).SetUint(uint64(1000 + i))
	}
	shown := map[uint64]bool{}
	for _, x := range routerDict(&s) {
		shown[x.(uint64)] = true
	}
	metered := map[uint64]bool{}
	for _, m := range routerMetrics {
		metered[uint64(m.value(&s))] = true
	}
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Name
		if !shown[uint64(1000+i)] {
			t.Errorf("minirouter.Stats.%s is not in /stats (routerDict)", name)
		}
		if !metered[uint64(1000+i)] {
			t.Errorf("minirouter.Stats.%s has no /metrics family (routerMetrics)", name)
		}
	}
}

// TestEveryListenerStatMetered: each field of listen.Stats has a /metrics
// family (see TestEveryRouterStatShown).
func TestEveryListenerStatMetered(t *testing.T) {
	var s listen.Stats
	v := reflect.ValueOf(&s).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.CanUint() {
			f.SetUint(uint64(1000 + i))
		} else {
			f.SetInt(int64(1000 + i))
		}
	}
	metered := map[float64]bool{}
	for _, m := range listenerMetrics {
		metered[m.value(&s)] = true
	}
	for i := 0; i < v.NumField(); i++ {
		if !metered[float64(1000+i)] {
			t.Errorf("listen.Stats.%s has no /metrics family (listenerMetrics)", v.Type().Field(i).Name)
		}
	}
}

// TestHistoryMetrics: a realm with event history rules has its figures in
// /metrics (labelled by realm) and in /stats; a realm without has none.
func TestHistoryMetrics(t *testing.T) {
	sock := "unix://" + filepath.Join(t.TempDir(), "sb.sock")
	addrs := mustStart(t, map[string]any{
		"listeners": []any{map[string]any{"url": sock}},
		"realms": []any{
			map[string]any{"name": "realm1", "history": []any{map[string]any{"topic": "x", "match": "prefix", "limit": 2}}},
			map[string]any{"name": "other"},
		},
		"dashboard": map[string]any{"listen": "127.0.0.1:0"},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := dialRetry(t, ctx, sock, device.Config{Realm: "realm1"})
	for i := 0; i < 3; i++ {
		if err := c.Publish(ctx, "x.y", wamp.Payload{Args: wamp.List{i}}, &device.PublishOptions{Acknowledge: true}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Get("http://" + addrs["dashboard"] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fams, err := parsePromText(string(body))
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	f := fams["edgewamp_history_events"]
	if f == nil || f.samples[`realm="realm1"`] != 2 || len(f.samples) != 1 {
		t.Errorf("edgewamp_history_events: %+v", f)
	}
	if f := fams["edgewamp_history_bytes"]; f == nil || f.samples[`realm="realm1"`] <= 0 {
		t.Errorf("edgewamp_history_bytes: %+v", f)
	}
	res, err := c.Call(ctx, statsProcedure, wamp.Payload{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := res.Kwargs["history"].(wamp.Dict)
	if r1, _ := h["realm1"].(wamp.Dict); len(h) != 1 || r1 == nil || r1["events"] != int64(2) {
		t.Errorf("/stats history: %v", h)
	}
}
