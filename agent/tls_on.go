//go:build !edgewamp_notls

package agent

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/edgewamp/edgewamp/rawsocket"
)

// decodeTLS reads the tls object.
func decodeTLS(o *object, f *TLSFiles) {
	o.Object("tls", func(t *object) {
		t.Str("ca_file", &f.CAFile)
		t.Str("cert", &f.Cert)
		t.Str("key", &f.Key)
		t.Str("server_name", &f.ServerName)
	})
}

// loadTLS reads cfg.TLS's files, which only a TLS router can use.
func (a *Agent) loadTLS() (err error) {
	a.tls, err = a.cfg.TLS.LoadFor(a.cfg.Router)
	return err
}

// LoadFor is Load for the router at url, which must use TLS (rss:// or
// wss://) when any field is set: the files would be ignored otherwise.
func (f *TLSFiles) LoadFor(url string) (*rawsocket.TLSConfig, error) {
	if f.set() && !strings.HasPrefix(url, "rss://") && !strings.HasPrefix(url, "wss://") {
		return nil, fmt.Errorf("set, but router %s does not use TLS (rss:// or wss://)", url)
	}
	return f.Load()
}

// Load reads the files into a TLS configuration; it returns nil when no
// field is set (the system's roots then verify the URL's host).
func (f *TLSFiles) Load() (*rawsocket.TLSConfig, error) {
	if !f.set() {
		return nil, nil
	}
	conf := &tls.Config{ServerName: f.ServerName, MinVersion: tls.VersionTLS12}
	if f.CAFile != "" {
		pem, err := os.ReadFile(f.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		conf.RootCAs = x509.NewCertPool()
		if !conf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate in it", f.CAFile)
		}
	}
	if (f.Cert == "") != (f.Key == "") {
		return nil, errors.New("a client certificate needs both its certificate and its key file")
	}
	if f.Cert != "" {
		c, err := clientCert(f.Cert, f.Key)
		if err != nil {
			return nil, err
		}
		conf.Certificates = []tls.Certificate{c}
	}
	return conf, nil
}
