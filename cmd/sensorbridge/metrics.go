package main

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/serialtransport"
	"github.com/edgewamp/edgewamp/uplink"
)

// metric is one metric family of /metrics: its name (edgewamp_...), type
// ("counter" or "gauge"), help line and how to read it from S.
type metric[S any] struct {
	name, typ, help string
	value           func(*S) float64
}

// u64 reads a uint64 field as a sample value.
func u64(v uint64) float64 { return float64(v) }

var routerMetrics = []metric[minirouter.Stats]{
	{"edgewamp_router_sessions", "gauge", "Sessions joined now.", func(s *minirouter.Stats) float64 { return u64(s.Sessions) }},
	{"edgewamp_router_sessions_total", "counter", "Sessions ever welcomed.", func(s *minirouter.Stats) float64 { return u64(s.SessionsTotal) }},
	{"edgewamp_router_messages_in_total", "counter", "Messages received from sessions.", func(s *minirouter.Stats) float64 { return u64(s.MessagesIn) }},
	{"edgewamp_router_messages_out_total", "counter", "Messages queued to sessions.", func(s *minirouter.Stats) float64 { return u64(s.MessagesOut) }},
	{"edgewamp_router_events_dropped_total", "counter", "EVENTs not delivered because a subscriber's queue was full.", func(s *minirouter.Stats) float64 { return u64(s.EventsDropped) }},
	{"edgewamp_router_invocations_refused_total", "counter", "CALLs refused because the callee's queue was full.", func(s *minirouter.Stats) float64 { return u64(s.InvocationsRefused) }},
	{"edgewamp_router_protocol_violations_total", "counter", "Sessions aborted for a protocol violation.", func(s *minirouter.Stats) float64 { return u64(s.ProtocolViolations) }},
	{"edgewamp_router_slow_disconnects_total", "counter", "Sessions ended because their outbound queue was full.", func(s *minirouter.Stats) float64 { return u64(s.SlowDisconnects) }},
	{"edgewamp_router_calls_timed_out_total", "counter", "CALLs ended by their timeout option.", func(s *minirouter.Stats) float64 { return u64(s.CallsTimedOut) }},
	{"edgewamp_router_handshake_failures_total", "counter", "Connections that sent no valid HELLO.", func(s *minirouter.Stats) float64 { return u64(s.HandshakeFailures) }},
	{"edgewamp_router_auth_failures_total", "counter", "Failed authentications.", func(s *minirouter.Stats) float64 { return u64(s.AuthFailures) }},
	{"edgewamp_router_auth_throttled_total", "counter", "HELLOs refused unchecked after too many failed authentications from their source.", func(s *minirouter.Stats) float64 { return u64(s.AuthThrottled) }},
	{"edgewamp_router_authorization_denials_total", "counter", "Requests refused by a realm's permissions.", func(s *minirouter.Stats) float64 { return u64(s.AuthorizationDenials) }},
	{"edgewamp_router_limit_refusals_total", "counter", "HELLOs, SUBSCRIBEs and REGISTERs refused by a limit.", func(s *minirouter.Stats) float64 { return u64(s.LimitRefusals) }},
	{"edgewamp_router_publishes_paced_total", "counter", "PUBLISHes refused by a realm's publish rate.", func(s *minirouter.Stats) float64 { return u64(s.PublishesPaced) }},
	{"edgewamp_router_publications_deduplicated_total", "counter", "Numbered publications acknowledged but not delivered again.", func(s *minirouter.Stats) float64 { return u64(s.PublicationsDeduplicated) }},
	{"edgewamp_router_publishes_refused_total", "counter", "PUBLISHes refused.", func(s *minirouter.Stats) float64 { return u64(s.PublishesRefused) }},
	{"edgewamp_router_retain_refused_total", "counter", "Events delivered but not retained: the retention budget was full.", func(s *minirouter.Stats) float64 { return u64(s.RetainRefused) }},
	{"edgewamp_router_requests_held_total", "counter", "Requests read late because their session had not read its answers.", func(s *minirouter.Stats) float64 { return u64(s.RequestsHeld) }},
	{"edgewamp_router_stream_chunks_dropped_total", "counter", "Progressive CALLs dropped because their call had ended.", func(s *minirouter.Stats) float64 { return u64(s.StreamChunksDropped) }},
	{"edgewamp_router_testaments_published_total", "counter", "Testaments published for ended sessions.", func(s *minirouter.Stats) float64 { return u64(s.TestamentsPublished) }},
	{"edgewamp_router_budget_refusals_total", "counter", "HELLOs, AUTHENTICATEs and requests refused by a memory budget.", func(s *minirouter.Stats) float64 { return u64(s.BudgetRefusals) }},
	{"edgewamp_router_long_uris_total", "counter", "Requests refused for a URI longer than limits.max_uri_length.", func(s *minirouter.Stats) float64 { return u64(s.LongURIs) }},
	{"edgewamp_router_memory_held_bytes", "gauge", "Memory the budgets charge to the sessions joined now.", func(s *minirouter.Stats) float64 { return u64(s.MemoryHeld) }},
}

