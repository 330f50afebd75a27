package wstransport

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// TestNegotiation checks which subprotocol the server selects.
func TestNegotiation(t *testing.T) {
	cbor := fakeSerializer{name: "cbor", binary: true}
	realCBOR := "" // refused in a build without CBOR
	if wamp.CBOR != nil {
		realCBOR = "wamp.2.cbor"
	}
	for _, tc := range []struct {
		name   string
		server []wamp.Serializer
		offer  []string // Sec-WebSocket-Protocol header lines
		want   string   // selected subprotocol, "" for a refusal
	}{
		{"json only", nil, []string{"wamp.2.json"}, "wamp.2.json"},
		{"msgpack only", nil, []string{"wamp.2.msgpack"}, "wamp.2.msgpack"},
		{"both, json first", nil, []string{"wamp.2.json, wamp.2.msgpack"}, "wamp.2.json"},
		{"both, msgpack first", nil, []string{"wamp.2.msgpack, wamp.2.json"}, "wamp.2.json"},
		{"server prefers msgpack", []wamp.Serializer{wamp.MsgPack, wamp.JSON}, []string{"wamp.2.json,wamp.2.msgpack"}, "wamp.2.msgpack"},
		{"server has json only", []wamp.Serializer{wamp.JSON}, []string{"wamp.2.msgpack, wamp.2.json"}, "wamp.2.json"},
		{"two header lines", nil, []string{"wamp.2.cbor", "wamp.2.msgpack"}, "wamp.2.msgpack"},
		{"unknown ignored", nil, []string{"wamp.2.cbor, wamp.2.ubjson, mqtt, wamp.2.msgpack"}, "wamp.2.msgpack"},
		{"extra serializer", []wamp.Serializer{cbor, wamp.JSON}, []string{"wamp.2.json, wamp.2.cbor"}, "wamp.2.cbor"},
		{"nil entries skipped", []wamp.Serializer{nil, wamp.MsgPack}, []string{"wamp.2.json, wamp.2.msgpack"}, "wamp.2.msgpack"},
		{"none offered", nil, nil, ""},
		{"only unknown", nil, []string{"wamp.2.ubjson, mqtt"}, ""},
		{"cbor by default", nil, []string{"wamp.2.cbor"}, realCBOR},
		{"case matters", nil, []string{"WAMP.2.JSON"}, ""},
		{"not offered by server", []wamp.Serializer{wamp.MsgPack}, []string{"wamp.2.json"}, ""},
		{"wamp.1 is not wamp.2", nil, []string{"wamp.json"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			ts := startServer(t, ServerConfig{Serializers: tc.server}, nil, nil)
			var lines []string
			for _, o := range tc.offer {
				lines = append(lines, "Sec-WebSocket-Protocol: "+o)
			}
			r := rawHandshake(t, ts.addr, lines...)
			if tc.want == "" {
				if r.status != http.StatusBadRequest {
					t.Fatalf("status %d, want 400", r.status)
				}
				if !strings.Contains(r.body, "no supported WAMP subprotocol offered") {
					t.Errorf("body %q does not explain the refusal", r.body)
				}
				if r.header.Get("Upgrade") != "" {
					t.Errorf("refusal carries Upgrade: %q", r.header.Get("Upgrade"))
				}
				return
			}
			if r.status != http.StatusSwitchingProtocols {
				t.Fatalf("status %d (%s), want 101", r.status, r.body)
			}
			if got := r.header.Values("Sec-WebSocket-Protocol"); len(got) != 1 || got[0] != tc.want {
				t.Errorf("selected %q, want %q", got, tc.want)
			}
			sc := ts.serverConn(t)
			if sc.Subprotocol() != tc.want {
				t.Errorf("server Conn.Subprotocol() = %q, want %q", sc.Subprotocol(), tc.want)
			}
		})
	}
}

