package main

import (
	"fmt"
	"os"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/internal/confdecode"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/uplink"
	"github.com/edgewamp/edgewamp/wamp"
)

// The config file is read by internal/confdecode, edge-agent's decoder:
// one line per key below, so this file is the list of the keys
// sensorbridge reads. An error names the key's path, its line and column,
// and the problem (the known keys, the value of the wrong type).

// loadConfigFile reads and strictly decodes a config file.
func loadConfigFile(path string) (*fileConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var fc fileConfig
	if err := confdecode.Decode(b, func(o *confdecode.Object) { decodeFile(o, &fc) }); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return &fc, nil
}

func decodeFile(o *confdecode.Object, fc *fileConfig) {
	o.List("listeners", func(n int) { fc.Listeners = make([]listenSpec, n) }, func(i int, e *confdecode.Object) {
		decodeListener(e, &fc.Listeners[i])
	})
	o.List("realms", func(n int) { fc.Realms = make([]realmSpec, n) }, func(i int, e *confdecode.Object) {
		decodeRealm(e, &fc.Realms[i])
	})
	o.Object("uplink", func(u *confdecode.Object) {
		fc.Uplink = &uplinkSpec{}
		decodeUplink(u, fc.Uplink)
	})
	o.Object("log", func(l *confdecode.Object) {
		l.Str("level", &fc.Log.Level)
		l.Str("format", &fc.Log.Format)
	})
	dur(o, "shutdown_timeout", &fc.ShutdownTimeout)
	o.Bool("demo", &fc.Demo)
	dur(o, "demo_interval", &fc.DemoInterval)
	o.Str("demo_name", &fc.DemoName)
	o.Object("limits", func(l *confdecode.Object) { decodeLimits(l, &fc.Limits) })
	o.Object("dashboard", func(d *confdecode.Object) {
		fc.Dashboard = &dashboardSpec{}
		d.Str("listen", &fc.Dashboard.Listen)
		dur(d, "refresh", &fc.Dashboard.Refresh)
	})
}

// dur reads a duration key into one of the config's duration fields.
func dur(o *confdecode.Object, key string, dst *duration) { o.Duration(key, (*time.Duration)(dst)) }

func decodeListener(o *confdecode.Object, l *listenSpec) {
	o.Str("url", &l.URL)
	o.Str("cert", &l.Cert)
	o.Str("key", &l.Key)
	o.Str("client_ca", &l.ClientCA)
	o.Int("max_message_size", &l.MaxMessageSize)
	o.Strings("allowed_origins", &l.AllowedOrigins)
}

func decodeRealm(o *confdecode.Object, r *realmSpec) {
	o.Str("name", &r.Name)
	o.Str("slow_consumer", &r.SlowConsumer)
	o.List("users", func(n int) { r.Users = make([]minirouter.User, n) }, func(i int, e *confdecode.Object) {
		u := &r.Users[i]
		e.Str("authid", &u.AuthID)
		e.Str("authrole", &u.AuthRole)
		e.Str("ticket", &u.Ticket)
		e.Str("secret", &u.Secret)
		e.Str("salt", &u.Salt)
		e.Int("iterations", &u.Iterations)
		e.Int("keylen", &u.KeyLen)
		e.Strings("cryptosign_pubkeys", &u.CryptosignKeys)
		e.Bool("tls_client_cert", &u.TLSClientCert)
	})
	o.Bool("allow_anonymous", &r.AllowAnonymous)
	o.List("permissions", func(n int) { r.Permissions = make([]minirouter.Permission, n) }, func(i int, e *confdecode.Object) {
		p := &r.Permissions[i]
		e.Str("role", &p.Role)
		e.Str("uri", &p.URI)
		match(e, &p.Match)
		e.Strings("actions", &p.Actions)
		e.Bool("deny", &p.Deny)
	})
	o.Int("max_sessions", &r.MaxSessions)
	o.Float("publish_rate", &r.PublishRate)
	o.Int("publish_burst", &r.PublishBurst)
	o.Int("max_retained", &r.MaxRetained)
	o.Int("max_retained_bytes", &r.MaxRetainedBytes)
	o.List("history", func(n int) { r.History = make([]minirouter.HistoryRule, n) }, func(i int, e *confdecode.Object) {
		h := &r.History[i]
		confdecode.Text(e, "topic", &h.Topic)
		match(e, &h.Match)
		e.Int("limit", &h.Limit)
		e.Duration("max_age", &h.MaxAge)
	})
	o.Int("max_history_bytes", &r.MaxHistoryBytes)
	o.Str("history_file", &r.HistoryFile)
}

