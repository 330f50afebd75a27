//go:build linux && !edgewamp_board

package rawsocket

import (
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/edgewamp/edgewamp/internal/netsource"
	"github.com/edgewamp/edgewamp/internal/sockio"
)

// An accepted server socket need never enter Go's network poller: the
// runtime gives every descriptor there a poll descriptor (512 bytes outside
// the heap) that it never frees but caches, so the most sockets held there
// at once in a storm of joins stay in the process for good. fdListener
// accepts with accept4 straight into an fdConn, whose waits are the
// fdPoller's; only the listening socket itself waits in Go's poller.

// FDListener returns a listener for a RawSocket [Listener] (or
// [NewListener]'s caller) whose Accept takes nl's connections as bare
// descriptors outside Go's network poller: an idle RawSocket connection
// then costs no poll descriptor and no net.TCPConn at any time. nl must be a
// *net.TCPListener or *net.UnixListener (plain, no TLS); anything else, and
// other systems, get nl itself. Closing the returned listener closes nl.
// Its connections suit the RawSocket handshake and Conn only: they are
// net.Conns, but their waits cost more CPU than the net package's.
func FDListener(nl net.Listener) net.Listener {
	sc, ok := nl.(syscall.Conn)
	if !ok || theFDPoller() == nil {
		return nl
	}
	switch nl.(type) {
	case *net.TCPListener, *net.UnixListener:
	default:
		return nl
	}
	// A listener's own RawConn cannot wait (its Read is EINVAL): the
	// duplicate, an os.File of a non-blocking socket, waits in Go's poller.
	raw, err := sc.SyscallConn()
	if err != nil {
		return nl
	}
	nfd := -1
	if raw.Control(func(fd uintptr) { nfd, _ = fcntlDup(int(fd)) }) != nil || nfd < 0 {
		return nl
	}
	f := os.NewFile(uintptr(nfd), "rawsocket-listener")
	if raw, err = f.SyscallConn(); err != nil {
		f.Close()
		return nl
	}
	_, unix := nl.(*net.UnixListener)
	return &fdListener{Listener: nl, f: f, raw: raw, unix: unix}
}

// fdListener accepts into fdConns (see FDListener).
type fdListener struct {
	net.Listener                 // the listening socket; Addr is its
	f            *os.File        // a duplicate of its descriptor, in Go's poller
	raw          syscall.RawConn // f's
	unix         bool
	closed       atomic.Bool // Close was called: Accept's error is net.ErrClosed
}

// Close closes the listening socket (and its duplicate, which wakes a
// pending Accept).
func (l *fdListener) Close() error {
	l.closed.Store(true)
	l.f.Close()
	return l.Listener.Close()
}

// Accept implements net.Listener: it waits in Go's poller for the
// listening socket to be readable, accepts a non-blocking socket and
// returns it as an *fdConn. Close makes a pending Accept return an error
// wrapping net.ErrClosed.
func (l *fdListener) Accept() (net.Conn, error) {
	var nfd int
	var sa syscall.Sockaddr
	var aerr error
	err := l.raw.Read(func(fd uintptr) bool {
		for {
			nfd, sa, aerr = syscall.Accept4(int(fd), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
			if aerr != syscall.EINTR && aerr != syscall.ECONNABORTED {
				return aerr != syscall.EAGAIN
			}
		}
	})
	if err != nil && l.closed.Load() {
		err = net.ErrClosed // the duplicate's error says "closed file"
	} else if err == nil && aerr != nil {
		err = os.NewSyscallError("accept4", aerr)
	}
	if err != nil {
		return nil, &net.OpError{Op: "accept", Net: l.Addr().Network(), Addr: l.Addr(), Err: err}
	}
	if !l.unix {
		tcpOptions(nfd)
	}
	f, err := newFDConn(nfd, sockaddrAddrPort(sa), l.unix)
	if err != nil {
		syscall.Close(nfd)
		return nil, &net.OpError{Op: "accept", Net: l.Addr().Network(), Addr: l.Addr(), Err: err}
	}
	return f, nil
}

// tcpOptions sets what the net package sets on an accepted TCP socket:
// no Nagle delay, and keepalive probes after 15 s idle, every 15 s, 9 of
// them (net.ListenConfig's defaults).
func tcpOptions(fd int) {
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1)
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, 15)
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, 15)
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, 9)
}

// sockaddrAddrPort returns a TCP peer's address (IPv4-mapped addresses
// unmapped, as the net package reports them); the zero AddrPort otherwise.
func sockaddrAddrPort(sa syscall.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *syscall.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// newFDConn returns an fdConn of the descriptor fd (non-blocking, owned by
// it from now on), listed in the fdPoller (whose table, indexed by
// descriptor, is as long as the highest descriptor listed so far: bounded
// by the process's descriptor limit, 8 bytes each, where a map took about
// 36 per entry) and in its epoll set, edge-triggered, for input, room and
// the peer's end (see fdConn); its Conn is set by adoptFD. Listed first:
// the registration reports at once what the socket is ready for already,
// and that event must find f. On an error the caller still owns fd.
func newFDConn(fd int, remote netip.AddrPort, unix bool) (*fdConn, error) {
	f := &fdConn{fd: int32(fd), addr: remote.Addr().As16(), port: remote.Port(), unix: unix}
	q := theFDPoller()
	q.mu.Lock()
	if fd >= len(q.fds) {
		q.fds = append(q.fds, make([]*fdConn, fd+1-len(q.fds))...)
	}
	q.fds[f.fd] = f
	q.mu.Unlock()
	ev := syscall.EpollEvent{Events: fdEvents, Fd: f.fd}
	if err := epollCtl(q.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		q.mu.Lock()
		q.fds[f.fd] = nil
		q.mu.Unlock()
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return f, nil
}

// remote returns a TCP peer's address and port (kept in the fdConn as 18
// bytes, not a netip.AddrPort's 32, so that an fdConn fits the 80-byte
// size class, not the 112-byte one).
func (f *fdConn) remote() netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom16(f.addr).Unmap(), f.port)
}

// adoptFD makes c the Conn an accepted fdConn wakes when parked (newConn,
// before c is shared).
func adoptFD(c *Conn) {
	if f, ok := c.raw.(*fdRaw); ok && f.c == nil {
		f.c = c
	}
}

// Source names the connection's source for the per-source limits
// (netsource.Of): the peer's IP address, or for a Unix socket the peer
// process.
func (f *fdConn) Source() string {
	if f.unix {
		return netsource.UnixPeer((*fdRaw)(f))
	}
	return f.remote().Addr().String()
}

// tlsSocket is the socket a TLS client connection runs over: nc with raw
// reads and writes (sockio), as the Conn's own on a plain socket.
func tlsSocket(nc net.Conn) net.Conn { return sockio.Wrap(nc) }
