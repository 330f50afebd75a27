package listen

import (
	"fmt"
	"net"
	"time"

	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/serialtransport"
)

// Reopening a serial line that failed (a USB adapter unplugged, say) waits
// from serialRetryMin, doubling up to serialRetryMax.
const (
	serialRetryMin = time.Second
	serialRetryMax = 30 * time.Second
)

// serveSerial serves the device sessions of a serial line, one link at a
// time: a device that restarts and handshakes again ends its old session
// (its registrations and subscriptions go) and starts a new one. When the
// line itself fails it is reopened with backoff, until Close.
func (l *Listener) serveSerial(r *minirouter.Router) error {
	retry := serialRetryMin
	ctx := l.attachContext()
	for l.ctx.Err() == nil {
		l.mu.Lock()
		sl, closed := l.serial, l.closed
		l.mu.Unlock()
		if closed {
			break
		}
		if sl == nil {
			reopened, err := serialtransport.Listen(l.url, serialtransport.Config{})
			if err != nil {
				l.log.Warn("serial line still unavailable", "url", l.url, "err", err, "retry_in", retry)
				select {
				case <-l.ctx.Done():
				case <-r.Done():
				case <-time.After(retry):
				}
				retry = min(2*retry, serialRetryMax)
				continue
			}
			l.log.Info("serial line reopened", "url", l.url)
			l.mu.Lock()
			if l.closed {
				l.mu.Unlock()
				reopened.Close()
				break
			}
			l.serial, sl = reopened, reopened
			l.mu.Unlock()
		}
		c, err := sl.Accept(l.ctx)
		if err != nil {
			l.mu.Lock()
			closed := l.closed
			l.mu.Unlock()
			if closed || l.ctx.Err() != nil {
				break
			}
			l.log.Warn("serial line failed; reopening", "url", l.url, "err", err, "stats", sl.Stats())
			sl.Close()
			l.mu.Lock()
			l.serial = nil
			l.mu.Unlock()
			continue
		}
		retry = serialRetryMin
		l.counters.connections.Add(1)
		l.counters.active.Add(1)
		r.Attach(ctx, c, func(err error) {
			l.ended(err)
			l.log.Info("serial session ended", "url", l.url, "err", err)
		})
	}
	return fmt.Errorf("listen: %s: %w", l.url, net.ErrClosed)
}
