//go:build linux

package sockio

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// rawConn is Wrap's connection: nc with raw reads and writes through its
// syscall.RawConn. The read callback is made once and its arguments kept in
// the struct, and the writes go through a Writer kept with it (one Read and
// one Write at a time: rmu, wmu), so that a Read or a Write allocates
// nothing.
type rawConn struct {
	net.Conn
	raw syscall.RawConn

	rmu sync.Mutex            // held by the Read in progress
	rfn func(fd uintptr) bool // c.tryRead
	rp  []byte                // what the Read in progress reads into
	rn  int
	rer error

	wmu sync.Mutex // held by the Write in progress
	w   Writer
}

// wrap makes the rawConn of a TCP or Unix socket; nc itself when its raw
// connection cannot be had.
func wrap(nc net.Conn) net.Conn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nc
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nc
	}
	c := &rawConn{Conn: nc, raw: raw}
	c.rfn = c.tryRead
	return c
}

// NetConn returns the wrapped connection (as crypto/tls's Conn does), so
// that what looks through wrappers for the socket (the listeners' per-source
// limits: internal/netsource) finds it.
func (c *rawConn) NetConn() net.Conn { return c.Conn }

// PassthroughConn returns the wrapped socket too: c's Read, Write, deadlines
// and Close are the socket's, so a RawSocket server may read, write and park
// it directly (rawsocket's passthrough wrappers).
func (c *rawConn) PassthroughConn() net.Conn { return c.Conn }

// Read implements net.Conn: one read(2), after waiting in the poller (under
// the read deadline) while the socket has nothing.
func (c *rawConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	c.rp, c.rn, c.rer = p, 0, nil
	err := c.raw.Read(c.rfn)
	n, rer := c.rn, c.rer
	c.rp, c.rer = nil, nil
	c.rmu.Unlock()
	switch {
	case err != nil: // the poller's: deadline, closed (a *net.OpError already)
		return 0, err
	case rer != nil:
		return 0, opError("read", c.Conn, os.NewSyscallError("read", rer))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// tryRead is Read's callback: false (wait, then call again) while the
// socket has nothing to read.
func (c *rawConn) tryRead(fd uintptr) bool {
	for {
		n, err := SysRead(int(fd), c.rp)
		switch err {
		case nil:
			c.rn = n
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		c.rer = err
		return true
	}
}

// Write implements net.Conn: write(2) until all of p is written, waiting in
// the poller (under the write deadline) while the socket's send buffer is
// full.
func (c *rawConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	n, err := c.w.Write(c.raw, p)
	c.wmu.Unlock()
	if err != nil {
		var se *os.SyscallError // only here: a variable errors.As takes the address of escapes
		if errors.As(err, &se) {
			err = opError("write", c.Conn, err)
		}
	}
	return n, err
}

// opError wraps err as the net package does (a *net.OpError with the
// connection's addresses), so that callers' checks (net.Error's Timeout,
// errors.Is with os.ErrDeadlineExceeded or net.ErrClosed) see what they
// would see from nc.
func opError(op string, nc net.Conn, err error) error {
	return &net.OpError{Op: op, Net: nc.LocalAddr().Network(), Source: nc.LocalAddr(), Addr: nc.RemoteAddr(), Err: err}
}
