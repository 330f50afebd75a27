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
	// The example names certificate files that exist only on a real
	// gateway (and are loaded by the check of each listener): use test ones.
	dir := t.TempDir()
	ca, key := writeCert(t, dir)
	b, err := os.ReadFile(filepath.Join("testdata", "sensorbridge.json"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "sensorbridge.json")
	example := strings.NewReplacer("/etc/edgewamp/acme-ca.pem", ca, "/etc/edgewamp/gateway.crt", ca, "/etc/edgewamp/gateway.key", key).Replace(string(b))
	os.WriteFile(file, []byte(example), 0o600)
	cfg, err := parseFlags([]string{"-config", file}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.listeners) != 6 || cfg.listeners[3].Cert != ca ||
		cfg.listeners[2].AllowedOrigins[0] != "https://dashboard.example.com" {
		t.Errorf("listeners %+v", cfg.listeners)
	}
	if len(cfg.realms) != 3 || len(cfg.realms[2].Permissions) != 4 || cfg.realms[2].Permissions[0].URI != "devices.{authid}." ||
		cfg.realms[2].PublishRate != 20 || len(cfg.realms[2].History) != 1 || cfg.realms[2].History[0].MaxAge != 24*time.Hour || cfg.realms[2].MaxSessions != 200 || cfg.realms[1].SlowConsumer != "disconnect" || len(cfg.realms[0].Users) != 3 ||
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
	var rc minirouter.Config
	cfg.limits.apply(&rc)
	if b := rc.Budgets; b.MaxURILength != 1024 || b.PreAuthBytes != 16<<10 || b.PreAuthTotalBytes != 1<<20 || b.MaxTestaments != 16 ||
		b.MaxTestamentBytes != 64<<10 || b.Memory != 64<<20 || b.SourceMemory != 16<<20 {
		t.Errorf("budgets %+v", b)
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
		{`{"listners": []}`, "line 1, column 2: listners: unknown key (known: dashboard, demo, demo_interval, demo_name, limits, listeners, log, realms, shutdown_timeout, uplink)"},
		{`{"shutdown_timeout": 5}`, "duration"},
		{`{"shutdown_timeout": "-1s"}`, "negative"},
		{`{"uplink": {"realm": "x"}}`, "url is required"},
		{`{"uplink": {"url": "rss://127.0.0.1:1", "cert": "c.pem"}}`, "needs both cert and key"},
		{`{} {}`, "line 1, column 4: unexpected '{' at offset 3, expected end of input"},
		{`{"log": {"level": "loud"}}`, "-log-level"},
		{`{"limits": {"max_message_size": 100}}`, "limits.max_message_size"},
		{`{"limits": {"max_message_size": 33554432}}`, "limits.max_message_size"},
		{`{"limits": {"max_sessions": -1}}`, "limits.max_sessions"},
		{`{"limits": {"max_pending_handshakes": -1}}`, "limits.max_pending_handshakes"},
		{`{"limits": {"max_pending_per_source": -1}}`, "limits.max_pending_per_source"},
		{`{"limits": {"hello_timeout": "soon"}}`, "duration"},
		{`{"limits": {"max_conns": 5}}`, "line 1, column 13: limits.max_conns: unknown key (known: auth_failure_burst, "},
		{`{"limits": {"max_connections_per_source": -2}}`, "limits.max_connections_per_source"},
		{`{"dashboard": {}}`, "dashboard.listen is required"},
		{`{"realms": [{"name": "r", "max_sessions": -1}]}`, "max_sessions"},
		{`{"realms": [{"name": "r", "publish_rate": -5}]}`, "publish_rate"},
		{`{"realms": [{"name": "r", "history": [{"topic": "a", "max_age": "soon"}]}]}`, "realms[0].history[0].max_age"},
		{`{"realms": [{"name": "r", "history": [{"topic": "a..b"}]}]}`, "history rule 0"},
		{`{"realms": [{"name": "r", "permissions": [{"role": "device", "uri": "a.b", "actions": ["fly"]}]}]}`, "unknown action"},
		{`{"realms": [{"name": "r", "users": [{"authid": "u", "cryptosign_pubkeys": ["zz"]}]}]}`, "realms"},
		{`{"limits": {"auth_failure_burst": -1}}`, "limits.auth_failure_burst"},
		{`{"limits": {"memory_budget": -1}}`, "limits.memory_budget"},
		{`{"realms": [{"name": "r", "users": [{"authid": "u", "ticket": "t"}]}], "uplink": {"url": "rs://127.0.0.1:1"}}`, "uplink.local_realm"},
		{`{"dashboard": {"listen": "8082"}}`, "dashboard.listen"},
		{`{"dashboard": {"listen": "127.0.0.1:0", "refresh": "10ms"}}`, "dashboard.refresh"},
		{`{"dashboard": {"listen": "127.0.0.1:0", "path": "/x"}}`, "dashboard.path: unknown key (known: listen, refresh)"},
		// The texts of issue 14: a wrong type names the key, where it is and the value.
		{"{\n  \"limits\": {\n    \"max_sessions\": \"ten\"}}", `line 3, column 5: limits.max_sessions: want an integer, got "ten"`},
		{"{\"listeners\": [{\"url\": \"rs://127.0.0.1:1\"}]]", "line 1, column 44: unexpected ']' at offset 43, expected , or }"},
		{`{"realms": [{"name": "r"}, {"name": 7}]}`, "line 1, column 29: realms[1].name: want a string, got 7"},
		{`{"realms": [{"name": "r", "permissions": [{"role": "x", "uri": "a", "match": "regex", "actions": ["call"]}]}]}`, `realms[0].permissions[0].match: want "exact", "prefix" or "wildcard", got "regex"`},
		{`{"uplink": {"url": "rs://h:1", "publish": [{"local": "a", "upstream": 5}]}}`, "uplink.publish[0].upstream: want a string, got 5"},
		{`{"demo_interval": "10"}`, `demo_interval: bad duration "10" (want e.g. "500ms", "10s", "1m")`},
		{`{"log": {"level": "info", "level": "debug"}}`, "line 1, column 27: log.level: duplicate key"},
		{`{"demo_name": "bad..name"}`, `device name "bad..name"`},
		// URLs that can never work stop sensorbridge before it starts.
		{`{"uplink": {"url": "ftp://x"}}`, `uplink url "ftp://x": unsupported scheme "ftp" (want one of rs://host:port,`},
		{`{"uplink": {"url": "rs://127.0.0.1"}}`, `uplink url "rs://127.0.0.1": want rs://host:port`},
		{`{"uplink": {"url": "ws://h/ws?serializer=xml"}}`, `unknown serializer "xml"`},
		{`{"uplink": {"url": "rs://h:1", "serializer": "cbor2"}}`, `uplink serializer: unknown serializer "cbor2"`},
		{`{"listeners": [{"url": "ftp://127.0.0.1:1"}]}`, `listen URL "ftp://127.0.0.1:1": unsupported scheme "ftp"`},
		{`{"listeners": [{"url": "rs://127.0.0.1"}]}`, `listen URL "rs://127.0.0.1": want rs://host:port`},
		{`{"listeners": [{"url": "wss://127.0.0.1:1/ws"}]}`, `TLS needs a certificate and a key file`},
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
