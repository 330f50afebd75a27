package device

import (
	"context"
	"crypto/tls"
	"errors"

	"github.com/edgewamp/edgewamp/wamp"
)

// dialRawSocket opens a RawSocket connection (TLS when tlsConf != nil).
func dialRawSocket(ctx context.Context, network, addr string, s wamp.Serializer, tlsConf *tls.Config) (wamp.Transport, error) {
	return nil, errors.New("rawsocket transport not built yet")
}
