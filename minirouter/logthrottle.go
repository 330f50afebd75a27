package minirouter

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// logInterval is the shortest interval between two log lines of one kind
// about one realm (drops, denials, violations: what a flood repeats).
const logInterval = time.Second

// throttledLog decides which of the router's repeatable log lines are
// written: at most one per logInterval for each (realm, message) pair.
// Safe for concurrent use; it takes no lock (callers may hold realm.mu).
type throttledLog struct {
	last sync.Map // logKey -> *atomic.Int64, UnixNano of the last line
}

// logKey names one kind of line: a message about a realm ("" for the
// router's own).
type logKey struct {
	realm wamp.URI
	msg   string
}

// allow reports whether a line msg about realm may be written now, and if
// so counts it as written.
func (t *throttledLog) allow(realm wamp.URI, msg string) bool {
	k := logKey{realm, msg}
	v, ok := t.last.Load(k)
	if !ok {
		v, _ = t.last.LoadOrStore(k, new(atomic.Int64))
	}
	last := v.(*atomic.Int64)
	now := time.Now().UnixNano()
	prev := last.Load()
	if prev != 0 && now-prev < int64(logInterval) {
		return false
	}
	return last.CompareAndSwap(prev, now)
}

// offload runs, in order, work that must not run where it arises: log
// lines and the closing of connections found while realm.mu is held (the
// lock order forbids both under it). Its goroutine runs only while work is
// queued, as peer.Conn's writer does; what is queued is bounded by the
// throttled lines (one per logInterval per kind) and one close per
// session. Safe for concurrent use.
type offload struct {
	mu      sync.Mutex // protects the following
	queue   []func()
	running bool
}

// do queues f and starts the goroutine if none runs.
func (o *offload) do(f func()) {
	o.mu.Lock()
	o.queue = append(o.queue, f)
	start := !o.running
	o.running = true
	o.mu.Unlock()
	if start {
		go o.run()
	}
}

// run runs the queued work until the queue is empty.
func (o *offload) run() {
	for {
		o.mu.Lock()
		work := o.queue
		o.queue = nil
		if len(work) == 0 {
			o.running = false
			o.mu.Unlock()
			return
		}
		o.mu.Unlock()
		for _, f := range work {
			f()
		}
	}
}

// allowLog reports whether the line msg about rl may be written now (see
// throttledLog); the caller then builds it and hands it to logLater, so
// that a line not written costs nothing.
func (rl *realm) allowLog(msg string) bool { return rl.r.logs.allow(rl.name, msg) }

// logLater writes a line on the offload goroutine. It may be called with
// rl.mu held.
func (rl *realm) logLater(level slog.Level, msg string, args ...any) {
	rl.r.offload.do(func() { rl.r.log.Log(context.Background(), level, msg, args...) })
}
