package rawsocket

import (
	"net"

	"github.com/edgewamp/edgewamp/internal/parkpoll"
)

// passthroughConn returns the connection under nc's passthrough wrappers
// (parkpoll.Socket: a listener's admitted connection, the octet a one-port
// listener sniffed, raw reads and writes: internal/sockio), else nc.
// Servers call it once the handshake is over: a server reads and writes the
// socket under them with raw system calls, and parks it while idle.
func passthroughConn(nc net.Conn) net.Conn { return parkpoll.Socket(nc) }

// A parked connection holds no reader state at all (about 270 bytes of
// structs and callbacks): parkPoll drops the frame reader, and ReadMessage
// (or waitInput) makes a new one when it next reads. Only TCP and Unix sockets, which are
// the ones that park, drop theirs. A pool of readers would save the
// allocation per wake-up, but its code took the ARMv7 agents over their
// size ceilings.

// dropReader lets go of c's frame reader when it holds nothing: no unread
// octets, no buffer, no error to report. It is called by parkPoll after
// settle, before the park is visible to anyone else.
func (c *Conn) dropReader() {
	r := c.fr
	if r == nil || c.raw == nil || r.err != nil || r.discard != 0 || r.br.pend != nil || r.br.buf != nil {
		return
	}
	c.fr = nil
	if detachable {
		keepFrameReader(r)
	}
}
