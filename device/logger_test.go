package device

import (
	"bytes"
	"log/slog"
	"testing"
)

// TestSessionLoggerMatchesWith checks that the session attribute comes out
// as slog's Logger.With would put it.
func TestSessionLoggerMatchesWith(t *testing.T) {
	opts := &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: func(g []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(g) == 0 {
			return slog.Attr{}
		}
		return a
	}}
	var ours, with bytes.Buffer
	s := &sessionLogger{l: slog.New(slog.NewTextHandler(&ours, opts)), id: 4711}
	w := slog.New(slog.NewTextHandler(&with, opts)).With("session", uint64(4711))
	for _, l := range []Logger{s, w} {
		l.Debug("d", "k", 1)
		l.Info("i")
		l.Warn("w", "err", "x y")
		l.Error("e", "n", 2.5)
	}
	if ours.String() != with.String() || ours.Len() == 0 {
		t.Fatalf("sessionLogger wrote\n%s\nLogger.With wrote\n%s", ours.String(), with.String())
	}
}

func TestConfigDefaultLogger(t *testing.T) {
	if (Config{}).withDefaults().Logger == nil {
		t.Fatal("no default logger")
	}
}
