package wamp

// The publish and subscribe messages. Each type lists its fields in wire order
// in its fields method, for encoding and decoding (see codec.go).

// Publish sends an event. [PUBLISH, Request|id, Options|dict, Topic|uri, Arguments|list, ArgumentsKw|dict]
type Publish struct {
	Request ID
	Options Dict
	Topic   URI
	Payload
}

// Type implements Message.
func (*Publish) Type() MessageType { return PUBLISH }

func (m *Publish) fields(c *coder) {
	c.id("Request", &m.Request)
	c.dict("Options", &m.Options)
	c.uri("Topic", &m.Topic)
	c.payload(&m.Payload)
}

// Published acknowledges a Publish that asked for it. [PUBLISHED, PUBLISH.Request|id, Publication|id]
type Published struct {
	Request     ID
	Publication ID
}

// Type implements Message.
func (*Published) Type() MessageType { return PUBLISHED }

func (m *Published) fields(c *coder) {
	c.id("Request", &m.Request)
	c.id("Publication", &m.Publication)
}

// Subscribe asks for events on a topic or pattern. [SUBSCRIBE, Request|id, Options|dict, Topic|uri]
type Subscribe struct {
	Request ID
	Options Dict
	Topic   URI
}

// Type implements Message.
func (*Subscribe) Type() MessageType { return SUBSCRIBE }

func (m *Subscribe) fields(c *coder) {
	c.id("Request", &m.Request)
	c.dict("Options", &m.Options)
	c.uri("Topic", &m.Topic)
}

// Subscribed acknowledges a Subscribe. [SUBSCRIBED, SUBSCRIBE.Request|id, Subscription|id]
type Subscribed struct {
	Request      ID
	Subscription ID
}

// Type implements Message.
func (*Subscribed) Type() MessageType { return SUBSCRIBED }

func (m *Subscribed) fields(c *coder) {
	c.id("Request", &m.Request)
	c.id("Subscription", &m.Subscription)
}

// Unsubscribe ends a subscription. [UNSUBSCRIBE, Request|id, SUBSCRIBED.Subscription|id]
type Unsubscribe struct {
	Request      ID
	Subscription ID
}

// Type implements Message.
func (*Unsubscribe) Type() MessageType { return UNSUBSCRIBE }

func (m *Unsubscribe) fields(c *coder) {
	c.id("Request", &m.Request)
	c.id("Subscription", &m.Subscription)
}

// Unsubscribed acknowledges an Unsubscribe; the router also sends it (Request 0,
// Details{"subscription": id, "reason": uri}) when it revokes a subscription.
// [UNSUBSCRIBED, UNSUBSCRIBE.Request|id] or [UNSUBSCRIBED, UNSUBSCRIBE.Request|id, Details|dict]
type Unsubscribed struct {
	Request ID
	Details Dict
}

// Type implements Message.
func (*Unsubscribed) Type() MessageType { return UNSUBSCRIBED }

func (m *Unsubscribed) fields(c *coder) {
	c.id("Request", &m.Request)
	c.optionalDict("Details", &m.Details)
}

// Event delivers a publication to a subscriber.
// [EVENT, SUBSCRIBED.Subscription|id, PUBLISHED.Publication|id, Details|dict, PUBLISH.Arguments|list, PUBLISH.ArgumentsKw|dict]
type Event struct {
	Subscription ID
	Publication  ID
	Details      Dict
	Payload
}

// Type implements Message.
func (*Event) Type() MessageType { return EVENT }

func (m *Event) fields(c *coder) {
	c.id("Subscription", &m.Subscription)
	c.id("Publication", &m.Publication)
	c.dict("Details", &m.Details)
	c.payload(&m.Payload)
}
