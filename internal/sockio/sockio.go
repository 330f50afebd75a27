// Package sockio reads and writes TCP and Unix sockets with raw system
// calls (Linux): rawsocket's connections through [SysRead] and [Writer],
// and, through [Wrap], those of the transports that go through a
// net.Conn's Read and Write: WebSocket, and TLS over RawSocket.
//
// The net package's Read and Write enter the Go scheduler's system call
// hook, which wakes the sysmon thread whenever a process that was idle makes
// its first system call: two thread switches per message on a router or
// client that sleeps between messages, and on a process pinned to one core
// (a one-core board) both are on the message's path. A raw read or write of
// a non-blocking socket returns at once (EAGAIN when it would block, and the
// goroutine then waits in the runtime's poller, under the connection's
// deadline), so it has nothing to gain from the hook. rawsocket's own
// connections make the same calls ([SysRead], [Writer]).
package sockio

import "net"

// Wrap returns nc with its Read and Write made as raw system calls when nc
// is a *net.TCPConn or *net.UnixConn on Linux, and nc itself otherwise. The
// rest (deadlines, addresses, Close) is nc's. Like nc it is safe for
// concurrent use: concurrent Reads (or Writes) take turns, as the net
// package's do.
func Wrap(nc net.Conn) net.Conn {
	switch nc.(type) {
	case *net.TCPConn, *net.UnixConn:
		return wrap(nc)
	}
	return nc
}

// WrapListener returns nl with every connection it accepts passed through
// [Wrap].
func WrapListener(nl net.Listener) net.Listener { return wrapListener{nl} }

// wrapListener is WrapListener's listener.
type wrapListener struct{ net.Listener }

// Accept implements net.Listener.
func (l wrapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return Wrap(c), nil
}
