package peer

import (
	"fmt"

	"github.com/edgewamp/edgewamp/wamp"
)

// RecvLimit is Recv with a check before decoding: admit is called with the
// message's length, and when it returns an error the message is not
// decoded and that error is returned as is, with c left open (the caller
// may answer ABORT). It repeats Recv rather than serving it, so that the
// ARMv7 agents, which link Recv only, do not grow (a function rather than a
// method, so that the linker drops it from programs that do not call it,
// with no build tag). A router reads messages before authentication with
// it, so that what an unknown client can make it decode is bounded.
func RecvLimit(c *Conn, admit func(n int) error) (wamp.Message, error) {
	b, err := c.t.ReadMessage()
	if err != nil {
		if cerr := c.closedErr(); cerr != nil {
			return nil, cerr
		}
		err = fmt.Errorf("peer: read from %s: %w", c.t.RemoteAddr(), err)
		c.Close(err)
		return nil, err
	}
	c.msgsIn.Add(1)
	c.bytesIn.Add(uint64(len(b)))
	if err := admit(len(b)); err != nil {
		return nil, err
	}
	m, err := c.s.DecodeMessage(b)
	if err != nil {
		return nil, fmt.Errorf("peer: decode %s message: %w", c.s.Name(), err)
	}
	return m, nil
}
