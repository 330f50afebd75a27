//go:build !linux

package rawsocket

import (
	"errors"
	"syscall"
)

// parkPoller stands for the Linux epoll poller: elsewhere connections are
// not parked in a poller (Conn.Park falls back to a small goroutine).
type parkPoller struct{}

func thePoller() *parkPoller { return nil }

func (p *parkPoller) add(c *Conn, raw syscall.RawConn) error {
	return errors.New("rawsocket: parking needs Linux")
}

func (p *parkPoller) remove(c *Conn) {}
