//go:build !linux || edgewamp_board

package rawsocket

import "net"

// FDListener returns nl: sockets outside Go's network poller are Linux's
// (fdlisten.go), and the board's edge-agent (edgewamp_board) accepts none.
func FDListener(nl net.Listener) net.Listener { return nl }

func adoptFD(c *Conn) {}
