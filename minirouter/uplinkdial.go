package minirouter

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// dialUpstream opens the transport to the upstream URL: RawSocket for rs://,
// tcp://, rss:// and unix://, cfg.Dialers for any other scheme. The join
// itself is the Reconnector's. RawSocket keepalive PINGs stay off: some
// routers refuse them.
func dialUpstream(ctx context.Context, cfg *UplinkConfig) (wamp.Transport, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("minirouter: uplink URL: %w", err)
	}
	ser := cfg.Serializer
	if s := u.Query().Get("serializer"); s != "" {
		ser = s
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "rs", "tcp", "rss", "unix":
		if ser == "" {
			ser = "msgpack"
		}
		s, ok := wamp.SerializerByName(ser)
		if !ok {
			return nil, fmt.Errorf("minirouter: uplink: unknown serializer %q", ser)
		}
		rc := rawsocket.ClientConfig{Serializer: s}
		network, addr := "tcp", u.Host
		switch {
		case scheme == "unix":
			network, addr = "unix", u.Path
		case u.Port() == "":
			return nil, fmt.Errorf("minirouter: uplink URL %s: no port", cfg.URL)
		case scheme == "rss":
			tc := &tls.Config{}
			if cfg.TLS != nil {
				tc = cfg.TLS.Clone()
			}
			if tc.ServerName == "" {
				tc.ServerName = u.Hostname()
			}
			rc.TLS = tc
		}
		if network == "tcp" {
			addr = net.JoinHostPort(u.Hostname(), u.Port())
		}
		t, err := rawsocket.Dial(ctx, network, addr, rc)
		if err != nil {
			return nil, fmt.Errorf("minirouter: uplink dial %s: %w", cfg.URL, err)
		}
		return t, nil
	}
	d := cfg.Dialers[scheme]
	if d == nil {
		return nil, fmt.Errorf("minirouter: uplink dial %s: %w %q", cfg.URL, device.ErrUnsupportedScheme, u.Scheme)
	}
	t, err := d(ctx, u, &device.Config{Realm: cfg.Realm, Serializer: ser, TLS: cfg.TLS})
	if err != nil {
		return nil, fmt.Errorf("minirouter: uplink dial %s: %w", cfg.URL, err)
	}
	return t, nil
}
