//go:build !edgewamp_noprogcall

package device

import (
	"context"
	"io"
	"slices"

	"github.com/edgewamp/edgewamp/wamp"
)

// Progressive call invocations, callee side: a caller that streams its
// input sends one INVOCATION per chunk, all with the first one's request
// ID. The handler runs on the first and reads the others, in order, with
// [Invocation.Recv]. The reader never waits for a handler: it queues each
// chunk (Config.ChunkQueue of them per invocation), and a chunk that finds
// the queue full fails the invocation (ERROR wamp.error.unavailable to the
// caller), since a stream with a hole in it is worth nothing; callers pace
// themselves on the callee's progressive results.

// progCallBuilt: this build announces progressive call invocations.
const progCallBuilt = true

// endedInvsKept is how many streamed invocations whose handler returned
// before their last chunk a session remembers, to drop the chunks still
// on their way rather than take one for a new invocation.
const endedInvsKept = 8

// invStream is the input of a streamed invocation. open and failed are
// guarded by the session's mu; ch is written by the reader only, and read
// (as is seenLast) by the handler's goroutine only.
type invStream struct {
	ch       chan chunk  // the chunks after the first
	open     bool        // the last chunk has not arrived
	failed   *wamp.Error // a chunk found the queue full: the invocation's answer
	seenLast bool        // the handler has the last chunk
}

// chunk is one chunk of a streamed input; last: no more follow.
type chunk struct {
	p    wamp.Payload
	last bool
}

// endedInvs is a ring of request IDs of streamed invocations that ended
// before their last chunk. Guarded by the session's mu.
type endedInvs struct {
	ids  [endedInvsKept]wamp.ID
	next int
}

// errChunksOverflow answers a streamed invocation whose handler did not
// keep up with its input.
var errChunksOverflow = &wamp.Error{URI: wamp.ErrUnavailable.URI,
	Payload: wamp.Payload{Args: wamp.List{"callee: chunks arrived faster than the handler read them"}}}

// Recv returns the next chunk of a streamed input (the first one is the
// invocation's Payload), waiting until ctx is done. It returns io.EOF after
// the last chunk, and at once for a call whose input was not streamed, so
// that a handler reading `for { p, err := inv.Recv(ctx); ... }` serves
// both. A handler may answer before it has read every chunk; the rest are
// then dropped. Recv and More are for the handler's goroutine.
func (inv *Invocation) Recv(ctx context.Context) (wamp.Payload, error) {
	if !inv.More() {
		return wamp.Payload{}, io.EOF
	}
	select {
	case c := <-inv.stream.ch:
		inv.stream.seenLast = c.last
		return c.p, nil
	case <-ctx.Done():
		return wamp.Payload{}, context.Cause(ctx)
	}
}

// More reports whether chunks of the input follow the last one the
// handler has (inv.Payload, then each returned by Recv): false for a call
// whose input was not streamed. A handler that forwards the chunks needs
// it to mark the last one without waiting for the next.
func (inv *Invocation) More() bool { return inv.stream != nil && !inv.stream.seenLast }

// addStreamRoles announces progressive call invocations as caller and
// callee in the HELLO roles.
func addStreamRoles(roles wamp.Dict) {
	for _, role := range [...]string{wamp.RoleCaller, wamp.RoleCallee} {
		if r, ok := roles[role].(wamp.Dict); ok {
			if f, ok := r["features"].(wamp.Dict); ok {
				f[wamp.FeatureProgressiveCallInvocations] = true
			}
		}
	}
}

// startStream gives inv an input stream when its INVOCATION says more
// chunks follow (details.progress).
func (c *session) startStream(inv *Invocation, m *wamp.Invocation) {
	if more, _ := wamp.OptBool(m.Details, "progress"); more {
		inv.stream = &invStream{ch: make(chan chunk, c.cfg.ChunkQueue), open: true}
	}
}

// streamChunk takes an INVOCATION that continues a streamed one (or one
// that ended early) and reports whether it did; any other is a new
// invocation.
func (c *session) streamChunk(m *wamp.Invocation) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	inv := c.invs[m.Request]
	if inv == nil {
		if c.ended == nil || !slices.Contains(c.ended.ids[:], m.Request) {
			return false
		}
		c.chunkDropped("device: streamed invocation chunk dropped: the handler has answered", m)
		return true
	}
	st := inv.stream
	if st == nil || !st.open {
		c.chunkDropped("device: INVOCATION dropped: its request ID is running", m)
		return true
	}
	if st.failed != nil {
		c.chunkDropped("device: streamed invocation chunk dropped: the invocation failed", m)
		return true
	}
	more, _ := wamp.OptBool(m.Details, "progress")
	select {
	case st.ch <- chunk{p: m.Payload, last: !more}:
		st.open = more
	default:
		st.failed = errChunksOverflow
		inv.cancel(errChunksOverflow)
		c.chunkDropped("device: streamed invocation failed: chunk queue full", m)
	}
	return true
}

// chunkDropped counts and logs (at a limited rate) a dropped chunk.
func (c *session) chunkDropped(msg string, m *wamp.Invocation) {
	c.stats.chunksDropped.Add(1)
	c.dropLog(msg, "request", uint64(m.Request))
}

// endStream is called when inv's handler has returned: a stream still open
// is remembered so that its late chunks are dropped. It returns the
// invocation's answer when its stream failed. c.mu must be held.
func (c *session) endStream(inv *Invocation) *wamp.Error {
	st := inv.stream
	if st == nil {
		return nil
	}
	if st.open {
		if c.ended == nil {
			c.ended = &endedInvs{}
		}
		c.ended.ids[c.ended.next] = inv.request
		c.ended.next = (c.ended.next + 1) % endedInvsKept
	}
	return st.failed
}
