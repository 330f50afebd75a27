//go:build !linux || edgewamp_board

package rawsocket

import "net"

// FDListener returns nl: sockets outside Go's network poller are Linux's
// (fdlisten.go), and the board's edge-agent (edgewamp_board) accepts none.
func FDListener(nl net.Listener) net.Listener { return nl }

func adoptFD(c *Conn) {}

// tlsSocket is the socket a TLS client connection runs over: nc itself here
// (the board's agents keep to the net package's reads and writes under TLS,
// which cost no code).
func tlsSocket(nc net.Conn) net.Conn { return nc }
