package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// bridgeAnswer is a bridge response: its status and its JSON body.
type bridgeAnswer struct {
	status int
	Args   wamp.List `json:"args"`
	Kwargs wamp.Dict `json:"kwargs"`
	Error  string    `json:"error"`
}

// bridgePost POSTs body to base+path with the header set by auth (nil: no
// credentials), as curl -X POST -d would.
func bridgePost(t *testing.T, base, path, body string, auth func(*http.Request)) bridgeAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded") // what curl -d sends
	if auth != nil {
		auth(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	a := bridgeAnswer{status: resp.StatusCode}
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatalf("POST %s: %d, not JSON: %q", path, resp.StatusCode, data)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("POST %s: Content-Type %q", path, ct)
	}
	if resp.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Errorf("POST %s: 401 without a Basic challenge", path)
	}
	return a
}

func basic(id, ticket string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(id, ticket) }
}

func bearer(ticket, authid string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+ticket)
		if authid != "" {
			r.Header.Set("X-Authid", authid)
		}
	}
}

// opViewerRealm is the config of realm "site" with two ticket users, "op"
// (role operator, ticket op-ticket-1), allowed everything, and "viewer"
// (role viewer, ticket view-ticket-2), allowed what viewerPerms allow.
func opViewerRealm(viewerPerms ...any) map[string]any {
	return map[string]any{"name": "site",
		"users": []any{
			map[string]any{"authid": "op", "authrole": "operator", "ticket": "op-ticket-1"},
			map[string]any{"authid": "viewer", "authrole": "viewer", "ticket": "view-ticket-2"}},
		"permissions": append([]any{map[string]any{"role": "operator", "uri": "", "match": "prefix",
			"actions": []any{"call", "publish", "subscribe", "register"}}}, viewerPerms...),
	}
}

