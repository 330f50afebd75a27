//go:build !edgewamp_board

// The board's edge-agent (edgewamp_board) runs no router, the only user of
// these methods: they would cost it bytes of method metadata.

package rawsocket

// SetReadLimit bounds the messages ReadMessage accepts to n bytes
// (wamp.ReadLimiter), and LocalMaxMessageSize with it: a frame over it
// ends the connection, as one over the announced limit does. The limit
// announced in the handshake comes back with SetReadLimit(ReadLimit() as
// it was); n <= 0 changes nothing. Only the reader may call it.
func (c *Conn) SetReadLimit(n int) {
	if n <= 0 {
		return
	}
	c.maxRecv = int32(min(n, maxFrameLen)) // a parked reader's frame reader is made again with it
	if c.fr != nil {
		c.fr.max = int(c.maxRecv)
	}
}

// ReadLimit returns the bound on the messages ReadMessage accepts
// (wamp.ReadLimiter).
func (c *Conn) ReadLimit() int { return int(c.maxRecv) }
