package rawsocket

import "net"

// passthrough is a connection wrapper whose Read, Write and deadlines are
// those of the connection it holds, and whose Close adds only what a
// finished handshake no longer needs (the listeners' admitted connections,
// internal/netsource; a one-port listener's sniffed connection; sockio's
// raw reads and writes): a server reads and writes the socket under it with
// raw system calls, and parks it while idle.
type passthrough interface{ PassthroughConn() net.Conn }

// passthroughConn returns the connection under nc's passthrough wrappers
// (a listener's admitted connection, the octet a one-port listener sniffed,
// raw reads and writes: internal/sockio), else nc. Servers call it once the
// handshake is over.
func passthroughConn(nc net.Conn) net.Conn {
	for {
		p, ok := nc.(passthrough)
		if !ok {
			return nc
		}
		under := p.PassthroughConn()
		if under == nc {
			return nc
		}
		nc = under
	}
}

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
