package device

import (
	"context"
	"crypto/tls"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// dialRawSocket opens a RawSocket connection (over TLS when tlsConf != nil).
func dialRawSocket(ctx context.Context, network, addr string, s wamp.Serializer, tlsConf *tls.Config, base rawsocket.ClientConfig) (wamp.Transport, error) {
	cfg := base
	cfg.Serializer = s
	cfg.TLS = tlsConf
	c, err := rawsocket.Dial(ctx, network, addr, cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}
