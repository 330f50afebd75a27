//go:build edgewamp_notls

package main

import (
	"errors"

	"github.com/edgewamp/edgewamp/rawsocket"
)

// config refuses TLS settings: the minimal build has no TLS.
func (f tlsFiles) config() (*rawsocket.TLSConfig, error) {
	if boardBuild != "" || f.caFile+f.cert+f.key+f.serverName == "" {
		return nil, nil
	}
	return nil, errors.New("-ca-file, -cert, -cert-key and -server-name need TLS, which this build lacks (edgewamp_notls; use the full edge-agent)")
}
