//go:build !edgewamp_notls

package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/edgewamp/edgewamp/rawsocket"
)

// config returns the TLS configuration, or nil when nothing is set (the
// system's roots then verify the URL's host) and in a board build, which
// has no flags to set it.
func (f tlsFiles) config() (*rawsocket.TLSConfig, error) {
	if boardBuild != "" || f.caFile+f.cert+f.key+f.serverName == "" {
		return nil, nil
	}
	conf := &tls.Config{ServerName: f.serverName, MinVersion: tls.VersionTLS12}
	if f.caFile != "" {
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return nil, fmt.Errorf("-ca-file: %w", err)
		}
		conf.RootCAs = x509.NewCertPool()
		if !conf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-ca-file %s: no PEM certificate in it", f.caFile)
		}
	}
	if (f.cert == "") != (f.key == "") {
		return nil, fmt.Errorf("-cert and -cert-key go together (the client certificate and its key)")
	}
	if f.cert != "" {
		c, err := clientCert(f.cert, f.key)
		if err != nil {
			return nil, err
		}
		conf.Certificates = []tls.Certificate{c}
	}
	return conf, nil
}
