package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
)

// result is one run's report; scenario-specific fields are omitted from the
// JSON when they do not apply.
type result struct {
	Scenario   string  `json:"scenario"`
	Target     string  `json:"target"`
	Protocol   string  `json:"protocol"` // "wamp" or "mqtt"
	Serializer string  `json:"serializer,omitempty"`
	Seconds    float64 `json:"seconds"`
	GOMAXPROCS int     `json:"gomaxprocs"`

	Publishers      int     `json:"publishers,omitempty"`
	Subscribers     int     `json:"subscribers,omitempty"`
	PayloadBytes    int     `json:"payload_bytes,omitempty"`
	TargetRate      float64 `json:"target_rate,omitempty"`
	Published       uint64  `json:"published,omitempty"`
	Delivered       uint64  `json:"delivered,omitempty"`
	PublishedPerSec float64 `json:"published_per_sec,omitempty"`
	DeliveredPerSec float64 `json:"delivered_per_sec,omitempty"`
	DeliveryRatio   float64 `json:"delivery_ratio,omitempty"`

	Callers     int     `json:"callers,omitempty"`
	InFlight    int     `json:"in_flight,omitempty"`
	Calls       uint64  `json:"calls,omitempty"`
	Answered    uint64  `json:"answered,omitempty"`
	CallErrors  uint64  `json:"call_errors,omitempty"`
	CallsPerSec float64 `json:"calls_per_sec,omitempty"`

	Sessions        int     `json:"sessions,omitempty"`
	JoinSeconds     float64 `json:"join_seconds,omitempty"`
	RouterPID       int     `json:"router_pid,omitempty"`
	RouterRSSBefore int64   `json:"router_rss_before_kb,omitempty"`
	RouterRSSAfter  int64   `json:"router_rss_after_kb,omitempty"`
	KBPerSession    float64 `json:"kb_per_session,omitempty"`

	Devices           int      `json:"devices,omitempty"`
	IntervalSeconds   float64  `json:"interval_s,omitempty"`
	CallLatency       *latency `json:"call_latency,omitempty"`
	UpstreamDelivered uint64   `json:"upstream_delivered,omitempty"`
	UpstreamLatency   *latency `json:"upstream_latency,omitempty"`
	RouterCPUSeconds  float64  `json:"router_cpu_s,omitempty"`
	RouterCPUShare    float64  `json:"router_cpu_share,omitempty"` // of one core, over the load and its drain
	CPUPerKReadings   float64  `json:"router_cpu_ms_per_1000,omitempty"`

	Latency *latency `json:"latency,omitempty"`
	Notes   []string `json:"notes,omitempty"`
}

// newResult fills the fields every scenario has.
func newResult(c *config, target, protocol, serializer string) *result {
	return &result{Scenario: c.scenario, Target: target, Protocol: protocol, Serializer: serializer,
		GOMAXPROCS: runtime.GOMAXPROCS(0)}
}

// write prints r as text or, with asJSON, as one JSON object.
func (r *result) write(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	ser := r.Serializer
	if ser != "" {
		ser = " " + ser
	}
	fmt.Fprintf(w, "%s against %s (%s%s), %.2f s, GOMAXPROCS %d\n", r.Scenario, r.Target, r.Protocol, ser, r.Seconds, r.GOMAXPROCS)
	switch r.Scenario {
	case "fanout":
		rate := "as fast as the window allows"
		if r.TargetRate > 0 {
			rate = fmt.Sprintf("at %.0f publishes/s", r.TargetRate)
		}
		fmt.Fprintf(w, "  %d publisher(s) -> %d subscriber(s), %d B payload, %s\n", r.Publishers, r.Subscribers, r.PayloadBytes, rate)
		fmt.Fprintf(w, "  published      %12d  %12.0f /s\n", r.Published, r.PublishedPerSec)
		fmt.Fprintf(w, "  delivered      %12d  %12.0f /s\n", r.Delivered, r.DeliveredPerSec)
		fmt.Fprintf(w, "  delivery ratio %12.4f\n", r.DeliveryRatio)
	case "rpc":
		fmt.Fprintf(w, "  %d caller(s) x %d in flight\n", r.Callers, r.InFlight)
		fmt.Fprintf(w, "  calls          %12d  %12.0f /s\n", r.Calls, r.CallsPerSec)
		fmt.Fprintf(w, "  answered       %12d  (errors %d)\n", r.Answered, r.CallErrors)
	case "devices":
		fmt.Fprintf(w, "  %d devices, one reading each per %.3g s, %d B payload; %d backend subscriber(s)\n", r.Devices, r.IntervalSeconds, r.PayloadBytes, r.Subscribers)
		fmt.Fprintf(w, "  readings       %12d  %12.0f /s\n", r.Published, r.PublishedPerSec)
		fmt.Fprintf(w, "  delivered      %12d  (ratio %.4f)\n", r.Delivered, r.DeliveryRatio)
		if r.Calls > 0 {
			fmt.Fprintf(w, "  calls          %12d  answered %d, errors %d\n", r.Calls, r.Answered, r.CallErrors)
		}
		if r.UpstreamLatency != nil || r.UpstreamDelivered > 0 {
			fmt.Fprintf(w, "  upstream       %12d  readings arrived upstream\n", r.UpstreamDelivered)
		}
		if r.RouterPID != 0 {
			fmt.Fprintf(w, "  router pid %d: CPU %.3f s (%.1f %% of one core), %.2f ms per 1,000 readings; VmRSS %d kB -> %d kB\n",
				r.RouterPID, r.RouterCPUSeconds, 100*r.RouterCPUShare, r.CPUPerKReadings, r.RouterRSSBefore, r.RouterRSSAfter)
		}
	case "idle":
		fmt.Fprintf(w, "  %d sessions joined in %.2f s\n", r.Sessions, r.JoinSeconds)
		if r.RouterPID != 0 {
			fmt.Fprintf(w, "  router pid %d VmRSS %d kB -> %d kB: %.2f kB per session\n", r.RouterPID, r.RouterRSSBefore, r.RouterRSSAfter, r.KBPerSession)
		}
	}
	for _, l := range []struct {
		name string
		l    *latency
	}{{"latency (us)  ", r.Latency}, {"call rtt (us) ", r.CallLatency}, {"upstream (us) ", r.UpstreamLatency}} {
		if l.l != nil {
			fmt.Fprintf(w, "  %s p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  (%d samples)\n", l.name, l.l.P50, l.l.P90, l.l.P99, l.l.Max, l.l.Count)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	return nil
}
