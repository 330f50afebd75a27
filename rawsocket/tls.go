//go:build !edgewamp_notls

package rawsocket

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
)

// TLSConfig is the TLS configuration of [ClientConfig] and [ListenConfig]:
// crypto/tls's Config. A build with the edgewamp_notls tag (the minimal
// edge-agent) links no crypto/tls: there TLSConfig is an empty struct and a
// non-nil one is refused with an error saying the build lacks TLS.
type TLSConfig = tls.Config

// dialTLS returns the TLS config of a connection to a URL: for rss://
// (rss true) the wamp.DialOptions' TLS, or a fresh config (Dial fills in
// ServerName); nil otherwise.
func dialTLS(rss bool, opt any) (*TLSConfig, error) {
	if !rss {
		return nil, nil
	}
	switch conf := opt.(type) {
	case nil:
		return &TLSConfig{}, nil
	case *TLSConfig:
		if conf == nil {
			return &TLSConfig{}, nil
		}
		return conf, nil
	}
	return nil, fmt.Errorf("TLS option is a %T, want a *tls.Config", opt)
}

// clientTLS runs the TLS client handshake on nc, bounded by ctx, and returns
// the TLS connection; nc is closed on failure. An empty ServerName is taken
// from address (host:port) unless network is "unix".
func clientTLS(ctx context.Context, nc net.Conn, conf *TLSConfig, network, address string) (net.Conn, error) {
	conf = conf.Clone()
	if conf.ServerName == "" && network != "unix" {
		if host, _, err := net.SplitHostPort(address); err == nil {
			conf.ServerName = host
		}
	}
	tc := tls.Client(tlsSocket(nc), conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return tc, nil
}

// serverTLS wraps an accepted nc in a TLS server connection (the handshake
// runs on first use or in [serverTLSHandshake]).
func serverTLS(nc net.Conn, conf *TLSConfig) net.Conn { return tls.Server(nc, conf) }

// serverTLSHandshake runs the TLS server handshake on a serverTLS conn.
func serverTLSHandshake(ctx context.Context, nc net.Conn) error {
	tc, ok := nc.(*tls.Conn)
	if !ok {
		return errors.New("not a TLS connection")
	}
	return tc.HandshakeContext(ctx)
}

// checkListenTLS reports a server TLS config that cannot serve.
func checkListenTLS(conf *TLSConfig) error {
	if len(conf.Certificates) == 0 && conf.GetCertificate == nil && conf.GetConfigForClient == nil {
		return errors.New("TLS config without a certificate")
	}
	return nil
}

// TLSConnectionState returns the TLS state of a connection over TLS, with
// the client's verified certificate chains on the server side; ok is false
// for a connection without TLS. It is safe for concurrent use.
func (c *Conn) TLSConnectionState() (state tls.ConnectionState, ok bool) {
	if tc, isTLS := c.NetConn().(*tls.Conn); isTLS {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}
