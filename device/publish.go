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
func (c *Client) Publish(ctx context.Context, topic wamp.URI, p wamp.Payload, o *PublishOptions) error {
	if o == nil || !o.Acknowledge {
		err := c.send(ctx, &wamp.Publish{Request: c.reqs.Next(), Options: o.dict(), Topic: topic, Payload: p})
		if err != nil {
			return fmt.Errorf("device: publish %s: %w", topic, err)
		}
		c.stats.published.Add(1)
		return nil
	}
	r := &request{kind: wamp.PUBLISH, ch: make(chan wamp.Message, 1)}
	id, err := c.addRequest(r)
	if err != nil {
		return fmt.Errorf("device: publish %s: %w", topic, err)
	}
	ans, err := c.roundTrip(ctx, id, r, &wamp.Publish{Request: id, Options: o.dict(), Topic: topic, Payload: p})
	if err != nil {
		return fmt.Errorf("device: publish %s: %w", topic, err)
	}
	c.stats.published.Add(1)
	if e, ok := ans.(*wamp.ErrorMessage); ok {
		return e.Err()
	}
	return nil
}
