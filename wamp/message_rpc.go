package wamp

// The remote procedure call messages. Each type lists its fields in wire order
// in its fields method, for encoding and decoding (see codec.go).

// Call invokes a procedure. [CALL, Request|id, Options|dict, Procedure|uri, Arguments|list, ArgumentsKw|dict]
type Call struct {
	Request   ID
	Options   Dict
	Procedure URI
	Payload
}

// Type implements Message.
func (*Call) Type() MessageType { return CALL }

func (m *Call) fields(c *coder) {
	c.id("Request", &m.Request)
	c.dict("Options", &m.Options)
	c.uri("Procedure", &m.Procedure)
	c.payload(&m.Payload)
}

// Cancel asks the dealer to cancel a pending call. [CANCEL, CALL.Request|id, Options|dict]
type Cancel struct {
	Request ID
	Options Dict
}

// Type implements Message.
func (*Cancel) Type() MessageType { return CANCEL }

func (m *Cancel) fields(c *coder) {
	c.id("Request", &m.Request)
	c.dict("Options", &m.Options)
}

// Result returns a call's (possibly progressive) result.
// [RESULT, CALL.Request|id, Details|dict, YIELD.Arguments|list, YIELD.ArgumentsKw|dict]
type Result struct {
	Request ID
	Details Dict
	Payload
}

// Type implements Message.
func (*Result) Type() MessageType { return RESULT }

func (m *Result) fields(c *coder) {
	c.id("Request", &m.Request)
	c.dict("Details", &m.Details)
	c.payload(&m.Payload)
}

// Register offers a procedure. [REGISTER, Request|id, Options|dict, Procedure|uri]
type Register struct {
	Request   ID
	Options   Dict
	Procedure URI
}

// Type implements Message.
func (*Register) Type() MessageType { return REGISTER }

func (m *Register) fields(c *coder) {
	c.id("Request", &m.Request)
	c.dict("Options", &m.Options)
	c.uri("Procedure", &m.Procedure)
}

// Registered acknowledges a Register. [REGISTERED, REGISTER.Request|id, Registration|id]
type Registered struct {
	Request      ID
	Registration ID
}

// Type implements Message.
func (*Registered) Type() MessageType { return REGISTERED }

func (m *Registered) fields(c *coder) {
	c.id("Request", &m.Request)
	c.id("Registration", &m.Registration)
}

// Unregister withdraws a registration. [UNREGISTER, Request|id, REGISTERED.Registration|id]
type Unregister struct {
	Request      ID
	Registration ID
}

// Type implements Message.
func (*Unregister) Type() MessageType { return UNREGISTER }

func (m *Unregister) fields(c *coder) {
	c.id("Request", &m.Request)
	c.id("Registration", &m.Registration)
}

// Unregistered acknowledges an Unregister; the router also sends it (Request 0,
// Details{"registration": id, "reason": uri}) when it revokes a registration.
// [UNREGISTERED, UNREGISTER.Request|id] or [UNREGISTERED, UNREGISTER.Request|id, Details|dict]
type Unregistered struct {
	Request ID
	Details Dict
}

// Type implements Message.
func (*Unregistered) Type() MessageType { return UNREGISTERED }

func (m *Unregistered) fields(c *coder) {
	c.id("Request", &m.Request)
	c.optionalDict("Details", &m.Details)
}

// Invocation asks a callee to run a procedure.
// [INVOCATION, Request|id, REGISTERED.Registration|id, Details|dict, CALL.Arguments|list, CALL.ArgumentsKw|dict]
type Invocation struct {
	Request      ID
	Registration ID
	Details      Dict
	Payload
}

// Type implements Message.
func (*Invocation) Type() MessageType { return INVOCATION }

func (m *Invocation) fields(c *coder) {
	c.id("Request", &m.Request)
	c.id("Registration", &m.Registration)
	c.dict("Details", &m.Details)
	c.payload(&m.Payload)
}

// Interrupt tells a callee that the caller cancelled an invocation. [INTERRUPT, INVOCATION.Request|id, Options|dict]
type Interrupt struct {
	Request ID
	Options Dict
}

// Type implements Message.
func (*Interrupt) Type() MessageType { return INTERRUPT }

func (m *Interrupt) fields(c *coder) {
	c.id("Request", &m.Request)
	c.dict("Options", &m.Options)
}

// Yield returns an invocation's (possibly progressive) result.
// [YIELD, INVOCATION.Request|id, Options|dict, Arguments|list, ArgumentsKw|dict]
type Yield struct {
	Request ID
	Options Dict
	Payload
}

// Type implements Message.
func (*Yield) Type() MessageType { return YIELD }

func (m *Yield) fields(c *coder) {
	c.id("Request", &m.Request)
	c.dict("Options", &m.Options)
	c.payload(&m.Payload)
}
