package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/uplink"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// fileConfig is the JSON config file (-config), read by decodeFile. Every
// key is optional; see README.md for each key's meaning and default.
type fileConfig struct {
	Listeners       []listenSpec
	Realms          []realmSpec
	Uplink          *uplinkSpec
	Log             logSpec
	ShutdownTimeout duration
	Demo            bool
	DemoInterval    duration
	DemoName        string
	Limits          limitsSpec
	Dashboard       *dashboardSpec
}

type realmSpec struct {
	Name             string
	SlowConsumer     string
	Users            []minirouter.User
	AllowAnonymous   bool
	Permissions      []minirouter.Permission
	MaxSessions      int
	PublishRate      float64
	PublishBurst     int
	MaxRetained      int
	MaxRetainedBytes int
	History          []minirouter.HistoryRule
	MaxHistoryBytes  int
	HistoryFile      string
}

// realmConfig turns a "realms" entry into the router's RealmConfig.
func (r *realmSpec) realmConfig() (minirouter.RealmConfig, error) {
	for _, v := range []struct {
		key string
		n   float64
	}{{"max_sessions", float64(r.MaxSessions)}, {"publish_rate", r.PublishRate}, {"publish_burst", float64(r.PublishBurst)},
		{"max_retained", float64(r.MaxRetained)}, {"max_retained_bytes", float64(r.MaxRetainedBytes)},
		{"max_history_bytes", float64(r.MaxHistoryBytes)}} {
		if v.n < 0 {
			return minirouter.RealmConfig{}, fmt.Errorf("realm %q: %s %v: want a positive number", r.Name, v.key, v.n)
		}
	}
	return minirouter.RealmConfig{Name: wamp.URI(r.Name), SlowConsumer: r.SlowConsumer, Users: r.Users,
		AllowAnonymous: r.AllowAnonymous, Permissions: r.Permissions, MaxSessions: r.MaxSessions,
		PublishRate: r.PublishRate, PublishBurst: r.PublishBurst, MaxRetained: r.MaxRetained,
		MaxRetainedBytes: r.MaxRetainedBytes, History: r.History, MaxHistoryBytes: r.MaxHistoryBytes,
		HistoryFile: r.HistoryFile}, nil
}

type logSpec struct {
	Level  string
	Format string
}

// uplinkSpec is the "uplink" object.
type uplinkSpec struct {
	URL         string
	Realm       string
	LocalRealm  string
	Serializer  string
	CAFile      string
	CertFile    string
	KeyFile     string
	Auth        auth.Credentials
	Publish     []uplink.Rule
	Subscribe   []uplink.Rule
	Export      []uplink.Rule
	Import      []uplink.Rule
	QueueSize   int
	QueueFile   string
	MinBackoff  duration
	MaxBackoff  duration
	CallTimeout duration
}

// duration is a time.Duration read from a string ("500ms", "30s").
type duration time.Duration

// uplinkConfig turns the "uplink" object into the router's UplinkConfig.
func (s *uplinkSpec) uplinkConfig() (*uplink.Config, error) {
	if s.URL == "" {
		return nil, errors.New("uplink: url is required")
	}
	uc := &uplink.Config{
		URL:         s.URL,
		Realm:       wamp.URI(s.Realm),
		LocalRealm:  wamp.URI(s.LocalRealm),
		Serializer:  s.Serializer,
		Auth:        s.Auth,
		Publish:     s.Publish,
		Subscribe:   s.Subscribe,
		Export:      s.Export,
		Import:      s.Import,
		QueueSize:   s.QueueSize,
		QueueFile:   s.QueueFile,
		MinBackoff:  time.Duration(s.MinBackoff),
		MaxBackoff:  time.Duration(s.MaxBackoff),
		CallTimeout: time.Duration(s.CallTimeout),
		Dialers:     map[string]wamp.Dialer{"ws": wstransport.DialURL, "wss": wstransport.DialURL},
	}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("uplink ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("uplink ca_file %s: no PEM certificate", s.CAFile)
		}
		uc.TLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		return nil, errors.New("uplink: a client certificate needs both cert and key")
	}
	if s.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("uplink cert/key: %w", err)
		}
		if uc.TLS == nil {
			uc.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		uc.TLS.Certificates = []tls.Certificate{cert}
	}
	return uc, nil
}
