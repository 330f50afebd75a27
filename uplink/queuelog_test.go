package uplink

import (
	"bytes"
	"log/slog"
	"testing"
)

// TestMemoryQueueQuiet checks that a queue without a file (the default)
// logs nothing as events pass: it is not a journal that cannot be written.
func TestMemoryQueueQuiet(t *testing.T) {
	logs := new(bytes.Buffer)
	q := openQueue(t, 100, "", slog.New(slog.NewTextHandler(logs, nil)))
	pushReadings(q, 1, 2, 3)
	if logs.Len() > 0 {
		t.Errorf("a memory-only queue logged:\n%s", logs)
	}
}
