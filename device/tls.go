//go:build !edgewamp_notls

package device

import "github.com/edgewamp/edgewamp/rawsocket"

// TLSConfig is the type of [Config.TLS]: crypto/tls's Config (through
// [rawsocket.TLSConfig]). In a build with the edgewamp_notls tag it is an
// empty struct and rss:// URLs are refused.
type TLSConfig = rawsocket.TLSConfig

// rssTLS returns the TLS config of an rss:// connection to host: a copy of
// conf (or a fresh one) with ServerName defaulting to host.
func rssTLS(conf *TLSConfig, host string) (*TLSConfig, error) {
	if conf == nil {
		conf = &TLSConfig{}
	} else {
		conf = conf.Clone()
	}
	if conf.ServerName == "" {
		conf.ServerName = host
	}
	return conf, nil
}
