package agent

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

func TestOfflineQueueDropsAreCounted(t *testing.T) {
	cfg, err := Parse(strings.NewReader(`{
		"router": "rs://127.0.0.1:1", "offline_queue": 3,
		"reconnect": {"min_backoff": "1s", "max_backoff": "1s"},
		"sensors": [{"name": "t", "kind": "simulated", "interval": "5ms"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	waitFor(t, "drops", func() bool {
		c := a.Status()["counters"].(wamp.Dict)
		return c["dropped"].(uint64) >= 2
	})
	if c := a.Status()["counters"].(wamp.Dict); c["queued"] != 3 {
		t.Errorf("queued %v, want the queue's bound 3", c["queued"])
	}
	if st := a.Status(); st["session"] != uint64(0) {
		t.Errorf("session while offline = %v", st["session"])
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestNewLogger(t *testing.T) {
	var b bytes.Buffer
	l, err := NewLogger(LogConfig{Level: "warn", Format: "json"}, &b)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	l.Warn("shown", "k", 1)
	if out := b.String(); strings.Contains(out, "hidden") || !strings.Contains(out, `"msg":"shown"`) || !strings.Contains(out, `"level":"WARN"`) {
		t.Errorf("log output %q", out)
	}
	b.Reset()
	l, _ = NewLogger(LogConfig{Level: "debug"}, &b)
	l.Debug("dbg")
	if !strings.Contains(b.String(), "level=DEBUG msg=dbg") {
		t.Errorf("text output %q", b.String())
	}
	if _, err := NewLogger(LogConfig{Format: "xml"}, &b); err == nil {
		t.Error("xml format accepted")
	}
}
