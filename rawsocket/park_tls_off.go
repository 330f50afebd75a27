//go:build edgewamp_board || edgewamp_notls

package rawsocket

import "time"

// parkTLS: the board's agents and builds without TLS park no TLS
// connection (see park_tls.go).
func (c *Conn) parkTLS(resume func(), linger time.Duration) bool { return false }