var listenerMetrics = []metric[listen.Stats]{
	{"edgewamp_listener_connections_total", "counter", "Connections accepted, upgrade requests or serial links.", func(s *listen.Stats) float64 { return u64(s.Connections) }},
	{"edgewamp_listener_sessions", "gauge", "Sessions served now.", func(s *listen.Stats) float64 { return float64(s.Active) }},
	{"edgewamp_listener_handshake_failures_total", "counter", "Transport handshakes failed or refused.", func(s *listen.Stats) float64 { return u64(s.HandshakeFailures) }},
	{"edgewamp_listener_refused_total", "counter", "RawSocket connections refused for a limit.", func(s *listen.Stats) float64 { return u64(s.Refused) }},
	{"edgewamp_listener_refused_per_source_total", "counter", "Connections refused for the per-source limit.", func(s *listen.Stats) float64 { return u64(s.RefusedPerSource) }},
	{"edgewamp_listener_pending_handshakes", "gauge", "RawSocket connections handshaking now.", func(s *listen.Stats) float64 { return float64(s.PendingHandshakes) }},
	{"edgewamp_listener_handshakes_shed_total", "counter", "Connections closed before their handshakes were done: for newer ones, or at the handshake timeout.", func(s *listen.Stats) float64 { return u64(s.HandshakesShed) }},
	{"edgewamp_listener_protocol_errors_total", "counter", "Sessions or joins ended with a protocol violation.", func(s *listen.Stats) float64 { return u64(s.ProtocolErrors) }},
	{"edgewamp_listener_auth_failures_total", "counter", "Joins refused for their credentials.", func(s *listen.Stats) float64 { return u64(s.AuthFailures) }},
	{"edgewamp_listener_timeouts_total", "counter", "Connections closed by a read deadline.", func(s *listen.Stats) float64 { return u64(s.Timeouts) }},
}

var uplinkMetrics = []metric[uplink.Stats]{
	{"edgewamp_uplink_joined", "gauge", "1 while the uplink's upstream session is joined, else 0.", func(s *uplink.Stats) float64 {
		if s.State == "joined" {
			return 1
		}
		return 0
	}},
	{"edgewamp_uplink_joins_total", "counter", "Upstream sessions joined.", func(s *uplink.Stats) float64 { return u64(s.Joins) }},
	{"edgewamp_uplink_reconnects_total", "counter", "Upstream sessions lost.", func(s *uplink.Stats) float64 { return u64(s.Reconnects) }},
	{"edgewamp_uplink_dial_errors_total", "counter", "Failed upstream connection or join attempts.", func(s *uplink.Stats) float64 { return u64(s.DialErrors) }},
	{"edgewamp_uplink_apply_errors_total", "counter", "Upstream registrations or subscriptions refused.", func(s *uplink.Stats) float64 { return u64(s.ApplyErrors) }},
	{"edgewamp_uplink_queued", "gauge", "Events waiting to go up.", func(s *uplink.Stats) float64 { return float64(s.Queued) }},
	{"edgewamp_uplink_queue_dropped_total", "counter", "Events dropped from the full queue.", func(s *uplink.Stats) float64 { return u64(s.QueueDropped) }},
	{"edgewamp_uplink_queue_memory_only", "gauge", "Queued events the queue file lacks because it cannot be written: a restart now would lose them.", func(s *uplink.Stats) float64 { return float64(s.QueueMemoryOnly) }},
	{"edgewamp_uplink_queue_file_damaged_total", "counter", "Queue file records that failed their check when it was opened (skipped, never delivered).", func(s *uplink.Stats) float64 { return u64(s.QueueFileDamaged) }},
	{"edgewamp_uplink_events_up_total", "counter", "Events delivered upstream.", func(s *uplink.Stats) float64 { return u64(s.EventsUp) }},
	{"edgewamp_uplink_events_down_total", "counter", "Upstream events published locally.", func(s *uplink.Stats) float64 { return u64(s.EventsDown) }},
	{"edgewamp_uplink_publish_errors_total", "counter", "Events the upstream refused.", func(s *uplink.Stats) float64 { return u64(s.PublishErrors) }},
	{"edgewamp_uplink_calls_in_total", "counter", "Upstream calls of exported procedures.", func(s *uplink.Stats) float64 { return u64(s.CallsIn) }},
	{"edgewamp_uplink_calls_out_total", "counter", "Local calls of imported procedures.", func(s *uplink.Stats) float64 { return u64(s.CallsOut) }},
	{"edgewamp_uplink_exported", "gauge", "Procedures registered upstream now.", func(s *uplink.Stats) float64 { return float64(s.Exported) }},
	{"edgewamp_uplink_last_error_timestamp_seconds", "gauge", "When the uplink last reported an error (Unix time); 0: none since start.", func(s *uplink.Stats) float64 {
		if s.LastErrorTime.IsZero() {
			return 0
		}
		return float64(s.LastErrorTime.UnixMilli()) / 1000
	}},
}

