//go:build !edgewamp_notls && edgewamp_board

package main

import (
	"crypto/tls"
	"errors"
)

// clientCert refuses: parsing private keys costs about 0.1 MB on arm.
func clientCert(string, string) (tls.Certificate, error) {
	return tls.Certificate{}, errors.New("-cert: " + boardBuild)
}
