package wstransport

// SetReadLimit bounds the messages ReadMessage accepts to n bytes, at most
// the connection's limit, to which n <= 0 restores it (wamp.ReadLimiter).
// A message over it ends the connection with status 1009, as one over the
// limit does. Only the reader may call it.
func (c *Conn) SetReadLimit(n int) {
	if n <= 0 || n > c.max {
		n = 0
	}
	c.readMax = n
}

// ReadLimit returns the bound on the messages ReadMessage accepts
// (wamp.ReadLimiter).
func (c *Conn) ReadLimit() int { return c.readLimit() }

// readLimit is the bound on a message ReadMessage accepts.
func (c *Conn) readLimit() int {
	if c.readMax > 0 {
		return c.readMax
	}
	return c.max
}
