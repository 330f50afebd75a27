package minirouter

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
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

// roomPoll is how often a reader held back by awaitRoom looks at its
// queue again while the queue does not drain completely.
const roomPoll = time.Millisecond

// isRequest reports whether m is a client request the router answers.
func isRequest(m wamp.Message) bool {
	switch m.(type) {
	case *wamp.Publish, *wamp.Subscribe, *wamp.Unsubscribe, *wamp.Call, *wamp.Cancel, *wamp.Register, *wamp.Unregister:
		return true
	}
	return false
}

// awaitRoom holds back the session's reader, before it handles a request,
// while the session's outbound queue is more than half full (messages or
// bytes): a client that pipelines requests faster than it reads the
// answers (a library re-subscribing after a reconnect) is read more
// slowly, its connection backs up, and its answers do not meet a full
// queue, which would end it as a slow consumer. A client that reads
// nothing at all is still ended, by the write timeout. It returns when
// there is room or the connection has closed, and counts the requests it
// held in Stats.RequestsHeld.
func (s *session) awaitRoom() {
	maxMsgs := max(cmp.Or(s.r.cfg.Peer.QueueMessages, peer.DefaultQueueMessages)/2, 1)
	maxBytes := max(cmp.Or(s.r.cfg.Peer.QueueBytes, peer.DefaultQueueBytes)/2, 1)
	for held := false; ; held = true {
		if msgs, bytes := s.conn.Queued(); msgs < maxMsgs && bytes < maxBytes {
			return
		}
		if !held {
			s.r.stats.requestsHeld.Add(1)
		}
		ctx, cancel := context.WithTimeout(context.Background(), roomPoll)
		err := s.conn.Flush(ctx)
		cancel()
		if errors.Is(err, peer.ErrClosed) {
			return
		}
	}
}
