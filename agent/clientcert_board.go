//go:build !edgewamp_notls && edgewamp_board

package agent

import (
	"crypto/tls"
	"errors"
)

// clientCert refuses: parsing private keys costs about 0.1 MB on arm.
func clientCert(string, string) (tls.Certificate, error) {
	return tls.Certificate{}, errors.New("client certificates are left out of the board build (edgewamp_board); build with `go build ./cmd/edge-agent` to use them")
}
