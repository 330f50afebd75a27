//go:build !edgewamp_board

package peer

import (
	"sync/atomic"
	"time"
)

// ServerBuild is false in the board's agent build (edgewamp_board), which
// leaves out what only a busy server needs: spare goroutines (see Go), the
// writer's and the park poller's yields, and rawsocket's read-free look
// before a park. Its callers test the constant, so that the board build
// links none of that code.
const ServerBuild = true

// UseSpares turns on Go's spare goroutines for the whole process; they are
// off until then, and Go is a go statement. A server with many connections
// calls it once as it starts (sensorbridge does). Off by default because a
// spare started in a testing/synctest bubble would run other bubbles'
// tasks (and those of goroutines outside any bubble), which the bubble
// forbids.
func UseSpares() { sparesOn.Store(true) }

// Go runs f on one of the process's spare goroutines when one is idle
// (once UseSpares was called), else on a new goroutine; it never waits. A
// connection's writer and a parked connection's resumed reader run on it:
// a new goroutine starts on a 2 KB stack and grows it (by copying) to the
// 8 KB a write or a message's decoding needs, which cost a router about
// 15 % of its CPU time when each of thousands of slow devices woke it once
// a second; a spare keeps its grown stack between tasks. There are at
// most maxSpare, and each ends once idle for a spareIdle or two, so an idle
// process holds none. f must not expect a fresh goroutine (no goroutine-local
// state, such as runtime.LockOSThread left locked).
func Go(f func()) {
	if !sparesOn.Load() {
		go f()
		return
	}
	select {
	case spareTasks <- f: // an idle spare goroutine takes it
		return
	default:
	}
	if spareCount.Add(1) <= maxSpare {
		go spare(f)
		return
	}
	spareCount.Add(-1)
	go f()
}

const (
	// maxSpare bounds the spare goroutines: enough for the poller's batch
	// of woken connections (64) and their writers to find one idle.
	maxSpare = 128
	// spareIdle is how long a spare goroutine waits for its next task
	// before it ends, give or take one more spareIdle (see spare).
	spareIdle = time.Second
)

var (
	sparesOn   atomic.Bool         // UseSpares was called
	spareTasks = make(chan func()) // unbuffered: a task is taken only by a goroutine waiting for one
	spareCount atomic.Int32        // running spare goroutines
)

// spare runs f, then the tasks Go hands it, until a whole spareIdle has
// passed without one: its timer fires every spareIdle, and it ends when no
// task ran since the last time (idle for one to two spareIdles). A timer
// set again after every task cost a busy server's CPU at every reading.
func spare(f func()) {
	t := time.NewTicker(spareIdle)
	defer t.Stop()
	for busy := false; ; {
		if f != nil {
			f()
			f, busy = nil, true
		}
		select {
		case f = <-spareTasks:
		case <-t.C:
			if !busy {
				spareCount.Add(-1)
				return
			}
			busy = false
		}
	}
}
