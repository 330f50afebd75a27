package uplink

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// lastError is the uplink's last error and when it happened, as
// [Stats.LastError] and [Stats.LastErrorTime] show them. Safe for
// concurrent use.
type lastError struct {
	mu   sync.Mutex // protects the following
	text string
	at   time.Time
}

// set records text as the last error, at time at.
func (e *lastError) set(text string, at time.Time) {
	e.mu.Lock()
	e.text, e.at = text, at
	e.mu.Unlock()
}

// get returns the last error and its time; "" and the zero time for none.
func (e *lastError) get() (string, time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.text, e.at
}

// errorHandler is the uplink's log handler: it passes records on to next
// and records each one at warn level or above in last, as its message and
// its error ("err", "error" or "reason"). The uplink, its queue and its
// two clients (device.Clients, which report a failed dial, join or
// declaration only in their log) all log through it, so the last error is
// the last problem any of them reported, even where next discards logs.
type errorHandler struct {
	next slog.Handler
	last *lastError
}

// Enabled is true at warn level and above (for last), else as next says.
func (h *errorHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || h.next.Enabled(ctx, l)
}

// Handle records r when it is a warning or an error, then passes it on.
func (h *errorHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		text := r.Message
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "err", "error", "reason":
				text += ": " + a.Value.String()
				return false
			}
			return true
		})
		h.last.set(text, r.Time)
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs returns a handler with next's attributes extended.
func (h *errorHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &errorHandler{next: h.next.WithAttrs(as), last: h.last}
}

// WithGroup returns a handler with next's group opened.
func (h *errorHandler) WithGroup(name string) slog.Handler {
	return &errorHandler{next: h.next.WithGroup(name), last: h.last}
}
