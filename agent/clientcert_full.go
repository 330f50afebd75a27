//go:build !edgewamp_notls && !edgewamp_board

package agent

import (
	"crypto/tls"
	"fmt"
)

// clientCert loads a client certificate and its key (PEM files).
func clientCert(cert, key string) (tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return c, fmt.Errorf("client certificate %s (key %s): %w", cert, key, err)
	}
	return c, nil
}
