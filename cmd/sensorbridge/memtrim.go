package main

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The gateway gives the heap's free pages back to the system once it has
// gone quiet after growing. Go's garbage collector lets the heap grow to
// twice what is live before it collects (GOGC=100), and its scavenger
// returns only what lies beyond that goal; after devices join by the
// thousand (a join leaves about 1.3 KB live and several KB of garbage), the
// process would keep up to the same again in free pages for good. A gateway
// mostly holds idle sessions, so when it allocates little for a moment
// with much free memory resident, one full collection with
// debug.FreeOSMemory hands those pages back (about 1 KB per idle session
// after a join storm). Under load it never runs: the process is not quiet.
const (
	// trimEvery is how often the heap's metrics are read (a few µs).
	trimEvery = 2 * time.Second
	// trimQuiet: allocating less than this in one trimEvery is quiet.
	trimQuiet = 1 << 20
	// trimMinFree: less reclaimable resident heap than this is not worth
	// a collection, nor less than an eighth of the live heap.
	trimMinFree = 2 << 20
	// trimMinGap bounds how often the trim runs (each is a full GC).
	trimMinGap = 30 * time.Second
)

// trimSamples are the metrics the trim reads, in this order.
var trimSamples = []string{
	"/memory/classes/heap/free:bytes",    // free and resident, not yet returned
	"/memory/classes/heap/objects:bytes", // live objects and garbage not yet collected
	"/gc/heap/live:bytes",                // marked live by the last collection
	"/gc/heap/allocs:bytes",              // allocated since the start
}

// trimDue says whether to trim: reclaimable the resident bytes a full
// collection would give back (free pages, and garbage), live the heap live
// at the last collection, allocated the bytes allocated since the last
// look, since the time since the last trim.
func trimDue(reclaimable, live, allocated uint64, since time.Duration) bool {
	return allocated < trimQuiet && reclaimable >= trimMinFree && reclaimable >= live/8 && since >= trimMinGap
}

// runMemTrim trims the heap when due (see trimDue) until ctx is done.
func runMemTrim(ctx context.Context, log *slog.Logger) {
	s := make([]metrics.Sample, len(trimSamples))
	for i, name := range trimSamples {
		s[i].Name = name
	}
	metrics.Read(s)
	lastAllocs := s[3].Value.Uint64()
	lastTrim := time.Now().Add(-trimMinGap)
	t := time.NewTicker(trimEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			metrics.Read(s)
			free, objects, live, allocs := s[0].Value.Uint64(), s[1].Value.Uint64(), s[2].Value.Uint64(), s[3].Value.Uint64()
			reclaimable := free + objects - min(live, objects)
			due := trimDue(reclaimable, live, allocs-lastAllocs, now.Sub(lastTrim))
			lastAllocs = allocs
			if !due {
				continue
			}
			debug.FreeOSMemory()
			lastTrim = time.Now()
			log.Debug("heap trimmed", "reclaimable_bytes", reclaimable, "live_bytes", live, "took", lastTrim.Sub(now))
		}
	}
}
