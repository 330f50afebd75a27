package wamp

// The session messages: opening, authenticating and closing a session, and
// ERROR, the failure answer to any request. Each type lists its fields in
// wire order in its fields method, for encoding and decoding (see codec.go).

// Hello opens a session. [HELLO, Realm|uri, Details|dict]
type Hello struct {
	Realm   URI
	Details Dict
}

// Type implements Message.
func (*Hello) Type() MessageType { return HELLO }

func (m *Hello) fields(c *coder) {
	c.uri("Realm", &m.Realm)
	c.dict("Details", &m.Details)
}

// Welcome accepts a session. [WELCOME, Session|id, Details|dict]
type Welcome struct {
	Session ID
	Details Dict
}

// Type implements Message.
func (*Welcome) Type() MessageType { return WELCOME }

func (m *Welcome) fields(c *coder) {
	c.id("Session", &m.Session)
	c.dict("Details", &m.Details)
}

// Abort refuses or ends a session before or instead of GOODBYE. [ABORT, Details|dict, Reason|uri]
type Abort struct {
	Details Dict
	Reason  URI
}

// Type implements Message.
func (*Abort) Type() MessageType { return ABORT }

func (m *Abort) fields(c *coder) {
	c.dict("Details", &m.Details)
	c.uri("Reason", &m.Reason)
}

// Challenge asks the client to authenticate. [CHALLENGE, AuthMethod|string, Extra|dict]
type Challenge struct {
	AuthMethod string
	Extra      Dict
}

// Type implements Message.
func (*Challenge) Type() MessageType { return CHALLENGE }

func (m *Challenge) fields(c *coder) {
	c.str("AuthMethod", &m.AuthMethod)
	c.dict("Extra", &m.Extra)
}

// Authenticate answers a Challenge. [AUTHENTICATE, Signature|string, Extra|dict]
type Authenticate struct {
	Signature string
	Extra     Dict
}

// Type implements Message.
func (*Authenticate) Type() MessageType { return AUTHENTICATE }

func (m *Authenticate) fields(c *coder) {
	c.str("Signature", &m.Signature)
	c.dict("Extra", &m.Extra)
}

// Goodbye closes a session; the other side answers with a Goodbye of its own.
// [GOODBYE, Details|dict, Reason|uri]
type Goodbye struct {
	Details Dict
	Reason  URI
}

// Type implements Message.
func (*Goodbye) Type() MessageType { return GOODBYE }

func (m *Goodbye) fields(c *coder) {
	c.dict("Details", &m.Details)
	c.uri("Reason", &m.Reason)
}

// ErrorMessage is the ERROR message, the failure answer to a request.
// [ERROR, REQUEST.Type|int, REQUEST.Request|id, Details|dict, Error|uri, Arguments|list, ArgumentsKw|dict]
// (Go code handling failures uses [*Error], which ErrorMessage converts to with [ErrorMessage.Err].)
type ErrorMessage struct {
	RequestType MessageType
	Request     ID
	Details     Dict
	Error       URI
	Payload
}

// Type implements Message.
func (*ErrorMessage) Type() MessageType { return ERROR }

func (m *ErrorMessage) fields(c *coder) {
	c.code("Request.Type", &m.RequestType)
	c.id("Request", &m.Request)
	c.dict("Details", &m.Details)
	c.uri("Error", &m.Error)
	c.payload(&m.Payload)
}
