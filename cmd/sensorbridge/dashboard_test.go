package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// TestStatsAndDashboard runs a gateway whose only realm admits no anonymous session, with a RawSocket
// (Unix socket) and a WebSocket listener and the dashboard. It checks: the stats procedure is served
// there (sensorbridge's own session authenticates); the per-listener counters count a refused WebSocket
// upgrade, a bad RawSocket handshake, a protocol violation and a failed authentication on the listener
// they happened on; and the dashboard serves its page, its script and /stats (with the sessions and no
// secret), read-only.
func TestStatsAndDashboard(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "sb.sock")
	rsURL, wsURL := "unix://"+sock, "ws://127.0.0.1:0/ws"
	addrs := mustStart(t, map[string]any{
		"listeners": []any{map[string]any{"url": rsURL}, map[string]any{"url": wsURL}},
		"realms": []any{map[string]any{"name": "site", "users": []any{
			map[string]any{"authid": "ops", "authrole": "admin", "ticket": "ops-ticket-55"}}}},
		"dashboard": map[string]any{"listen": "127.0.0.1:0", "refresh": "500ms"},
		"limits":    map[string]any{"hello_timeout": "2s"},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// Hostile traffic, one kind per listener.
	resp, err := http.Get("http://" + addrs[wsURL] + "/ws") // not an upgrade
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	nc, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	nc.Write([]byte("GET / HTTP/1.1\r\n\r\n")) // no RawSocket magic octet
	if err := isClosed(nc, 5*time.Second); err != nil {
		t.Error(err)
	}
	nc.Close()
	if _, err := device.Dial(ctx, "unix://"+sock, device.Config{Realm: "site", Auth: device.Credentials{AuthID: "ops", Ticket: "wrong"}}); err == nil {
		t.Error("a wrong ticket joined")
	}
	if _, err := device.Dial(ctx, "unix://"+sock, device.Config{Realm: "site"}); err == nil {
		t.Error("an anonymous session joined a realm with users and no allow_anonymous")
	}
	ws, err := wstransport.Dial(ctx, "ws://"+addrs[wsURL]+"/ws?serializer=json", wstransport.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ws.WriteMessages([][]byte{[]byte("[1, 2, 3")}) // malformed HELLO
	ws.ReadMessage()
	ws.Close()

	c, err := device.Dial(ctx, "unix://"+sock, device.Config{Realm: "site", Auth: device.Credentials{AuthID: "ops", Ticket: "ops-ticket-55"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The counters: the server side of a refused connection may count it a moment after the client saw
	// the refusal, so read them until they match (or 10 s).
	type want struct {
		url, key string
		n        int64
	}
	wants := []want{
		{wsURL, "handshake_failures", 1},
		{wsURL, "protocol_errors", 1},
		{wsURL, "connections", 2},
		{wsURL, "active", 0},
		{rsURL, "handshake_failures", 1},
		{rsURL, "auth_failures", 2}, // the wrong ticket, and anonymous refused (no_auth_method)
		{rsURL, "active", 1},        // c
		{rsURL, "protocol_errors", 0},
	}
	var got map[string]wamp.Dict
	var wrong []string
	waitUntil(10*time.Second, func() bool {
		res := callStats(t, ctx, c) // in a realm without anonymous sessions
		got = map[string]wamp.Dict{}
		ls, _ := res["listeners"].(wamp.List)
		for _, l := range ls {
			d, _ := l.(wamp.Dict)
			u, _ := d["url"].(string)
			got[u] = d
		}
		wrong = nil
		for _, w := range wants {
			if n, _ := wamp.OptInt(got[w.url], w.key); n != w.n {
				wrong = append(wrong, fmt.Sprintf("listener %s: %s = %d, want %d", w.url, w.key, n, w.n))
			}
		}
		return len(wrong) == 0
	})
	for _, w := range wrong {
		t.Error(w)
	}
	if k, _ := got[wsURL]["kind"].(string); k != kindWebSocket {
		t.Errorf("listener %s kind %q", wsURL, k)
	}

	// The dashboard.
	base := "http://" + addrs["dashboard"]
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, page := get("/")
	if resp.StatusCode != 200 || !strings.Contains(page, "<title>sensorbridge</title>") || !strings.Contains(page, `src="/dashboard.js"`) ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("GET /: %d %v\n%s", resp.StatusCode, resp.Header, page)
	}
	if resp, js := get("/dashboard.js"); resp.StatusCode != 200 || !strings.Contains(js, "fetch('/stats'") || strings.Contains(js, "innerHTML") {
		t.Errorf("GET /dashboard.js: %d\n%s", resp.StatusCode, js)
	}
	resp, body := get("/stats")
	var st struct {
		Router    map[string]any   `json:"router"`
		Listeners []map[string]any `json:"listeners"`
		Sessions  []map[string]any `json:"sessions"`
		RefreshMS int              `json:"refresh_ms"`
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /stats: %v %v\n%s", err, resp.Header, body)
	}
	authids := map[string]string{}
	for _, s := range st.Sessions {
		authids[s["authid"].(string)] = s["authrole"].(string)
	}
	if authids["ops"] != "admin" || authids[internalAuthID] != "sensorbridge" || len(st.Listeners) != 2 || st.RefreshMS != 500 ||
		st.Router["sessions"] != float64(2) {
		t.Errorf("GET /stats: %s", body)
	}
	if strings.Contains(body, "ops-ticket-55") {
		t.Errorf("/stats shows a ticket: %s", body)
	}
	if resp, _ := get("/nothing"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nothing: %d", resp.StatusCode)
	}
	resp, err = http.Post(base+"/stats", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /stats: %d, want 405", resp.StatusCode)
	}
}

// TestInternalCredentials checks the in-process sessions' principal: none when anonymous sessions are
// allowed, a fresh random ticket otherwise, and a clash with a configured authid refused.
func TestInternalCredentials(t *testing.T) {
	open := []minirouter.RealmConfig{{Name: "a"}, {Name: "b", AllowAnonymous: true, Users: []minirouter.User{{AuthID: "x", Ticket: "t"}}}}
	for _, rc := range open {
		if c, err := internalCredentials(&rc); err != nil || !c.IsZero() || len(rc.Users) > 1 {
			t.Errorf("%s: %+v %v %v", rc.Name, c, err, rc.Users)
		}
	}
	users := []minirouter.User{{AuthID: "x", Ticket: "t"}}
	rc := minirouter.RealmConfig{Name: "c", Users: users}
	c1, err := internalCredentials(&rc)
	if err != nil || c1.AuthID != internalAuthID || len(c1.Ticket) < 40 || len(rc.Users) != 2 || len(users) != 1 {
		t.Errorf("%+v %v %v", c1, err, rc.Users)
	}
	rc2 := minirouter.RealmConfig{Name: "c", Users: users}
	if c2, _ := internalCredentials(&rc2); c2.Ticket == c1.Ticket {
		t.Error("the same ticket twice")
	}
	for _, clash := range []minirouter.RealmConfig{
		{Name: "d", Users: []minirouter.User{{AuthID: internalAuthID, Ticket: "t"}}},
		{Name: "e", Users: []minirouter.User{{AuthID: "x", AuthRole: internalRole, Ticket: "t"}}},
	} {
		if _, err := internalCredentials(&clash); err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("%s: %v", clash.Name, err)
		}
	}
	// An open realm with permissions: the internal user is added, anonymous sessions stay admitted, the
	// internal role's rule comes first, and every role may ask the permissions procedure last.
	perms := []minirouter.Permission{{Role: "*", URI: "x", Actions: []string{"call"}}}
	ruled := minirouter.RealmConfig{Name: "f", Permissions: perms}
	if c, err := internalCredentials(&ruled); err != nil || c.Ticket == "" || !ruled.AllowAnonymous || len(ruled.Users) != 1 ||
		len(ruled.Permissions) != 3 || ruled.Permissions[0].Role != internalRole || len(perms) != 1 ||
		ruled.Permissions[2].URI != string(permissionsProcedure) || ruled.Permissions[2].Role != "*" {
		t.Errorf("%+v %v %+v", c, err, ruled)
	}
}

// TestPermissionsConfig runs a gateway whose first realm has authorization rules (devices publish only
// under their own prefix, an operator may call the stats procedure) and the demo device: sensorbridge's
// own sessions still register the stats procedure and the demo's procedures, and the rules hold.
func TestPermissionsConfig(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "sb.sock")
	mustStart(t, map[string]any{
		"listeners": []any{map[string]any{"url": "unix://" + sock}},
		"realms": []any{map[string]any{"name": "site",
			"users": []any{
				map[string]any{"authid": "dev1", "authrole": "device", "ticket": "dev1-ticket"},
				map[string]any{"authid": "ops", "authrole": "operator", "ticket": "ops-ticket"},
			},
			"permissions": []any{
				map[string]any{"role": "device", "uri": "devices.{authid}.", "match": "prefix", "actions": []any{"publish", "register"}},
				map[string]any{"role": "operator", "uri": "", "match": "prefix", "actions": []any{"call", "subscribe"}},
			},
		}},
		"demo": true, "demo_interval": "50ms",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := func(id, ticket string) *device.Client {
		c, err := device.Dial(ctx, "unix://"+sock, device.Config{Realm: "site", Auth: device.Credentials{AuthID: id, Ticket: ticket}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dev, ops := dial("dev1", "dev1-ticket"), dial("ops", "ops-ticket")
	ack := &device.PublishOptions{Acknowledge: true}
	if err := dev.Publish(ctx, "devices.dev1.temp", wamp.Payload{Args: wamp.List{21.5}}, ack); err != nil {
		t.Errorf("publish under its own prefix: %v", err)
	}
	if err := dev.Publish(ctx, "devices.dev2.temp", wamp.Payload{Args: wamp.List{21.5}}, ack); !errors.Is(err, wamp.ErrNotAuthorized) {
		t.Errorf("publish under another device's prefix: %v, want %s", err, wamp.ErrNotAuthorized.URI)
	}
	if _, err := dev.Call(ctx, statsProcedure, wamp.Payload{}, nil); !errors.Is(err, wamp.ErrNotAuthorized) {
		t.Errorf("a device calling the stats procedure: %v, want %s", err, wamp.ErrNotAuthorized.URI)
	}
	st := callStats(t, ctx, ops)
	if n := statNum(st, "router", "authorization_denials"); n < 2 {
		t.Errorf("authorization_denials %d, want at least 2", n)
	}
	// Each session may ask what it may do, as the router decides it (the answer counts no denial).
	for _, tc := range []struct {
		c      *device.Client
		action string
		want   map[string]bool
		who    string
	}{
		{dev, "publish", map[string]bool{"devices.dev1.temp": true, "devices.dev2.temp": false}, "dev1 device"},
		{dev, "call", map[string]bool{"sensorbridge.stats": false, "light.set": false}, "dev1 device"},
		{ops, "", map[string]bool{"sensorbridge.stats": true, "light.set": true}, "ops operator"},
	} {
		args := wamp.List{}
		for uri := range tc.want {
			args = append(args, uri)
		}
		p := wamp.Payload{Args: args}
		if tc.action != "" {
			p.Kwargs = wamp.Dict{"action": tc.action}
		}
		res, err := tc.c.Call(ctx, permissionsProcedure, p, nil)
		if err != nil {
			t.Fatalf("%s asking %s: %v", tc.who, permissionsProcedure, err)
		}
		allowed, _ := res.Kwargs["allowed"].(wamp.Dict)
		for uri, want := range tc.want {
			if got, _ := allowed[uri].(bool); got != want {
				t.Errorf("%s may %s %s: %v, want %v", tc.who, tc.action, uri, allowed[uri], want)
			}
		}
		if who := fmt.Sprint(res.Kwargs["authid"], " ", res.Kwargs["authrole"]); who != tc.who {
			t.Errorf("%s answered for %s", permissionsProcedure, who)
		}
	}
	if n := statNum(callStats(t, ctx, ops), "router", "authorization_denials"); n != statNum(st, "router", "authorization_denials") {
		t.Errorf("authorization_denials went from %d to %d", statNum(st, "router", "authorization_denials"), n)
	}
	if _, err := dev.Call(ctx, permissionsProcedure, wamp.Payload{Args: wamp.List{1}}, nil); !errors.Is(err, wamp.ErrInvalidArgument) {
		t.Errorf("asking about a number: %v, want %s", err, wamp.ErrInvalidArgument.URI)
	}
	// The demo device, joined as sensorbridge's own principal, registered its procedures.
	for {
		res, err := ops.Call(ctx, "light.get", wamp.Payload{}, nil)
		if err == nil {
			if len(res.Args) != 1 {
				t.Errorf("light.get: %v", res.Args)
			}
			break
		}
		if !errors.Is(err, wamp.ErrNoSuchProcedure) || ctx.Err() != nil {
			t.Fatalf("light.get: %v", err)
		}
		time.Sleep(10 * time.Millisecond) // polling for the demo's registration
	}
}
