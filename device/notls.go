//go:build edgewamp_notls

package device

import (
	"errors"

	"github.com/edgewamp/edgewamp/rawsocket"
)

// TLSConfig is the type of [Config.TLS]. This build has the edgewamp_notls
// tag and links no crypto/tls: it is an empty struct, and rss:// is refused.
type TLSConfig = rawsocket.TLSConfig

// rssTLS refuses rss:// in a build without TLS.
func rssTLS(*TLSConfig, string) (*TLSConfig, error) {
	return nil, errors.New("rss:// needs TLS, which this build lacks (built with the edgewamp_notls tag)")
}
