package device

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// ErrUnsupportedScheme is wrapped by Dial's error for a URL scheme it does
// not know and that Config.Dialers does not provide.
var ErrUnsupportedScheme = errors.New("device: unsupported URL scheme")

// Dial connects to the router at rawURL and joins cfg.Realm (see
// [NewClient]); ctx bounds the connection and the join, not the session.
//
// Schemes:
//
//	rs://host:port, tcp://host:port   RawSocket over TCP
//	rss://host:port                   RawSocket over TLS (cfg.TLS; default: verify host)
//	unix:///path/to/socket            RawSocket over a Unix socket
//
// Any other scheme is looked up in cfg.Dialers (e.g. "ws", "wss", "serial").
// The query parameter serializer=json|msgpack picks the serializer (default
// cfg.Serializer, else "msgpack" for RawSocket and the plugged-in
// transport's own default for the others).
func Dial(ctx context.Context, rawURL string, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("device: dial: %w", err)
	}
	if s := u.Query().Get("serializer"); s != "" {
		cfg.Serializer = s
	}
	var t wamp.Transport
	switch scheme := strings.ToLower(u.Scheme); scheme {
	case "rs", "tcp", "rss", "unix":
		name := cfg.Serializer
		if name == "" {
			name = DefaultSerializer
		}
		s, ok := wamp.SerializerByName(name)
		if !ok {
			return nil, fmt.Errorf("device: dial %s: unknown serializer %q (want json or msgpack)", rawURL, name)
		}
		network, addr, tlsConf, err := rawSocketTarget(u, scheme, cfg.TLS)
		if err != nil {
			return nil, fmt.Errorf("device: dial %s: %w", rawURL, err)
		}
		t, err = dialRawSocket(ctx, network, addr, s, tlsConf, cfg.RawSocket)
		if err != nil {
			return nil, fmt.Errorf("device: dial %s: %w", rawURL, err)
		}
	default:
		d := cfg.Dialers[scheme]
		if d == nil {
			return nil, fmt.Errorf("device: dial %s: %w %q (built in: rs, rss, tcp, unix; plugged in: %s)",
				rawURL, ErrUnsupportedScheme, u.Scheme, dialerNames(cfg.Dialers))
		}
		t, err = d(ctx, u, &cfg)
		if err != nil {
			return nil, fmt.Errorf("device: dial %s: %w", rawURL, err)
		}
	}
	c, err := NewClient(ctx, t, cfg)
	if err != nil {
		return nil, fmt.Errorf("device: dial %s: %w", rawURL, err)
	}
	return c, nil
}

// rawSocketTarget returns the network, address and TLS config for a
// RawSocket URL.
func rawSocketTarget(u *url.URL, scheme string, conf *TLSConfig) (network, addr string, tlsConf *TLSConfig, err error) {
	if scheme == "unix" {
		p := u.Path
		if p == "" {
			p = u.Opaque
		}
		if p == "" {
			return "", "", nil, errors.New("unix URL without a socket path (want unix:///path)")
		}
		return "unix", p, nil, nil
	}
	if u.Host == "" {
		return "", "", nil, fmt.Errorf("%s URL without host:port", scheme)
	}
	if u.Port() == "" {
		return "", "", nil, fmt.Errorf("%s URL without a port", scheme)
	}
	if scheme == "rss" {
		if tlsConf, err = rssTLS(conf, u.Hostname()); err != nil {
			return "", "", nil, err
		}
	}
	return "tcp", net.JoinHostPort(u.Hostname(), u.Port()), tlsConf, nil
}

func dialerNames(m map[string]DialFunc) string {
	if len(m) == 0 {
		return "none"
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// dialRawSocket opens a RawSocket connection (over TLS when tlsConf != nil).
func dialRawSocket(ctx context.Context, network, addr string, s wamp.Serializer, tlsConf *TLSConfig, base rawsocket.ClientConfig) (wamp.Transport, error) {
	cfg := base
	cfg.Serializer = s
	cfg.TLS = tlsConf
	c, err := rawsocket.Dial(ctx, network, addr, cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}