// lastErrorInfo is the info metric of the uplink's last error: one series,
// its text (cut to maxErrorLabel bytes) as a label, only while there is
// one; its time is edgewamp_uplink_last_error_timestamp_seconds.
const (
	lastErrorInfo = "edgewamp_uplink_last_error_info"
	maxErrorLabel = 200
)

// writeLastError writes the lastErrorInfo family for st.
func writeLastError(b *bytes.Buffer, st *uplink.Stats) {
	if st.LastError == "" {
		return
	}
	text := st.LastError
	if len(text) > maxErrorLabel {
		text = strings.ToValidUTF8(text[:maxErrorLabel], "") + "…"
	}
	writeFamilies(b, []metric[uplink.Stats]{{lastErrorInfo, "gauge", "The uplink's last error, as its error label (value 1).",
		func(*uplink.Stats) float64 { return 1 }}}, []labelled[uplink.Stats]{{labels: []string{"error", text}}})
}

var historyMetrics = []metric[minirouter.HistoryStats]{
	{"edgewamp_history_events", "gauge", "Events kept for wamp.subscription.get_events.", func(s *minirouter.HistoryStats) float64 { return float64(s.Events) }},
	{"edgewamp_history_bytes", "gauge", "Bytes of the events kept (their MessagePack size).", func(s *minirouter.HistoryStats) float64 { return float64(s.Bytes) }},
	{"edgewamp_history_evicted_total", "counter", "Events dropped early to fit the realm's max_history_bytes.", func(s *minirouter.HistoryStats) float64 { return u64(s.Evicted) }},
	{"edgewamp_history_refused_total", "counter", "Events larger than max_history_bytes, never kept.", func(s *minirouter.HistoryStats) float64 { return u64(s.Refused) }},
	{"edgewamp_history_file_errors_total", "counter", "Failed writes of the history file, and a damaged file found at start.", func(s *minirouter.HistoryStats) float64 { return u64(s.FileErrors) }},
}

var serialMetrics = []metric[serialtransport.Stats]{
	{"edgewamp_serial_bytes_in_total", "counter", "Bytes read from the serial line.", func(s *serialtransport.Stats) float64 { return u64(s.BytesIn) }},
	{"edgewamp_serial_bytes_out_total", "counter", "Bytes written to the serial line.", func(s *serialtransport.Stats) float64 { return u64(s.BytesOut) }},
	{"edgewamp_serial_frames_in_total", "counter", "Good frames received.", func(s *serialtransport.Stats) float64 { return u64(s.FramesIn) }},
	{"edgewamp_serial_frames_out_total", "counter", "Frames sent.", func(s *serialtransport.Stats) float64 { return u64(s.FramesOut) }},
	{"edgewamp_serial_crc_errors_total", "counter", "Frames dropped for a CRC mismatch.", func(s *serialtransport.Stats) float64 { return u64(s.CRCErrors) }},
	{"edgewamp_serial_cobs_errors_total", "counter", "Frames dropped for malformed COBS.", func(s *serialtransport.Stats) float64 { return u64(s.COBSErrors) }},
	{"edgewamp_serial_oversize_total", "counter", "Runs longer than the largest frame, discarded.", func(s *serialtransport.Stats) float64 { return u64(s.Oversize) }},
	{"edgewamp_serial_unknown_total", "counter", "Frames of an unknown type or malformed bodies.", func(s *serialtransport.Stats) float64 { return u64(s.Unknown) }},
	{"edgewamp_serial_retransmissions_total", "counter", "DATA frames sent again.", func(s *serialtransport.Stats) float64 { return u64(s.Retransmissions) }},
	{"edgewamp_serial_duplicates_total", "counter", "DATA frames received again.", func(s *serialtransport.Stats) float64 { return u64(s.Duplicates) }},
	{"edgewamp_serial_out_of_order_total", "counter", "DATA frames received ahead of a gap.", func(s *serialtransport.Stats) float64 { return u64(s.OutOfOrder) }},
	{"edgewamp_serial_peer_restarts_total", "counter", "Links ended because the peer restarted.", func(s *serialtransport.Stats) float64 { return u64(s.Restarts) }},
	{"edgewamp_serial_handshakes_total", "counter", "Links established.", func(s *serialtransport.Stats) float64 { return u64(s.Handshakes) }},
	{"edgewamp_serial_resets_total", "counter", "RESET frames received.", func(s *serialtransport.Stats) float64 { return u64(s.Resets) }},
	{"edgewamp_serial_control_dropped_total", "counter", "Control frames not sent: too many waiting.", func(s *serialtransport.Stats) float64 { return u64(s.ControlDropped) }},
}

