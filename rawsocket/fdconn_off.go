//go:build !linux || edgewamp_board

package rawsocket

import (
	"io"
	"syscall"
	"time"
)

// Parked sockets leave the net package only on Linux (fdconn.go); the
// board's edge-agent (edgewamp_board), which parks nothing, leaves that code
// out, and its connections' net.Conn never changes.
const detachable = false

func detachIdle(c *Conn, p *parkPoller) {}

func parkDetached(c *Conn, raw syscall.RawConn) (bool, error) { return false, nil }

func detachedRaw(c any) syscall.RawConn { return nil }

// startFDPoller does nothing: no socket is detached here.
func startFDPoller() {}

// linger is Park's wait for input: no socket is ever detached here.
func (c *Conn) linger(d time.Duration) bool { return c.waitInput(d) }

func keepFrameReader(r *frameReader) {}

func reuseFrameReader(src io.Reader, max int) *frameReader { return nil }
