//go:build !edgewamp_notls

package wamp

import "crypto/tls"

// TLSConfig is the type of [DialOptions.TLS]: crypto/tls's Config. A build
// with the edgewamp_notls tag (the minimal edge-agent) links no crypto/tls:
// there TLSConfig is an empty struct and the transports refuse TLS.
type TLSConfig = tls.Config
