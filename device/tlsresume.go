//go:build !edgewamp_notls && !edgewamp_board

package device

import (
	"crypto/tls"
	"strings"
	"sync"

	"github.com/edgewamp/edgewamp/rawsocket"
)

// tlsResumption tells whether this build resumes TLS sessions (see
// TLSWithResumption).
const tlsResumption = true

// TLSWithResumption returns conf with a TLS session cache, so that a client
// dialling with it again resumes its TLS session from the router's ticket
// instead of running a full handshake: the router does not sign and the
// device does not verify the certificate chain again. conf is not changed
// (a copy gets the cache); one that has a cache already is returned as it
// is, and nil stands for the default config (system roots). The cache holds
// the session of the last server dialled (a device has one router). A
// reconnecting [Client] over rss:// or wss:// does this itself. In an
// edgewamp_notls build it returns conf, and so does it in the ARMv7 board
// agents' edgewamp_board build: its ~2.7 KB of code would take the full
// agent over its size ceiling.
func TLSWithResumption(conf *rawsocket.TLSConfig) *rawsocket.TLSConfig {
	if conf != nil && conf.ClientSessionCache != nil {
		return conf
	}
	c := &tls.Config{}
	if conf != nil {
		c = conf.Clone()
	}
	c.ClientSessionCache = new(sessionCache)
	return c
}

// resumeTLS is TLSWithResumption(conf) for an rss:// or wss:// URL, and
// conf for any other.
func resumeTLS(rawURL string, conf *rawsocket.TLSConfig) *rawsocket.TLSConfig {
	if len(rawURL) < 6 || !strings.EqualFold(rawURL[:6], "rss://") && !strings.EqualFold(rawURL[:6], "wss://") {
		return conf
	}
	return TLSWithResumption(conf)
}

// sessionCache is a tls.ClientSessionCache of one session: the last
// server's (a device dials one router; crypto/tls's LRU cache would cost
// ~12 KB more).
type sessionCache struct {
	mu    sync.Mutex
	key   string
	state *tls.ClientSessionState
}

// Get returns the session kept for key.
func (c *sessionCache) Get(key string) (*tls.ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state, c.state != nil && key == c.key
}

// Put keeps cs for key in place of any other; a nil cs forgets it.
func (c *sessionCache) Put(key string, cs *tls.ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.key, c.state = key, cs
}