// labelled is one metric source with its labels (name, value, name,
// value...).
type labelled[S any] struct {
	labels []string
	s      S
}

// writeFamilies writes each family of ms (HELP, TYPE, then one sample per
// source), grouped as the text format requires. No source: nothing.
func writeFamilies[S any](b *bytes.Buffer, ms []metric[S], srcs []labelled[S]) {
	if len(srcs) == 0 {
		return
	}
	for _, m := range ms {
		b.WriteString("# HELP " + m.name + " " + escapeHelp(m.help) + "\n# TYPE " + m.name + " " + m.typ + "\n")
		for i := range srcs {
			b.WriteString(m.name)
			if ls := srcs[i].labels; len(ls) > 0 {
				b.WriteByte('{')
				for j := 0; j+1 < len(ls); j += 2 {
					if j > 0 {
						b.WriteByte(',')
					}
					b.WriteString(ls[j] + `="` + escapeLabel(ls[j+1]) + `"`)
				}
				b.WriteByte('}')
			}
			b.WriteByte(' ')
			b.WriteString(strconv.FormatFloat(m.value(&srcs[i].s), 'g', -1, 64))
			b.WriteByte('\n')
		}
	}
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

// metricsText is the /metrics document in the Prometheus text format
// (version 0.0.4): the router's, each listener's (labelled url and kind),
// each serial line's (labelled url), each realm's event history (labelled
// realm) and the uplink's
// counters.
func (gw *gateway) metricsText() []byte {
	var b bytes.Buffer
	b.WriteString("# HELP edgewamp_uptime_seconds Seconds since sensorbridge started.\n# TYPE edgewamp_uptime_seconds gauge\n")
	b.WriteString("edgewamp_uptime_seconds " + strconv.FormatFloat(time.Since(gw.started).Seconds(), 'f', 3, 64) + "\n")
	writeFamilies(&b, routerMetrics, []labelled[minirouter.Stats]{{s: gw.r.Stats()}})
	var ls []labelled[listen.Stats]
	var ss []labelled[serialtransport.Stats]
	for _, l := range gw.listeners {
		ls = append(ls, labelled[listen.Stats]{labels: []string{"url", l.URL(), "kind", l.Kind()}, s: l.Stats()})
		if st, ok := l.SerialStats(); ok {
			ss = append(ss, labelled[serialtransport.Stats]{labels: []string{"url", l.URL()}, s: st})
		}
	}
	writeFamilies(&b, listenerMetrics, ls)
	writeFamilies(&b, serialMetrics, ss)
	var hs []labelled[minirouter.HistoryStats]
	for _, realm := range gw.history {
		hs = append(hs, labelled[minirouter.HistoryStats]{labels: []string{"realm", string(realm)}, s: gw.r.HistoryStats(realm)})
	}
	writeFamilies(&b, historyMetrics, hs)
	if gw.ul != nil {
		st := gw.ul.Stats()
		writeFamilies(&b, uplinkMetrics, []labelled[uplink.Stats]{{s: st}})
		writeLastError(&b, &st)
	}
	return b.Bytes()
}

// serveMetrics answers GET /metrics.
func (gw *gateway) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	data := gw.metricsText()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}
