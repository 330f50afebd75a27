package minirouter

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// lineHandler keeps the log lines, as "msg k=v k=v".
type lineHandler struct {
	mu    sync.Mutex
	lines []string
}

func (h *lineHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *lineHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *lineHandler) WithGroup(string) slog.Handler            { return h }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines = append(h.lines, b.String())
	return nil
}

// wait returns the first line starting with prefix, waiting for the
// offload goroutine that writes the router's lines.
func (h *lineHandler) wait(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		for _, l := range h.lines {
			if strings.HasPrefix(l, prefix) {
				h.mu.Unlock()
				return l
			}
		}
		h.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no log line %q in:\n%s", prefix, strings.Join(h.lines, "\n"))
	return ""
}

// TestJoinLeaveLogged: a join and a leave are logged at debug with the
// authid, the role and the transport.
func TestJoinLeaveLogged(t *testing.T) {
	logs := &lineHandler{}
	r := newTestRouter(t, Config{Logger: slog.New(logs)})
	c := joinClient(t, r, allRoles())
	line := logs.wait(t, "DEBUG session joined")
	for _, want := range []string{"realm=realm1", " authid=anonymous-", "authrole=anonymous", "transport=inproc"} {
		if !strings.Contains(line, want) {
			t.Errorf("join line %q lacks %q", line, want)
		}
	}
	c.send(&wamp.Goodbye{Reason: wamp.CloseNormal.URI, Details: wamp.Dict{}})
	line = logs.wait(t, "DEBUG session ended reason=goodbye")
	for _, want := range []string{" authid=anonymous-", "authrole=anonymous", "transport=inproc"} {
		if !strings.Contains(line, want) {
			t.Errorf("leave line %q lacks %q", line, want)
		}
	}
}

// TestRefusedRegistrationLogged: a REGISTER refused because another session
// holds the procedure is one line naming both.
func TestRefusedRegistrationLogged(t *testing.T) {
	logs := &lineHandler{}
	r := newTestRouter(t, Config{Logger: slog.New(logs)})
	a, b := joinClient(t, r, allRoles()), joinClient(t, r, allRoles())
	a.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "light.set"})
	expect[*wamp.Registered](a)
	b.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "light.set"})
	b.expectError(wamp.ErrProcedureAlreadyExists.URI)
	line := logs.wait(t, "INFO registration refused: procedure already registered")
	for _, want := range []string{"procedure=light.set", "session=" + idString(b.id), "registered_by_session=" + idString(a.id)} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}
}

func idString(id wamp.ID) string { return slog.AnyValue(id).String() }
