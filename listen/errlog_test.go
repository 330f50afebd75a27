package listen

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestThrottledLog: the HTTP server's error lines reach the log at most once a second, the next one
// saying how many were left out.
func TestThrottledLog(t *testing.T) {
	var logs logBuffer
	w := &throttledLog{log: slog.New(slog.NewTextHandler(&logs, nil)), url: "wss://x"}
	for range 3 {
		w.Write([]byte("http: TLS handshake error from 192.0.2.7:5000: EOF\n"))
	}
	w.mu.Lock()
	w.last = w.last.Add(-2 * time.Second) // a second later
	w.mu.Unlock()
	w.Write([]byte("http: TLS handshake error from 192.0.2.8:5000: EOF\n"))
	got := logs.String()
	if n := strings.Count(got, "\n"); n != 2 || !strings.Contains(got, "listen=wss://x not_logged_before=2") ||
		!strings.Contains(got, `msg="http server: http: TLS handshake error from 192.0.2.7:5000: EOF"`) {
		t.Errorf("log:\n%s\nwant 2 lines, the second with not_logged_before=2", got)
	}
}
