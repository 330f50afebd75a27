//go:build !edgewamp_board && !edgewamp_notls

package rawsocket

import (
	"crypto/tls"
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/edgewamp/edgewamp/internal/parkpoll"
)

// parkTLS is Park for a connection over TLS (see Park): it reads what comes
// within linger (what crypto/tls or the socket holds now, for a slow
// sender's negative linger), and when that read times out with nothing it
// parks the socket under TLS. It reports false when input came (or the
// read failed, or the read deadline comes first): the reader reads then.
func (c *Conn) parkTLS(resume func(), linger time.Duration) bool {
	tc, ok := c.nc.(*tls.Conn)
	if !ok || c.fr == nil || c.fr.ready() || c.park.noPoll {
		return false
	}
	sc, ok := parkpoll.Socket(tc.NetConn()).(syscall.Conn)
	p := thePoller()
	if !ok || p == nil {
		return false
	}
	c.dmu.Lock()
	until, user := time.Now().Add(max(linger, 0)), deadlineTime(c.rdl)
	c.dmu.Unlock()
	if !user.IsZero() && !until.Before(user) {
		return false // the read deadline comes first: ReadMessage reports it
	}
	if c.nc.SetReadDeadline(until) != nil {
		return false
	}
	c.fr.settle()
	_, err := c.fr.br.peek(1) // a timed-out read leaves crypto/tls usable
	c.dmu.Lock()
	rerr := c.nc.SetReadDeadline(deadlineTime(c.rdl))
	c.dmu.Unlock()
	if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) || rerr != nil {
		return false // input, or an error for ReadMessage to meet again
	}
	c.fr.settle() // gives the empty buffer back
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	return parkArm(c, p, raw, resume, time.Now().UnixNano())
}
