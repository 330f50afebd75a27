package minirouter

import (
	"context"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// EventSink takes the EVENTs the broker routes to an in-process session
// as they are, unencoded: a bridge in the same process (the uplink) reads
// the publication where it is, rather than through an encoding, a pipe
// and a decoding.
type EventSink interface {
	// TakeEvent is called for each EVENT a publication routes to the
	// session, in publication order, with the realm's lock held: it must
	// not block nor call into the router, and must not keep ev nor its
	// Details (both are reused once it returns; the Payload may be kept).
	// It reports false to have the EVENT encoded and sent over the
	// session's transport as usual, or an error (peer.ErrQueueFull,
	// peer.ErrClosed) to have it counted as not delivered, as a full
	// outbound queue's would be.
	TakeEvent(ev *wamp.Event) (bool, error)
}

// ConnectPeerSink is [Router.ConnectPeer] for a session whose EVENTs
// (those of publications; retained events and history are sent over the
// transport) go to sink first. Events sink takes count in
// Stats.MessagesOut, not in the session's transport counters.
func (r *Router) ConnectPeerSink(ctx context.Context, pc peer.Config, sink EventSink) (wamp.Transport, error) {
	return r.connectPeer(ctx, pc, sink)
}

// sinkEnd is the router's end of a ConnectPeerSink pipe.
type sinkEnd struct {
	wamp.Transport
	sink EventSink
}

// sank hands ev to the EventSink of to's transport, when it has one, and
// reports whether it is done with ev (taken, or counted as not
// delivered). rl.mu is held.
func (rl *realm) sank(to *session, ev *wamp.Event) bool {
	se, ok := to.conn.Transport().(*sinkEnd)
	if !ok {
		return false
	}
	taken, err := se.sink.TakeEvent(ev)
	switch {
	case err != nil:
		rl.eventFailed(to, err)
	case !taken:
		return false
	default:
		rl.r.stats.messagesOut.Add(1)
	}
	return true
}
