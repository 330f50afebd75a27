package device

import (
	"context"
	"fmt"

	"github.com/edgewamp/edgewamp/wamp"
)

// Publish publishes p to topic. It is safe for concurrent use.
//
// Without o.Acknowledge, Publish returns as soon as the PUBLISH is queued for
// sending: it waits for room in the send queue (until ctx is done) but never
// for the network beyond that. With o.Acknowledge it waits for the router's
// PUBLISHED, and an ERROR answer is returned as the *wamp.Error.
//
// Publish keeps no reference to p once it returns. Without options (or with
// none set) it allocates nothing: the PUBLISH is encoded into a pooled buffer
// before Publish returns.
func (c *Client) Publish(ctx context.Context, topic wamp.URI, p wamp.Payload, o *PublishOptions) error {
	if o == nil || !o.Acknowledge {
		m := publishMsgs.get()
		*m = wamp.Publish{Request: c.reqs.Next(), Options: o.dict(), Topic: topic, Payload: p}
		err := c.send(ctx, m)
		publishMsgs.put(m)
		if err != nil {
			return fmt.Errorf("device: publish %s: %w", topic, err)
		}
		c.stats.published.Add(1)
		return nil
	}
	r := c.newRequest(wamp.PUBLISH)
	id, err := c.addRequest(r)
	if err != nil {
		return fmt.Errorf("device: publish %s: %w", topic, err)
	}
	m := publishMsgs.get()
	*m = wamp.Publish{Request: id, Options: o.dict(), Topic: topic, Payload: p}
	ans, err := c.roundTrip(ctx, id, r, m)
	publishMsgs.put(m)
	if err != nil {
		return fmt.Errorf("device: publish %s: %w", topic, err)
	}
	c.recycleRequest(r)
	c.stats.published.Add(1)
	if e, ok := ans.(*wamp.ErrorMessage); ok {
		return e.Err()
	}
	return nil
}
