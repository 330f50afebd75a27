//go:build !edgewamp_board

// The board's edge-agent (edgewamp_board) runs no router, the only user of
// these methods: they would cost it bytes of method metadata.

package rawsocket

// SetReadLimit bounds the messages ReadMessage accepts to n bytes, at most
// the limit this end announced in the handshake, to which n <= 0 restores
// it (wamp.ReadLimiter). A frame over it ends the connection, as one over
// the announced limit does. Only the reader may call it.
func (c *Conn) SetReadLimit(n int) {
	if n <= 0 || n > c.maxRecv {
		n = c.maxRecv
	}
	c.fr.max = n
}

// ReadLimit returns the bound on the messages ReadMessage accepts
// (wamp.ReadLimiter).
func (c *Conn) ReadLimit() int { return c.fr.max }
