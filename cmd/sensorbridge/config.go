package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
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

// fileConfig is the JSON config file (-config). Every key is optional; see
// README.md for each key's meaning and default.
type fileConfig struct {
	Listeners       []listenSpec   `json:"listeners"`
	Realms          []realmSpec    `json:"realms"`
	Uplink          *uplinkSpec    `json:"uplink"`
	Log             logSpec        `json:"log"`
	ShutdownTimeout duration       `json:"shutdown_timeout"`
	Demo            bool           `json:"demo"`
	DemoInterval    duration       `json:"demo_interval"`
	Limits          limitsSpec     `json:"limits"`
	Dashboard       *dashboardSpec `json:"dashboard"`
}

type realmSpec struct {
	Name             string                  `json:"name"`
	SlowConsumer     string                  `json:"slow_consumer"`
	Users            []minirouter.User       `json:"users"`
	AllowAnonymous   bool                    `json:"allow_anonymous"`
	Permissions      []minirouter.Permission `json:"permissions"`
	MaxSessions      int                     `json:"max_sessions"`
	PublishRate      float64                 `json:"publish_rate"`
	PublishBurst     int                     `json:"publish_burst"`
	MaxRetained      int                     `json:"max_retained"`
	MaxRetainedBytes int                     `json:"max_retained_bytes"`
}

// realmConfig turns a "realms" entry into the router's RealmConfig.
func (r *realmSpec) realmConfig() (minirouter.RealmConfig, error) {
	for _, v := range []struct {
		key string
		n   float64
	}{{"max_sessions", float64(r.MaxSessions)}, {"publish_rate", r.PublishRate}, {"publish_burst", float64(r.PublishBurst)},
		{"max_retained", float64(r.MaxRetained)}, {"max_retained_bytes", float64(r.MaxRetainedBytes)}} {
		if v.n < 0 {
			return minirouter.RealmConfig{}, fmt.Errorf("realm %q: %s %v: want a positive number", r.Name, v.key, v.n)
		}
	}
	return minirouter.RealmConfig{Name: wamp.URI(r.Name), SlowConsumer: r.SlowConsumer, Users: r.Users,
		AllowAnonymous: r.AllowAnonymous, Permissions: r.Permissions, MaxSessions: r.MaxSessions,
		PublishRate: r.PublishRate, PublishBurst: r.PublishBurst, MaxRetained: r.MaxRetained,
		MaxRetainedBytes: r.MaxRetainedBytes}, nil
}

type logSpec struct {
	Level  string `json:"level"`
	Format string `json:"format"`
}

// uplinkSpec is the "uplink" object.
type uplinkSpec struct {
	URL         string           `json:"url"`
	Realm       string           `json:"realm"`
	LocalRealm  string           `json:"local_realm"`
	Serializer  string           `json:"serializer"`
	CAFile      string           `json:"ca_file"`
	CertFile    string           `json:"cert"`
	KeyFile     string           `json:"key"`
	Auth        auth.Credentials `json:"auth"`
	Publish     []uplink.Rule    `json:"publish"`
	Subscribe   []uplink.Rule    `json:"subscribe"`
	Export      []uplink.Rule    `json:"export"`
	Import      []uplink.Rule    `json:"import"`
	QueueSize   int              `json:"queue_size"`
	QueueFile   string           `json:"queue_file"`
	MinBackoff  duration         `json:"min_backoff"`
	MaxBackoff  duration         `json:"max_backoff"`
	CallTimeout duration         `json:"call_timeout"`
}

// duration is a time.Duration written as a string ("500ms", "30s") in JSON.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string such as \"5s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", s)
	}
	*d = duration(v)
	return nil
}

// loadConfigFile reads and strictly decodes a config file (unknown keys
// are errors).
func loadConfigFile(path string) (*fileConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var fc fileConfig
	if err := dec.Decode(&fc); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("config %s: trailing data after the JSON object", path)
	}
	return &fc, nil
}

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