// match reads a "match" key: "exact", "prefix" or "wildcard".
func match(o *confdecode.Object, dst *wamp.MatchPolicy) {
	confdecode.Text(o, "match", dst)
	if *dst != "" && !dst.Valid() {
		o.Fail("match", "want %q, %q or %q, got %s", wamp.ExactMatch, wamp.PrefixMatch, wamp.WildcardMatch, confdecode.Shown(string(*dst)))
	}
}

func decodeUplink(o *confdecode.Object, s *uplinkSpec) {
	o.Str("url", &s.URL)
	o.Str("realm", &s.Realm)
	o.Str("local_realm", &s.LocalRealm)
	o.Str("serializer", &s.Serializer)
	o.Str("ca_file", &s.CAFile)
	o.Str("cert", &s.CertFile)
	o.Str("key", &s.KeyFile)
	o.Object("auth", func(a *confdecode.Object) { decodeCredentials(a, &s.Auth) })
	for _, r := range []struct {
		key string
		dst *[]uplink.Rule
	}{{"publish", &s.Publish}, {"subscribe", &s.Subscribe}, {"export", &s.Export}, {"import", &s.Import}} {
		o.List(r.key, func(n int) { *r.dst = make([]uplink.Rule, n) }, func(i int, e *confdecode.Object) {
			rule := &(*r.dst)[i]
			confdecode.Text(e, "local", &rule.Local)
			confdecode.Text(e, "upstream", &rule.Upstream)
			match(e, &rule.Match)
		})
	}
	o.Int("queue_size", &s.QueueSize)
	o.Str("queue_file", &s.QueueFile)
	dur(o, "min_backoff", &s.MinBackoff)
	dur(o, "max_backoff", &s.MaxBackoff)
	dur(o, "call_timeout", &s.CallTimeout)
}

func decodeCredentials(o *confdecode.Object, c *auth.Credentials) {
	o.Str("authid", &c.AuthID)
	o.Str("authrole", &c.AuthRole)
	o.Dict("authextra", &c.AuthExtra)
	o.Str("ticket", &c.Ticket)
	o.Str("secret", &c.Secret)
	o.Str("cryptosign_key_file", &c.CryptosignKeyFile)
	o.Bool("tls", &c.TLS)
}

func decodeLimits(o *confdecode.Object, l *limitsSpec) {
	dur(o, "handshake_timeout", &l.HandshakeTimeout)
	dur(o, "hello_timeout", &l.HelloTimeout)
	dur(o, "idle_timeout", &l.IdleTimeout)
	o.Int("max_message_size", &l.MaxMessageSize)
	o.Int("max_sessions", &l.MaxSessions)
	o.Int("max_pending_handshakes", &l.MaxPendingHandshakes)
	o.Int("max_pending_per_source", &l.MaxPendingPerSource)
	o.Int("max_connections", &l.MaxConnections)
	o.Int("max_connections_per_source", &l.MaxConnectionsPerSource)
	o.Int("max_subscriptions", &l.MaxSubscriptions)
	o.Int("max_registrations", &l.MaxRegistrations)
	o.Int("max_pending_calls", &l.MaxPendingCalls)
	o.Int("auth_failure_burst", &l.AuthFailureBurst)
	dur(o, "auth_failure_interval", &l.AuthFailureInterval)
	o.Bool("limit_local", &l.LimitLocal)
	o.Int("max_uri_length", &l.MaxURILength)
	o.Int("pre_auth_bytes", &l.PreAuthBytes)
	o.Int("pre_auth_total_bytes", &l.PreAuthTotalBytes)
	o.Int("max_testaments", &l.MaxTestaments)
	o.Int("max_testament_bytes", &l.MaxTestamentBytes)
	o.Int("memory_budget", &l.MemoryBudget)
	o.Int("source_memory_budget", &l.SourceMemoryBudget)
}