// TestHTTPBridge runs a gateway with the demo device and a realm of two
// ticket users, an operator (may call and publish anything) and a viewer
// (may call light.get only), and drives the HTTP bridge as curl would: a
// call switches the light (checked by a WAMP client), a publication reaches
// a subscriber, and the refusals answer 401 (no, wrong or internal
// credentials), 403 (the viewer switching), 404 (no such procedure), 400
// (malformed body, bad option), 405 (GET) and 413 (a body too large).
func TestHTTPBridge(t *testing.T) {
	sock := "unix://" + filepath.Join(t.TempDir(), "sb.sock")
	addrs := mustStart(t, map[string]any{
		"listeners": []any{map[string]any{"url": sock}},
		"realms":    []any{opViewerRealm(map[string]any{"role": "viewer", "uri": "light.get", "actions": []any{"call"}})},
		"demo":      true,
		"dashboard": map[string]any{"listen": "127.0.0.1:0"},
	})
	base := "http://" + addrs["dashboard"]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := dialRetry(t, ctx, sock, device.Config{Realm: "site", Auth: device.Credentials{AuthID: "op", Ticket: "op-ticket-1"}})

	// The demo device registers its procedures a moment after the gateway listens.
	for {
		if _, err := c.Call(ctx, "light.get", wamp.Payload{}, nil); err == nil {
			break
		} else if ctx.Err() != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, on := range []bool{true, false} {
		a := bridgePost(t, base, "/call/light.set", fmt.Sprintf(`{"args":[%v]}`, on), basic("op", "op-ticket-1"))
		if a.status != 200 || len(a.Args) != 1 || a.Args[0] != on {
			t.Fatalf("call light.set %v: %+v", on, a)
		}
		res, err := c.Call(ctx, "light.get", wamp.Payload{}, nil)
		if err != nil || len(res.Args) != 1 || res.Args[0] != on {
			t.Fatalf("light.get after the bridge set %v: %v %v", on, res.Args, err)
		}
	}
	if a := bridgePost(t, base, "/call/light.get", "", bearer("view-ticket-2", "")); a.status != 200 || a.Args[0] != false {
		t.Errorf("viewer (bearer, authid by ticket) light.get: %+v", a)
	}

	events := make(chan wamp.Payload, 1)
	if _, err := c.Subscribe(ctx, "site.note", func(ev *device.Event) {
		events <- wamp.Payload{Args: ev.Args, Kwargs: ev.Kwargs}
	}, nil); err != nil {
		t.Fatal(err)
	}
	if a := bridgePost(t, base, "/publish/site.note", `{"args":[3, "x"], "kwargs":{"unit":"C", "v":21.5}}`, bearer("op-ticket-1", "op")); a.status != 200 {
		t.Fatalf("publish: %+v", a)
	}
	select {
	case ev := <-events:
		if fmt.Sprint(ev.Args) != "[3 x]" || ev.Kwargs["unit"] != "C" || ev.Kwargs["v"] != 21.5 {
			t.Errorf("event %v %v", ev.Args, ev.Kwargs)
		}
	case <-ctx.Done():
		t.Fatal("the bridge's publication did not arrive")
	}

	for _, tc := range []struct {
		name, path, body string
		auth             func(*http.Request)
		status           int
		uri              string
	}{
		{"no credentials", "/call/light.get", "", nil, 401, "wamp.error.authentication_failed"},
		{"wrong ticket", "/call/light.get", "", basic("op", "wrong"), 401, "wamp.error.authentication_failed"},
		{"unknown bearer ticket", "/call/light.get", "", bearer("nobody's", ""), 401, "wamp.error.authentication_failed"},
		{"internal user", "/call/light.get", "", basic(internalAuthID, "x"), 401, "wamp.error.authentication_failed"},
		{"viewer switching", "/call/light.set", `{"args":[true]}`, basic("viewer", "view-ticket-2"), 403, "wamp.error.not_authorized"},
		{"viewer publishing", "/publish/site.note", `{}`, basic("viewer", "view-ticket-2"), 403, "wamp.error.not_authorized"},
		{"no such procedure", "/call/no.such.thing", "", basic("op", "op-ticket-1"), 404, "wamp.error.no_such_procedure"},
		{"invalid URI", "/call/bad..uri", "", basic("op", "op-ticket-1"), 400, "wamp.error.invalid_uri"},
		{"malformed body", "/call/light.get", `{"args":`, basic("op", "op-ticket-1"), 400, "wamp.error.invalid_argument"},
		{"unknown key", "/call/light.get", `{"argz":[]}`, basic("op", "op-ticket-1"), 400, "wamp.error.invalid_argument"},
		{"bad option", "/call/light.get", `{"options":{"timeout":"soon"}}`, basic("op", "op-ticket-1"), 400, "wamp.error.invalid_argument"},
		{"body too large", "/call/light.set", `{"args":["` + strings.Repeat("x", bridgeMaxBody) + `"]}`, basic("op", "op-ticket-1"), 413, "wamp.error.invalid_argument"},
	} {
		if a := bridgePost(t, base, tc.path, tc.body, tc.auth); a.status != tc.status || a.Error != tc.uri {
			t.Errorf("%s: %d %q, want %d %q", tc.name, a.status, a.Error, tc.status, tc.uri)
		}
	}
	if res, err := c.Call(ctx, "light.get", wamp.Payload{}, nil); err != nil || res.Args[0] != false {
		t.Errorf("a refused request switched the light: %v %v", res.Args, err)
	}
	resp, err := http.Get(base + "/call/light.get")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET /call/light.get: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// TestHTTPBridgeAnonymous: on a realm open to anonymous sessions (the
// default, as with sensorbridge -demo -dashboard ADDR), a request without
// credentials is served, and a callee's slowness ends in 504 after the
// call's timeout option.
func TestHTTPBridgeAnonymous(t *testing.T) {
	sock := "unix://" + filepath.Join(t.TempDir(), "sb.sock")
	addrs := mustStart(t, map[string]any{
		"listeners": []any{map[string]any{"url": sock}},
		"demo":      true,
		"dashboard": map[string]any{"listen": "127.0.0.1:0"},
	})
	base := "http://" + addrs["dashboard"]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := dialRetry(t, ctx, sock, device.Config{Realm: "realm1"})
	if _, err := c.Register(ctx, "slow.thing", func(ctx context.Context, _ *device.Invocation) (wamp.Payload, error) {
		<-ctx.Done()
		return wamp.Payload{}, ctx.Err()
	}, nil); err != nil {
		t.Fatal(err)
	}
	for {
		a := bridgePost(t, base, "/call/light.set", `{"args":[true]}`, nil)
		if a.status == 200 {
			break
		}
		if a.Error != "wamp.error.no_such_procedure" || ctx.Err() != nil {
			t.Fatalf("anonymous light.set: %+v", a)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if a := bridgePost(t, base, "/call/slow.thing", `{"options":{"timeout":100}}`, nil); a.status != 504 || a.Error != "wamp.error.timeout" {
		t.Errorf("slow call: %+v, want 504 wamp.error.timeout", a)
	}
}

// TestDashboardFlag: -dashboard sets the dashboard's listen address, with
// or without a config file's dashboard object.
func TestDashboardFlag(t *testing.T) {
	cfg, err := parseFlags([]string{"-dashboard", "127.0.0.1:8082"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.dashboard == nil || cfg.dashboard.Listen != "127.0.0.1:8082" {
		t.Errorf("dashboard %+v", cfg.dashboard)
	}
	if _, err := parseFlags([]string{"-dashboard", "8082"}, io.Discard); err == nil {
		t.Error("-dashboard 8082 (no host:port) accepted")
	}
}