// TestOrigin checks the Origin rule.
func TestOrigin(t *testing.T) {
	for _, tc := range []struct {
		name    string
		allowed []string
		origin  string // "" for no header; "SELF" for the server's own origin
		ok      bool
	}{
		{"no origin", nil, "", true},
		{"same origin", nil, "SELF", true},
		{"same origin https", nil, "https://SELF", true},
		{"other origin", nil, "http://evil.example", false},
		{"other port", nil, "http://127.0.0.1:1", false},
		{"null", nil, "null", false},
		{"garbage", nil, "::not a url", false},
		{"listed", []string{"https://dash.example"}, "https://dash.example", true},
		{"listed, case", []string{"https://Dash.Example"}, "https://dash.example", true},
		{"listed, trailing slash", []string{"https://dash.example/"}, "https://dash.example", true},
		{"listed, other scheme", []string{"https://dash.example"}, "http://dash.example", false},
		{"listed, other port", []string{"https://dash.example"}, "https://dash.example:8443", false},
		{"not listed", []string{"https://dash.example"}, "https://evil.example", false},
		{"star", []string{"*"}, "https://evil.example", true},
		{"star, null", []string{"*"}, "null", true},
		{"listed, no origin", []string{"https://dash.example"}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			refused := make(chan string, 1)
			ts := startServer(t, ServerConfig{AllowedOrigins: tc.allowed, OriginRefused: func(o string) { refused <- o }}, nil, nil)
			lines := []string{"Sec-WebSocket-Protocol: wamp.2.json"}
			origin := strings.Replace(tc.origin, "SELF", ts.addr, 1)
			if tc.origin == "SELF" {
				origin = "http://" + ts.addr
			}
			if origin != "" {
				lines = append(lines, "Origin: "+origin)
			}
			r := rawHandshake(t, ts.addr, lines...)
			if tc.ok {
				if r.status != http.StatusSwitchingProtocols {
					t.Fatalf("status %d (%s), want 101", r.status, r.body)
				}
				ts.serverConn(t)
				if len(refused) > 0 {
					t.Errorf("OriginRefused called with %q for an accepted origin", <-refused)
				}
				return
			}
			if r.status != http.StatusForbidden || !strings.Contains(r.body, "origin not allowed") {
				t.Errorf("got %d %q, want 403 origin not allowed", r.status, r.body)
			}
			// The server hears of it, to log it: the browser shows only 1006.
			if len(refused) != 1 || <-refused != origin {
				t.Errorf("OriginRefused not called with the origin %q", origin)
			}
		})
	}
}

// TestNotUpgrade checks the answer to plain HTTP requests.
func TestNotUpgrade(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, ServerConfig{}, nil, nil)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://" + ts.addr + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusUpgradeRequired || !strings.Contains(string(body), "WebSocket upgrade request is required") {
		t.Errorf("got %d %q, want 426", resp.StatusCode, body)
	}
	want := "wamp.2.json, wamp.2.msgpack"
	if wamp.CBOR != nil {
		want += ", wamp.2.cbor"
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != want {
		t.Errorf("advertised %q", got)
	}
}

// TestServerConfigDefaults checks withDefaults.
func TestServerConfigDefaults(t *testing.T) {
	cfg := ServerConfig{MaxMessageSize: -1, HandshakeTimeout: -1}.withDefaults()
	want := []wamp.Serializer{wamp.JSON, wamp.MsgPack}
	if wamp.CBOR != nil {
		want = append(want, wamp.CBOR)
	}
	if !slices.Equal(cfg.Serializers, want) {
		t.Errorf("Serializers = %v", cfg.Serializers)
	}
	if cfg.MaxMessageSize != DefaultMaxMessageSize || cfg.HandshakeTimeout != DefaultHandshakeTimeout {
		t.Errorf("defaults: %+v", cfg)
	}
	srv := NewServer(":0", http.NotFoundHandler())
	if srv.ReadHeaderTimeout == 0 || srv.IdleTimeout == 0 || srv.MaxHeaderBytes == 0 {
		t.Errorf("NewServer lacks time limits: %+v", srv)
	}
	if srv.Protocols == nil || srv.Protocols.HTTP2() || !srv.Protocols.HTTP1() {
		t.Errorf("NewServer protocols: %v", srv.Protocols)
	}
}

