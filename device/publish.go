package device

import (
	"context"
	"fmt"

	"github.com/edgewamp/edgewamp/wamp"
)

// Publish is [Client.Publish] on this session.
func (c *session) Publish(ctx context.Context, topic wamp.URI, p wamp.Payload, o *PublishOptions) error {
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
