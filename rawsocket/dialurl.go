package rawsocket

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/edgewamp/edgewamp/wamp"
)

// DialURL is RawSocket's [wamp.Dialer]: it connects to the router at u and
// runs the client handshake. Schemes:
//
//	rs://host:port, tcp://host:port   RawSocket over TCP
//	rss://host:port                   RawSocket over TLS (opts.TLS; ServerName defaults to host)
//	unix:///path/to/socket            RawSocket over a Unix socket
//
// The serializer is the URL's serializer=json|msgpack|cbor, else
// opts.Serializer, else MessagePack; opts' limits fill [ClientConfig]
// (KeepAlive stays off unless positive). Safe for concurrent use.
func DialURL(ctx context.Context, u *url.URL, opts wamp.DialOptions) (wamp.Transport, error) {
	network, addr, err := target(u)
	if err != nil {
		return nil, err
	}
	cfg := ClientConfig{
		MaxMessageSize:   opts.MaxMessageSize,
		HandshakeTimeout: opts.HandshakeTimeout,
		KeepAlive:        opts.KeepAlive,
	}
	if cfg.Serializer, err = opts.SerializerFor(u, nil); err != nil {
		return nil, fmt.Errorf("rawsocket: %w", err)
	}
	if cfg.TLS, err = dialTLS(u.Scheme == "rss", opts.TLS); err != nil {
		return nil, fmt.Errorf("rawsocket: %w", err)
	}
	c, err := Dial(ctx, network, addr, cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// target returns the network and address a RawSocket URL names. The
// scheme is lower case, as url.Parse leaves it.
func target(u *url.URL) (network, addr string, err error) {
	switch u.Scheme {
	case "unix":
		addr = u.Path
		if addr == "" {
			addr = u.Opaque
		}
		if addr == "" {
			return "", "", errors.New("rawsocket: unix URL without a socket path (want unix:///path)")
		}
		return "unix", addr, nil
	case "rs", "tcp", "rss":
		var missing string
		switch {
		case u.Host == "":
			missing = "host:port"
		case u.Port() == "":
			missing = "a port"
		default:
			return "tcp", net.JoinHostPort(u.Hostname(), u.Port()), nil
		}
		return "", "", fmt.Errorf("rawsocket: %s URL without %s", u.Scheme, missing)
	}
	return "", "", fmt.Errorf("rawsocket: scheme %q is not RawSocket's (want rs, rss, tcp or unix)", u.Scheme)
}
