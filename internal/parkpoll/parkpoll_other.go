//go:build !linux

package parkpoll

import (
	"errors"
	"syscall"
)

// poller stands for the Linux epoll poller: elsewhere nothing parks.
type poller struct{}

// Available reports whether sockets can park here: not on this system.
func Available() bool { return false }

func thePoller() *poller { return nil }

func (p *poller) add(k *Park, raw syscall.RawConn) error {
	return errors.New("parkpoll: parking needs Linux")
}

func (p *poller) remove(k *Park) {}

// HasInput reports true: without a way to look, the caller reads.
func HasInput(fd int) bool { return true }
