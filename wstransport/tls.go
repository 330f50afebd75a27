package wstransport

import "crypto/tls"

// TLSConnectionState returns the TLS state of a wss:// connection, with the
// client's verified certificate chains on the server side; ok is false for
// ws://. It is safe for concurrent use.
func (c *Conn) TLSConnectionState() (state tls.ConnectionState, ok bool) {
	nc := c.nc
	if rc, ok := nc.(*recordingConn); ok { // a client's
		nc = rc.Conn
	}
	if tc, isTLS := nc.(*tls.Conn); isTLS {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}
