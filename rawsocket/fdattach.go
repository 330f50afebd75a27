//go:build linux && !edgewamp_board

package rawsocket

import (
	"net"
	"os"
	"time"
)

// A socket outside Go's poller (an fdConn: accepted by FDListener, or
// detached by the sweep) costs more CPU per wait than one in it: a timer
// for the deadline and a hand-off from the fdPoller's goroutine, where the
// runtime's poller needs neither.
// Nothing for a connection that parks and stays parked; on one that keeps
// exchanging messages (a caller, a callee) every linger of Park is such a
// wait. So a detached connection whose lingers input ended reattachAfter
// times in a row goes back into Go's poller (a net.Conn of a duplicate of
// its descriptor), and the sweep detaches it again once it has been
// parked detachAfter.

// reattachAfter is how many of Park's lingers in a row must end with input
// (the next message within parkAfter of the last) for a detached socket to
// go back into Go's poller. A device sending a reading a second never
// lingers into input; a party to calls does at every message. The move
// (two dups, a net.Conn, an epoll_ctl each way: about ten system calls)
// costs about what a few waits in the fdPoller cost over Go's poller.
const reattachAfter = 4

// linger is Park's wait for input (waitInput). On a detached socket it
// counts the lingers that input ended, and first moves a socket that has
// had reattachAfter of them in a row back into Go's poller.
func (c *Conn) linger(d time.Duration) bool {
	r, ok := c.raw.(*fdRaw)
	if !ok {
		return c.waitInput(d)
	}
	f := (*fdConn)(r)
	if f.busy >= reattachAfter && c.reattach(f) {
		return c.waitInput(d)
	}
	in := c.waitInput(d)
	if in && d > 0 {
		f.busy = min(f.busy+1, reattachAfter)
	} else {
		f.busy = 0
	}
	return in
}

// reattach swaps c's fdConn f for a net.Conn of a duplicate of its
// descriptor, under the locks detach takes, and reports whether it did.
// It is the reader's, between messages; it does nothing while the reader
// holds input or a write is in progress (the next linger tries again).
func (c *Conn) reattach(f *fdConn) bool {
	if c.fr != nil {
		c.fr.settle()
		c.dropReader()
	}
	if c.fr != nil || !c.wmu.TryLock() {
		return false
	}
	defer c.wmu.Unlock()
	var nc net.Conn
	if (*fdRaw)(f).Control(func(fd uintptr) { nc = fileConn(fd) }) != nil || nc == nil {
		return false
	}
	raw := socketRawConn(nc)
	if raw == nil {
		nc.Close()
		return false
	}
	c.dmu.Lock()
	c.park.mu.Lock()
	swap := !c.closed.Load()
	if swap {
		nc.SetReadDeadline(deadlineTime(c.rdl))
		nc.SetWriteDeadline(deadlineTime(c.wdl))
		c.nc, c.raw = nc, raw
	}
	c.park.mu.Unlock()
	c.dmu.Unlock()
	if !swap { // closing: Close closes f
		nc.Close()
		return false
	}
	f.Close() // its descriptor leaves the epoll set as it closes (destroy)
	return true
}

// fileConn returns a net.Conn (in Go's poller) of a duplicate of fd; nil
// when it cannot.
func fileConn(fd uintptr) net.Conn {
	nfd, err := fcntlDup(int(fd))
	if err != nil {
		return nil
	}
	file := os.NewFile(uintptr(nfd), "")
	nc, err := net.FileConn(file) // a duplicate of its own
	file.Close()
	if err != nil {
		return nil
	}
	return nc
}
