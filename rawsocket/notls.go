//go:build edgewamp_notls

package rawsocket

import (
	"context"
	"errors"
	"net"
)

// TLSConfig stands in for crypto/tls's Config in a build with the
// edgewamp_notls tag, which links no TLS: setting one is an error.
type TLSConfig struct{}

// errNoTLS is returned for any use of TLS in an edgewamp_notls build.
var errNoTLS = errors.New("TLS is not in this build (built with the edgewamp_notls tag)")

func clientTLS(_ context.Context, nc net.Conn, _ *TLSConfig, _, _ string) (net.Conn, error) {
	nc.Close()
	return nil, errNoTLS
}

// dialTLS refuses rss:// before anything is dialled.
func dialTLS(rss bool, _ any) (*TLSConfig, error) {
	if rss {
		return nil, errors.New("rss:// needs TLS, which this build lacks (built with the edgewamp_notls tag)")
	}
	return nil, nil
}

func serverTLS(nc net.Conn, _ *TLSConfig) net.Conn { return nc }

func serverTLSHandshake(context.Context, net.Conn) error { return errNoTLS }

func checkListenTLS(*TLSConfig) error { return errNoTLS }
