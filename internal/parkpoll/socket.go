package parkpoll

import "net"

// Socket returns the connection under nc's passthrough wrappers, else nc.
// A passthrough wrapper has a PassthroughConn method returning the
// connection it holds, whose Read, Write and deadlines are the wrapper's,
// and its Close adds only what a finished handshake no longer needs (the
// listeners' admitted connections, internal/netsource; a one-port
// listener's sniffed connection; internal/sockio's raw reads and writes).
// A server calls it once the handshake is over, to read, write and park
// the socket itself.
func Socket(nc net.Conn) net.Conn {
	for {
		p, ok := nc.(interface{ PassthroughConn() net.Conn })
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
