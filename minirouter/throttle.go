package minirouter

import (
	"net"
	"sync"
	"time"
)

// Failed-authentication throttling defaults (Config.AuthFailureBurst and
// Config.AuthFailureInterval).
const (
	DefaultAuthFailureBurst    = 10
	DefaultAuthFailureInterval = time.Second
	// throttleSources bounds the sources a throttle remembers; the one
	// idle longest is forgotten first.
	throttleSources = 4096
)

// authThrottle limits failed authentications per source address with a
// token bucket: burst failures, then one per interval. A source out of
// tokens is refused before any check until a token comes back. It
// remembers at most throttleSources sources. Safe for concurrent use.
type authThrottle struct {
	burst    float64
	interval time.Duration

	mu      sync.Mutex
	sources map[string]*bucket
}

// source names the source of a remote address for the throttle: its host
// ("192.0.2.7" of "192.0.2.7:5000"), or the whole string when it has no
// port (a Unix socket, "inproc"). local reports a loopback or non-IP
// source, throttled only with Config.LimitLocal. (The listeners' per-source
// limits name sources the same way, in internal/netsource, which the router
// does not import.)
func source(remote string) (src string, local bool) {
	src = remote
	if host, _, err := net.SplitHostPort(remote); err == nil {
		src = host
	}
	ip := net.ParseIP(src)
	return src, ip == nil || ip.IsLoopback()
}

// bucket is one source's tokens at a time.
type bucket struct {
	tokens float64
	at     time.Time
}

func newAuthThrottle(burst int, interval time.Duration) *authThrottle {
	return &authThrottle{burst: float64(burst), interval: interval, sources: make(map[string]*bucket)}
}

// refill returns src's bucket brought up to now. t.mu must be held.
func (t *authThrottle) refill(src string, now time.Time) *bucket {
	b := t.sources[src]
	if b == nil {
		return &bucket{tokens: t.burst, at: now}
	}
	b.tokens = min(t.burst, b.tokens+float64(now.Sub(b.at))/float64(t.interval))
	b.at = now
	return b
}

// allowed reports whether src may try to authenticate now.
func (t *authThrottle) allowed(src string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sources[src] == nil {
		return true
	}
	return t.refill(src, now).tokens >= 1
}

// failed takes a token from src for a failed authentication.
func (t *authThrottle) failed(src string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.refill(src, now)
	b.tokens = max(0, b.tokens-1)
	if t.sources[src] == nil {
		if len(t.sources) >= throttleSources {
			t.forgetIdlest()
		}
		t.sources[src] = b
	}
	// sources back to a full bucket are forgotten lazily, when full
}

// forgetIdlest drops the source idle longest. t.mu must be held.
func (t *authThrottle) forgetIdlest() {
	var idlest string
	var at time.Time
	for src, b := range t.sources {
		if at.IsZero() || b.at.Before(at) {
			idlest, at = src, b.at
		}
	}
	delete(t.sources, idlest)
}
