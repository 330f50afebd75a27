package minirouter

import (
	"time"
)

// pacer holds a session to a publish rate with a token bucket: burst
// publications at once, then one per 1/rate seconds. It delays the
// session's reader rather than dropping anything: the publisher's own
// connection backs up, and its other sessions' traffic is unaffected. It
// is used by the session's reader goroutine only.
type pacer struct {
	interval time.Duration // between two tokens
	burst    float64
	tokens   float64
	at       time.Time
}

// newPacer returns a pacer for rate publications per second and burst,
// or nil when rate is not positive (no limit).
func newPacer(rate float64, burst int) *pacer {
	if rate <= 0 {
		return nil
	}
	b := float64(max(burst, 1))
	return &pacer{interval: time.Duration(float64(time.Second) / rate), burst: b, tokens: b, at: time.Now()}
}

// wait takes a token, first waiting for one if needed (until done is
// closed). It reports whether it had to wait.
func (p *pacer) wait(done <-chan struct{}) bool {
	now := time.Now()
	p.tokens = min(p.burst, p.tokens+float64(now.Sub(p.at))/float64(p.interval))
	p.at = now
	if p.tokens >= 1 {
		p.tokens--
		return false
	}
	d := time.Duration((1 - p.tokens) * float64(p.interval))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-done:
	}
	p.tokens = 0
	p.at = time.Now()
	return true
}
