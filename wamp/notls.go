//go:build edgewamp_notls

package wamp

// TLSConfig is the type of [DialOptions.TLS]. This build has the
// edgewamp_notls tag and links no crypto/tls: it is an empty struct, and
// the transports refuse TLS.
type TLSConfig struct{}
