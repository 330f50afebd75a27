//go:build edgewamp_board

package wstransport

import (
	"bufio"
	"net"
	"time"
)

// parking is empty in the board's build, which parks nothing.
type parking struct{}

// newReader is never called here: nothing drops its reader.
func newReader(nc net.Conn) *bufio.Reader { return bufio.NewReaderSize(nc, readBufferSize) }

func (c *Conn) initPark(nc net.Conn, pre *prefixReader) {}

// startParking does nothing: no connection parks.
func startParking() {}

// unpark does nothing: no connection parks.
func (c *Conn) unpark() {}

// SetReadDeadline sets the deadline for ReadMessage; zero means none. A read
// that times out returns an error wrapping os.ErrDeadlineExceeded; the
// connection may then still be written to and closed, but not read again.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.nc.SetReadDeadline(t) }
