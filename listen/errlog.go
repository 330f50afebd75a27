package listen

import (
	"log/slog"
	"strings"
	"sync"
	"time"
)

// throttledLog passes the HTTP server's error lines (failed TLS
// handshakes, mostly) to the listener's log, at most one a second: a flood
// of failing handshakes must not flood the log. It counts the others.
type throttledLog struct {
	log *slog.Logger
	url string

	mu      sync.Mutex // protects the following
	last    time.Time
	skipped int
}

func (w *throttledLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	now := time.Now()
	if now.Sub(w.last) < time.Second {
		w.skipped++
		w.mu.Unlock()
		return len(p), nil
	}
	skipped := w.skipped
	w.last, w.skipped = now, 0
	w.mu.Unlock()
	w.log.Warn("http server: "+strings.TrimSpace(string(p)), "listen", w.url, "not_logged_before", skipped)
	return len(p), nil
}
