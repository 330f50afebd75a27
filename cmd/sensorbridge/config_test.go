package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/minirouter"
)

// TestExampleConfig loads the documented example file and checks that every
// section arrives where it belongs, and that flags override it.
func TestExampleConfig(t *testing.T) {
	// The example names a CA file that exists only on a real gateway: use a test one.
	dir := t.TempDir()
	ca, _ := writeCert(t, dir)
	b, err := os.ReadFile(filepath.Join("testdata", "sensorbridge.json"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "sensorbridge.json")
	os.WriteFile(file, []byte(strings.Replace(string(b), "/etc/edgewamp/acme-ca.pem", ca, 1)), 0o600)
	cfg, err := parseFlags([]string{"-config", file}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.listeners) != 6 || cfg.listeners[3].Cert != "/etc/edgewamp/gateway.crt" ||
		cfg.listeners[2].AllowedOrigins[0] != "https://dashboard.example.com" {
		t.Errorf("listeners %+v", cfg.listeners)
	}
	if len(cfg.realms) != 3 || len(cfg.realms[2].Permissions) != 4 || cfg.realms[2].Permissions[0].URI != "devices.{authid}." ||
		cfg.realms[2].PublishRate != 20 || cfg.realms[2].MaxSessions != 200 || cfg.realms[1].SlowConsumer != "disconnect" || len(cfg.realms[0].Users) != 3 ||
		!cfg.realms[0].AllowAnonymous || cfg.realms[0].Users[1].Salt != "agent7-salt" {
		t.Errorf("realms %+v", cfg.realms)
	}
	if r, err := minirouter.New(minirouter.Config{Realms: cfg.realms}); err != nil {
		t.Errorf("the example's realms: %v", err)
	} else {
		r.Close()
	}
	u := cfg.uplink
	if u == nil {
		t.Fatal("no uplink")
	}
	if u.URL != "wss://wamp.acme.example/ws?serializer=msgpack" || u.Realm != "acme" || u.LocalRealm != "realm1" ||
		u.Auth.AuthID != "site7-gateway" || u.Auth.Ticket != "s3cret-ticket" || u.TLS == nil ||
		len(u.Publish) != 2 || u.Publish[1].Match != "exact" || len(u.Subscribe) != 1 || len(u.Export) != 1 ||
		len(u.Import) != 1 || u.QueueSize != 10000 || u.QueueFile != "/var/lib/edgewamp/uplink.queue" ||
		u.MinBackoff != 500*time.Millisecond || u.MaxBackoff != 30*time.Second || u.CallTimeout != 20*time.Second ||
		u.Dialers["wss"] == nil {
		t.Errorf("uplink %+v", u)
	}
	if cfg.limits.MaxMessageSize != 1<<20 || cfg.limits.MaxPendingHandshakes != 64 || time.Duration(cfg.limits.HelloTimeout) != 10*time.Second || cfg.limits.MaxSessions != 1024 ||
		cfg.dashboard == nil || cfg.dashboard.Listen != "127.0.0.1:8082" || time.Duration(cfg.dashboard.Refresh) != 2*time.Second {
		t.Errorf("limits %+v, dashboard %+v", cfg.limits, cfg.dashboard)
	}
	if cfg.shutdownTimeout != 5*time.Second || cfg.demo || cfg.demoInterval != time.Second {
		t.Errorf("cfg %+v", cfg)
	}

	cfg, err = parseFlags([]string{"-config", file, "-listen", "ws://127.0.0.1:1/x", "-realm", "other",
		"-uplink", "rs://127.0.0.1:2", "-uplink-realm", "r2", "-uplink-queue-file", "/tmp/q", "-demo"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.listeners) != 1 || cfg.listeners[0].URL != "ws://127.0.0.1:1/x" || cfg.realms[0].Name != "other" ||
		cfg.uplink.URL != "rs://127.0.0.1:2" || cfg.uplink.Realm != "r2" || cfg.uplink.QueueFile != "/tmp/q" ||
		len(cfg.uplink.Export) != 1 || !cfg.demo {
		t.Errorf("flags did not override: %+v %+v", cfg, cfg.uplink)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ json, want string }{
		{`{"listners": []}`, "unknown field"},
		{`{"shutdown_timeout": 5}`, "duration"},
		{`{"shutdown_timeout": "-1s"}`, "negative"},
		{`{"uplink": {"realm": "x"}}`, "url is required"},
		{`{"uplink": {"url": "rss://127.0.0.1:1", "cert": "c.pem"}}`, "needs both cert and key"},
		{`{} {}`, "trailing"},
		{`{"log": {"level": "loud"}}`, "-log-level"},
		{`{"limits": {"max_message_size": 100}}`, "limits.max_message_size"},
		{`{"limits": {"max_message_size": 33554432}}`, "limits.max_message_size"},
		{`{"limits": {"max_sessions": -1}}`, "limits.max_sessions"},
		{`{"limits": {"max_pending_handshakes": -1}}`, "limits.max_pending_handshakes"},
		{`{"limits": {"hello_timeout": "soon"}}`, "duration"},
		{`{"limits": {"max_conns": 5}}`, "unknown field"},
		{`{"limits": {"max_connections_per_source": -2}}`, "limits.max_connections_per_source"},
		{`{"dashboard": {}}`, "dashboard.listen is required"},
		{`{"realms": [{"name": "r", "max_sessions": -1}]}`, "max_sessions"},
		{`{"realms": [{"name": "r", "publish_rate": -5}]}`, "publish_rate"},
		{`{"realms": [{"name": "r", "permissions": [{"role": "device", "uri": "a.b", "actions": ["fly"]}]}]}`, "unknown action"},
		{`{"realms": [{"name": "r", "users": [{"authid": "u", "cryptosign_pubkeys": ["zz"]}]}]}`, "realms"},
		{`{"limits": {"auth_failure_burst": -1}}`, "limits.auth_failure_burst"},
		{`{"realms": [{"name": "r", "users": [{"authid": "u", "ticket": "t"}]}], "uplink": {"url": "rs://127.0.0.1:1"}}`, "uplink.local_realm"},
		{`{"dashboard": {"listen": "8082"}}`, "dashboard.listen"},
		{`{"dashboard": {"listen": "127.0.0.1:0", "refresh": "10ms"}}`, "dashboard.refresh"},
		{`{"dashboard": {"listen": "127.0.0.1:0", "path": "/x"}}`, "unknown field"},
	}
	for i, tt := range tests {
		path := filepath.Join(dir, "c.json")
		os.WriteFile(path, []byte(tt.json), 0o600)
		_, err := parseFlags([]string{"-config", path}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%d: %s: error %v, want %q", i, tt.json, err, tt.want)
		}
	}
	if _, err := parseFlags([]string{"-config", filepath.Join(dir, "none.json")}, io.Discard); err == nil {
		t.Error("a missing config file is not an error")
	}
}
