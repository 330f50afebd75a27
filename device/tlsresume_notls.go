//go:build edgewamp_notls || edgewamp_board

package device

import "github.com/edgewamp/edgewamp/rawsocket"

// tlsResumption is false: this build does not resume TLS sessions.
const tlsResumption = false

// TLSWithResumption returns conf: an edgewamp_notls build has no TLS, and
// the board agents' edgewamp_board build leaves resumption out (its size).
func TLSWithResumption(conf *rawsocket.TLSConfig) *rawsocket.TLSConfig { return conf }

// resumeTLS returns conf.
func resumeTLS(_ string, conf *rawsocket.TLSConfig) *rawsocket.TLSConfig { return conf }