// TestHijackedDeadlinesCleared checks that the http.Server's read and write
// time limits, which net/http leaves on a hijacked connection, do not end a
// WebSocket session that outlives them, nor does the handshake time limit.
func TestHijackedDeadlinesCleared(t *testing.T) {
	checkGoroutines(t)
	srv := NewServer("127.0.0.1:0", Handler(ServerConfig{HandshakeTimeout: 30 * time.Millisecond}, func(tr wamp.Transport) { _ = echo(tr) }))
	srv.ReadTimeout = 30 * time.Millisecond
	srv.WriteTimeout = 30 * time.Millisecond
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	c := dial(t, "ws://"+l.Addr().String()+"/", ClientConfig{})
	time.Sleep(100 * time.Millisecond) // let the server's limits pass: this is what is tested
	if err := c.WriteMessages([][]byte{[]byte("late")}); err != nil {
		t.Fatal(err)
	}
	if m, err := c.ReadMessage(); err != nil || string(m) != "late" {
		t.Fatalf("after the server's time limits: %q, %v", m, err)
	}
}

// TestNilServe checks that a nil serve function closes connections at once.
func TestNilServe(t *testing.T) {
	checkGoroutines(t)
	srv := NewServer("127.0.0.1:0", Handler(ServerConfig{}, nil))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	c := dial(t, "ws://"+l.Addr().String()+"/", ClientConfig{})
	if _, err := c.ReadMessage(); !errors.Is(err, io.EOF) {
		t.Errorf("ReadMessage = %v, want io.EOF", err)
	}
}

// TestNotHijackable checks the refusal when the connection cannot be taken
// over (HTTP/2, or a ResponseWriter wrapper without Hijack).
func TestNotHijackable(t *testing.T) {
	for _, proto := range []int{1, 2} {
		req := httptest.NewRequest(http.MethodGet, "http://example.test/ws", nil)
		req.ProtoMajor = proto
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Protocol", "wamp.2.json")
		rec := httptest.NewRecorder() // no Hijack
		Handler(ServerConfig{}, nil).ServeHTTP(rec, req)
		if rec.Code != http.StatusHTTPVersionNotSupported || !strings.Contains(rec.Body.String(), "HTTP/1.1") {
			t.Errorf("HTTP/%d: got %d %q, want 505", proto, rec.Code, rec.Body.String())
		}
	}
}

// TestUpgradingRefuses: an error from ServerConfig.Upgrading refuses the upgrade: the connection is closed
// unanswered, no session.
func TestUpgradingRefuses(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, ServerConfig{Upgrading: func(*http.Request) error { return errors.New("shed") }}, nil,
		func(wamp.Transport) error {
			t.Error("a session was served after Upgrading refused")
			return nil
		})
	nc, err := net.DialTimeout("tcp", ts.addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(testTimeout))
	req := "GET /ws HTTP/1.1\r\nHost: " + ts.addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(nc); len(got) != 0 || err != nil {
		t.Fatalf("answer %q (%v), want the connection closed unanswered", got, err)
	}
}

// TestUpgrading: ServerConfig.Upgrading is called once per accepted upgrade, before the session, and not
// for a refused request.
func TestUpgrading(t *testing.T) {
	checkGoroutines(t)
	var calls atomic.Int64
	ts := startServer(t, ServerConfig{Upgrading: func(r *http.Request) error {
		if r.URL.Path == "/ws" {
			calls.Add(1)
		}
		return nil
	}}, nil, func(tr wamp.Transport) error {
		if calls.Load() != 1 {
			t.Errorf("session served after %d Upgrading calls, want 1", calls.Load())
		}
		return nil
	})
	c := dial(t, ts.url, ClientConfig{})
	c.ReadMessage()                                                             // the session ends at once
	if resp := rawHandshake(t, ts.addr); resp.status != http.StatusBadRequest { // no WAMP subprotocol offered
		t.Fatalf("status %d, want 400", resp.status)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d Upgrading calls, want 1", n)
	}
}
