//go:build edgewamp_notls

package agent

import (
	"errors"

	"github.com/edgewamp/edgewamp/rawsocket"
)

// Load refuses TLS settings: this build has no TLS.
func (f *TLSFiles) Load() (*rawsocket.TLSConfig, error) {
	if !f.set() {
		return nil, nil
	}
	return nil, errors.New("TLS settings need TLS, which this build lacks (edgewamp_notls; use the full edge-agent)")
}

// LoadFor is Load: this build has no TLS.
func (f *TLSFiles) LoadFor(string) (*rawsocket.TLSConfig, error) { return f.Load() }

// decodeTLS refuses the tls object: this build has no TLS.
func decodeTLS(o *object, _ *TLSFiles) {
	if _, _, ok := o.Value("tls"); ok {
		o.Fail("tls", "this build has no TLS (edgewamp_notls); use the full edge-agent")
	}
}

// loadTLS has nothing to load: decodeTLS refused the tls object.
func (a *Agent) loadTLS() error { return nil }
