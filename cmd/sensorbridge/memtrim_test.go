package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

func TestTrimDue(t *testing.T) {
	const mb = 1 << 20
	for _, tt := range []struct {
		name                  string
		free, live, allocated uint64
		since                 time.Duration
		want                  bool
	}{
		{"after a join storm", 10 * mb, 8 * mb, 0, time.Hour, true},
		{"busy", 10 * mb, 8 * mb, 50 * mb, time.Hour, false},
		{"little free", 1 * mb, 8 * mb, 0, time.Hour, false},
		{"free small against live", 4 * mb, 40 * mb, 0, time.Hour, false},
		{"trimmed a moment ago", 10 * mb, 8 * mb, 0, time.Second, false},
	} {
		if got := trimDue(tt.free, tt.live, tt.allocated, tt.since); got != tt.want {
			t.Errorf("%s: trimDue = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestRunMemTrimStops checks that the trim's loop reads its metrics and
// ends with its context.
func TestRunMemTrimStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { runMemTrim(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("runMemTrim did not stop with its context")
	}
}
