package device

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// ErrUnsupportedScheme is wrapped by the error of [Dial] and
// [DialTransport] for a URL scheme that is neither built in nor in
// Config.Dialers.
var ErrUnsupportedScheme = errors.New("device: unsupported URL scheme")

// builtInSchemes are the schemes DialTransport knows without Config.Dialers.
const builtInSchemes = "rs, rss, tcp, unix"

// pluggable names the module's other transports and their dialers, for the
// error of a binary built without them.
const pluggable = "ws and wss: wstransport.DialURL, serial: serialtransport.DialURL"

// Dial connects to the router at rawURL (see [DialTransport]) and joins
// cfg.Realm (see [NewClient]); ctx bounds the connection and the join, not
// the session.
//
// With cfg.Reconnect.Enabled, Dial only checks rawURL's scheme and returns
// a client that joins in the background and keeps reconnecting until Close
// or Leave (see [Client]): a device that starts before its router can still
// queue publications and declare its registrations. Calls wait for the
// first join only with Reconnect.CallWaitsForJoin; Reconnect.OnJoin tells of
// each join.
func Dial(ctx context.Context, rawURL string, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if cfg.Reconnect.Enabled {
		return dialReconnecting(rawURL, cfg)
	}
	t, err := DialTransport(ctx, rawURL, cfg)
	if err != nil {
		return nil, err
	}
	c, err := NewClient(ctx, t, cfg)
	if err != nil {
		return nil, fmt.Errorf("device: dial %s: %w", rawURL, err)
	}
	return c, nil
}

// DialTransport opens the transport to the router at rawURL without
// joining: the one place where a URL picks its transport, for [Dial], the
// uplink and the command line. Schemes:
//
//	rs://host:port, tcp://host:port   RawSocket over TCP
//	rss://host:port                   RawSocket over TLS (cfg.TLS; default: verify host)
//	unix:///path/to/socket            RawSocket over a Unix socket
//
// Any other scheme is looked up in cfg.Dialers, where a binary plugs in
// wstransport.DialURL for "ws" and "wss", serialtransport.DialURL for
// "serial" (so that one built without them does not link net/http or a
// serial library). The query parameter serializer=json|msgpack|cbor picks the
// serializer (default cfg.Serializer, else the transport's own: msgpack
// for RawSocket and serial, json for WebSocket). cfg.TLS and
// cfg.Transport's limits go to the dialer.
//
// Errors name the URL; a scheme neither built in nor plugged in wraps
// [ErrUnsupportedScheme] and lists the schemes there are.
func DialTransport(ctx context.Context, rawURL string, cfg Config) (wamp.Transport, error) {
	u, d, err := dialerFor(rawURL, cfg)
	if err != nil {
		return nil, err
	}
	opts := cfg.Transport
	if cfg.TLS != nil {
		opts.TLS = cfg.TLS
	}
	name := cfg.Serializer
	if q := u.Query().Get("serializer"); q != "" {
		name = q
	}
	if name != "" {
		s, err := wamp.SerializerNamed(name)
		if err != nil {
			return nil, fmt.Errorf("device: dial %s: %w", rawURL, err)
		}
		opts.Serializer = s
	}
	t, err := d(ctx, u, opts)
	if err != nil {
		return nil, fmt.Errorf("device: dial %s: %w", rawURL, err)
	}
	return t, nil
}

// CheckURL reports, without dialing, what makes rawURL undialable with
// cfg whatever the network does: a scheme neither built in nor in
// cfg.Dialers (wrapping [ErrUnsupportedScheme]), a missing host or port,
// a relative unix path, an unknown serializer. Retrying such a URL would
// never succeed, so a program checks it at start and refuses to run.
func CheckURL(rawURL string, cfg Config) error {
	u, _, err := dialerFor(rawURL, cfg)
	if err != nil {
		return err
	}
	want := ""
	switch u.Scheme {
	case "rs", "rss", "tcp":
		if u.Hostname() == "" || u.Port() == "" {
			want = "://host:port"
		}
	case "ws", "wss":
		if u.Hostname() == "" {
			want = "://host[:port]/path"
		}
	case "unix":
		if u.Host != "" || u.Path == "" {
			want = ":///absolute/path"
		}
	}
	if want != "" {
		return fmt.Errorf("device: URL %q: want %s%s", rawURL, u.Scheme, want)
	}
	if _, err := (wamp.DialOptions{}).SerializerFor(u, nil); err != nil {
		return fmt.Errorf("device: URL %q: %w", rawURL, err)
	}
	if cfg.Serializer != "" {
		if _, err := wamp.SerializerNamed(cfg.Serializer); err != nil {
			return fmt.Errorf("device: %w", err)
		}
	}
	return nil
}

// dialerFor parses rawURL and picks the dialer of its scheme.
func dialerFor(rawURL string, cfg Config) (*url.URL, wamp.Dialer, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("device: dial: %w", err)
	}
	var d wamp.Dialer // url.Parse leaves the scheme in lower case
	switch u.Scheme {
	case "rs", "rss", "tcp", "unix":
		d = rawsocket.DialURL
	default:
		d = cfg.Dialers[u.Scheme]
	}
	if d == nil {
		return nil, nil, fmt.Errorf("device: dial %s: %w %q (built in: %s; plugged in: %s; to plug into Config.Dialers: %s)",
			rawURL, ErrUnsupportedScheme, u.Scheme, builtInSchemes, dialerNames(cfg.Dialers), pluggable)
	}
	return u, d, nil
}

func dialerNames(m map[string]wamp.Dialer) string {
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
