package device

import (
	"context"
	"fmt"

	"github.com/edgewamp/edgewamp/wamp"
)

// SentPublication is an acknowledged publication that [Client.PublishSend]
// has sent and whose PUBLISHED (or ERROR) [SentPublication.Wait] collects.
type SentPublication struct {
	s     *session
	id    wamp.ID
	r     *request
	topic wamp.URI
}

// PublishSend sends p to topic as an acknowledged publication and returns
// without waiting for the router's answer: a publisher keeps many
// publications in flight and collects their answers with
// [SentPublication.Wait], rather than paying a round trip for each.
// Publications sent one after another by one goroutine go to the router
// in that order, on one session. o.Acknowledge is implied.
//
// When o sets no option but Extra (and Acknowledge), and Extra says
// "acknowledge": true, Extra is sent as the options as it is, not copied:
// PublishSend keeps no reference to it once it returns, so that a
// publisher of many reuses one map.
//
// With reconnection on and no session joined, or while the publications
// queued offline are still being sent, PublishSend fails with
// [ErrNotConnected] (it never queues). An error wrapping [ErrSessionClosed]
// means the session ended; one wrapping peer.ErrTooLarge, that the
// publication is larger than the router accepts.
func (c *Client) PublishSend(ctx context.Context, topic wamp.URI, p wamp.Payload, o *PublishOptions) (*SentPublication, error) {
	s := c.cur.Load()
	if c.dial != nil {
		c.mu.Lock()
		s, err := c.cur.Load(), c.err
		if c.flushing {
			s = nil
		}
		c.mu.Unlock()
		if err == nil && s == nil {
			err = ErrNotConnected
		}
		if err != nil {
			return nil, fmt.Errorf("device: publish %s: %w", topic, err)
		}
	}
	var opts wamp.Dict
	if o != nil && o.extraOnly() && o.Extra["acknowledge"] == true {
		opts = o.Extra // sent as it is: a publisher of many keeps one map
	} else {
		ack := PublishOptions{Acknowledge: true}
		if o != nil {
			ack = *o
			ack.Acknowledge = true
		}
		opts = ack.dict()
	}
	r := s.newRequest(wamp.PUBLISH)
	id, err := s.addRequest(r)
	if err == nil {
		m := publishMsgs.get()
		*m = wamp.Publish{Request: id, Options: opts, Topic: topic, Payload: p}
		err = s.send(ctx, m)
		publishMsgs.put(m) // encoded: see pool.go
		if err != nil {
			s.mu.Lock()
			delete(s.requests, id) // not sent: no answer will come
			s.mu.Unlock()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("device: publish %s: %w", topic, err)
	}
	s.stats.published.Add(1)
	return &SentPublication{s: s, id: id, r: r, topic: topic}, nil
}

// Wait waits for the router's answer to the publication: nil for
// PUBLISHED, the *wamp.Error for an ERROR, an error wrapping
// [ErrSessionClosed] when the session ended first. When ctx ends first,
// Wait returns ctx's error and the answer is no longer awaited. Call Wait
// once, from one goroutine.
func (sp *SentPublication) Wait(ctx context.Context) error {
	var ans wamp.Message
	ok := false
	select {
	case ans, ok = <-sp.r.ch:
	case <-ctx.Done():
		sp.s.abandon(sp.id, sp.r)
		select { // the answer may have raced in; prefer it
		case ans, ok = <-sp.r.ch:
		default:
			return fmt.Errorf("device: publish %s: %w", sp.topic, ctx.Err())
		}
	}
	if !ok {
		return fmt.Errorf("device: publish %s: %w", sp.topic, sp.s.closedErr())
	}
	sp.s.recycleRequest(sp.r)
	if e, ok := ans.(*wamp.ErrorMessage); ok {
		return e.Err()
	}
	return nil
}
