package device

import (
	"sync"

	"github.com/edgewamp/edgewamp/wamp"
)

// Recycling on the hot paths, so that a small PUBLISH allocates nothing.
//
// Outgoing messages: [peer.Conn.SendWait] encodes the message before it
// returns and keeps no reference to it, so the structs of PUBLISH, CALL and
// YIELD, sent through Client.send, are taken from a pool and put back right
// after. Pending-request records are put back only by the caller that
// received their answer: by then the reader has removed them from the
// client's table and done with them (see roundTrip).

// msgPool recycles outgoing message structs of one type.
type msgPool[T any] struct{ p sync.Pool }

// get returns a zero *T.
func (mp *msgPool[T]) get() *T {
	if v, ok := mp.p.Get().(*T); ok {
		return v
	}
	return new(T)
}

// put zeroes v (dropping its references to the caller's payload) and keeps
// it for reuse. v must not be used afterwards.
func (mp *msgPool[T]) put(v *T) {
	var zero T
	*v = zero
	mp.p.Put(v)
}

var (
	publishMsgs msgPool[wamp.Publish]
	callMsgs    msgPool[wamp.Call]
	yieldMsgs   msgPool[wamp.Yield]
)

// newRequest returns an empty pending request of the given kind, recycled
// from this client's answered requests when there is one. The records are
// kept per client, not process-wide: a channel made inside a testing/synctest
// bubble must not be used outside it, and a client lives in one bubble.
func (c *session) newRequest(kind wamp.MessageType) *request {
	r, ok := c.requestPool.Get().(*request)
	if !ok {
		r = &request{ch: make(chan wamp.Message, 1)}
	}
	r.kind = kind
	return r
}

// recycleRequest keeps r for reuse. Only the caller that received r's answer
// from r.ch may call it: the reader took r out of the client's table before
// sending the answer and does not touch r afterwards, and the channel is
// empty again.
func (c *session) recycleRequest(r *request) {
	*r = request{ch: r.ch}
	c.requestPool.Put(r)
}
