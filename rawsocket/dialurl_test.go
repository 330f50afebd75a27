package rawsocket

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

func TestTarget(t *testing.T) {
	tests := []struct {
		url, network, addr, err string
	}{
		{url: "rs://127.0.0.1:8080", network: "tcp", addr: "127.0.0.1:8080"},
		{url: "tcp://gw.local:9000", network: "tcp", addr: "gw.local:9000"},
		{url: "rs://[::1]:8080", network: "tcp", addr: "[::1]:8080"},
		{url: "rss://gw.example.com:443", network: "tcp", addr: "gw.example.com:443"},
		{url: "RSS://gw.example.com:443", network: "tcp", addr: "gw.example.com:443"},
		{url: "unix:///run/wamp.sock", network: "unix", addr: "/run/wamp.sock"},
		{url: "unix:wamp.sock", network: "unix", addr: "wamp.sock"},
		{url: "rs://gw.local", err: "rs URL without a port"},
		{url: "rs:///path", err: "rs URL without host:port"},
		{url: "rss://", err: "rss URL without host:port"},
		{url: "unix://", err: "unix URL without a socket path"},
		{url: "ws://gw:80/ws", err: `scheme "ws" is not RawSocket's`},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			network, addr, err := target(u)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || network != tt.network || addr != tt.addr {
				t.Fatalf("= %q %q %v, want %q %q", network, addr, err, tt.network, tt.addr)
			}
		})
	}
}

// TestDialURLOptions checks what DialURL asks the router for: the URL's serializer over the
// options', and the options' message size limit.
func TestDialURLOptions(t *testing.T) {
	l, err := Listen("tcp", "127.0.0.1:0", ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tests := []struct {
		query      string
		opts       wamp.DialOptions
		serializer string
		maxSize    int
	}{
		{"", wamp.DialOptions{}, "msgpack", 1 << 20},
		{"", wamp.DialOptions{Serializer: wamp.JSON, MaxMessageSize: 4096}, "json", 4096},
		{"?serializer=msgpack", wamp.DialOptions{Serializer: wamp.JSON}, "msgpack", 1 << 20},
	}
	if wamp.CBOR != nil {
		tests = append(tests, struct {
			query      string
			opts       wamp.DialOptions
			serializer string
			maxSize    int
		}{"?serializer=cbor", wamp.DialOptions{}, "cbor", 1 << 20})
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			u, _ := url.Parse("rs://" + l.Addr().String() + tt.query)
			c, err := DialURL(context.Background(), u, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			s, err := l.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if c.Serializer().Name() != tt.serializer || s.MaxMessageSize() != tt.maxSize {
				t.Errorf("serializer %s, router's limit for us %d; want %s, %d",
					c.Serializer().Name(), s.MaxMessageSize(), tt.serializer, tt.maxSize)
			}
		})
	}
	u, _ := url.Parse("rs://" + l.Addr().String() + "?serializer=ubjson")
	if _, err := DialURL(context.Background(), u, wamp.DialOptions{}); err == nil || !strings.Contains(err.Error(), `unknown serializer "ubjson"`) {
		t.Errorf("unknown serializer: %v", err)
	}
	u, _ = url.Parse("rss://" + l.Addr().String())
	if _, err := DialURL(context.Background(), u, wamp.DialOptions{TLS: "not a config"}); err == nil || !strings.Contains(err.Error(), "want a *tls.Config") {
		t.Errorf("TLS of the wrong type: %v", err)
	}
}
