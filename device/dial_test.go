package device

import (
	"context"
	"crypto/tls"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

func TestRawSocketTarget(t *testing.T) {
	tests := []struct {
		url, network, addr, serverName, err string
	}{
		{url: "rs://127.0.0.1:8080", network: "tcp", addr: "127.0.0.1:8080"},
		{url: "tcp://gw.local:9000", network: "tcp", addr: "gw.local:9000"},
		{url: "rs://[::1]:8080", network: "tcp", addr: "[::1]:8080"},
		{url: "rss://gw.example.com:443", network: "tcp", addr: "gw.example.com:443", serverName: "gw.example.com"},
		{url: "unix:///run/wamp.sock", network: "unix", addr: "/run/wamp.sock"},
		{url: "unix:wamp.sock", network: "unix", addr: "wamp.sock"},
		{url: "rs://gw.local", err: "without a port"},
		{url: "rs:///path", err: "without host"},
		{url: "unix://", err: "without a socket path"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			network, addr, conf, err := rawSocketTarget(u, u.Scheme, nil)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || network != tt.network || addr != tt.addr {
				t.Fatalf("= %q %q %v, want %q %q", network, addr, err, tt.network, tt.addr)
			}
			if (conf != nil) != (tt.serverName != "") || (conf != nil && conf.ServerName != tt.serverName) {
				t.Errorf("TLS config = %+v, want ServerName %q", conf, tt.serverName)
			}
		})
	}
}

func TestRawSocketTargetKeepsTLSConfig(t *testing.T) {
	u, _ := url.Parse("rss://gw:443")
	mine := &tls.Config{ServerName: "override", MinVersion: tls.VersionTLS13}
	_, _, conf, err := rawSocketTarget(u, "rss", mine)
	if err != nil || conf == mine || conf.ServerName != "override" || conf.MinVersion != tls.VersionTLS13 {
		t.Errorf("conf = %+v, %v; want a clone of the given config", conf, err)
	}
}

func TestDialErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		url  string
		want string
		is   error
	}{
		{"ws://h:1/", "unsupported URL scheme", ErrUnsupportedScheme},
		{"serial:///dev/ttyUSB0", "plugged in: none", ErrUnsupportedScheme},
		{"rs://h:1?serializer=cbor", "unknown serializer", nil},
		{"rs://h", "without a port", nil},
		{"://", "missing protocol scheme", nil},
		{"rs://127.0.0.1:1", "refused", nil},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := Dial(ctx, tt.url, Config{Logger: quietLogger()})
			if err == nil || c != nil {
				t.Fatalf("Dial = %v, %v", c, err)
			}
			if !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDialPluggedIn(t *testing.T) {
	var gotSerializer string
	cfg := Config{Logger: quietLogger(), Dialers: map[string]DialFunc{
		"loop": func(ctx context.Context, u *url.URL, cfg *Config) (wamp.Transport, error) {
			gotSerializer = cfg.Serializer
			a, b := peer.Pipe(wamp.JSON, 0)
			r := newFakeRouter(t, b)
			go func() {
				expect[*wamp.Hello](r)
				r.send(&wamp.Welcome{Session: 5, Details: wamp.Dict{}})
			}()
			return a, nil
		},
		"broken": func(ctx context.Context, u *url.URL, cfg *Config) (wamp.Transport, error) {
			return nil, errors.New("no such port")
		},
	}}
	c, err := Dial(context.Background(), "loop://x?serializer=json", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.ID() != 5 || gotSerializer != "json" {
		t.Errorf("id %d, serializer %q", c.ID(), gotSerializer)
	}
	if _, err := Dial(context.Background(), "broken://x", cfg); err == nil || !strings.Contains(err.Error(), "no such port") {
		t.Errorf("err = %v", err)
	}
}

func TestDialPluggedInDefaultSerializer(t *testing.T) {
	var got = "unset"
	cfg := Config{Logger: quietLogger(), Dialers: map[string]DialFunc{
		"ws": func(ctx context.Context, u *url.URL, cfg *Config) (wamp.Transport, error) {
			got = cfg.Serializer
			return nil, errors.New("stop here")
		},
	}}
	Dial(context.Background(), "ws://x/", cfg)
	if got != "" {
		t.Errorf("serializer passed to the dialer = %q, want empty (the transport's default)", got)
	}
}
