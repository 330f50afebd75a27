package netsource

import "net"

// Of returns the source of an accepted connection, the "address" the
// per-source limits count: the remote IP address over TCP; over a Unix
// socket, the peer process as its credentials name it ("unix uid 1000 pid
// 4242", Linux's SO_PEERCRED; "local" where they cannot be read); the
// remote address's host otherwise, or "local" when it has none. Wrapping
// connections (*tls.Conn) are looked through with their NetConn method; a
// connection with a Source method (a socket outside the net package) names
// its own.
func Of(nc net.Conn) string {
	for {
		u, ok := nc.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		nc = u.NetConn()
	}
	switch c := nc.(type) {
	case interface{ Source() string }:
		return c.Source()
	case *net.TCPConn:
		if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
			return a.IP.String()
		}
	case *net.UnixConn:
		raw, err := c.SyscallConn()
		if err != nil {
			return "local"
		}
		return UnixPeer(raw)
	}
	if nc.RemoteAddr() == nil {
		return "local"
	}
	if src := Host(nc.RemoteAddr().String()); src != "" {
		return src
	}
	return "local"
}
