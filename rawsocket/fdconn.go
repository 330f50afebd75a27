//go:build linux && !edgewamp_board

package rawsocket

import (
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/edgewamp/edgewamp/internal/parkpoll"
	"github.com/edgewamp/edgewamp/internal/sockio"
)

// A parked server connection sheds the net package's state for its socket:
// the runtime's poll descriptor (512 bytes outside the heap, held by every
// descriptor in Go's network poller) and the net.TCPConn (its netFD, two
// addresses, raw connections: about 300 bytes). detach keeps a duplicate of
// the descriptor in an fdConn, closes the net.Conn, and from then on the
// Conn reads and writes the socket through the fdConn, whose waits are in
// the park poller's epoll instance: no thread and no goroutine per waiting
// connection, as in Go's poller.

// fdConn is a socket outside Go's network poller: a net.Conn and a
// syscall.RawConn whose waits (for input, for room to write) are woken by
// the fdPoller's loop, and by a timer at their deadline. The descriptor is
// in the fdPoller's epoll set once, edge-triggered, for as long as it is
// open, as in Go's poller: an event leaves a ready mark that the next wait
// (park) takes instead of sleeping, and a read or write clears its mark as
// it begins, so that no system call re-arms it per message. A descriptor
// is closed only once no call uses it, so that a call never reaches
// another socket that reused its number.
type fdConn struct {
	c  *Conn // woken on input while parked
	mu sync.Mutex

	// Guarded by mu.
	fd       int32
	refs     int16     // calls using fd (acquire): a few at most
	closing  bool      // Close was called: no new call, fd closed at refs 0
	parked   bool      // input wakes c's park
	rready   bool      // an input event came since the last read began: the next wait (park) goes on at once
	wready   bool      // the same for room to write
	ended    bool      // the peer's end came (EPOLLRDHUP, EPOLLHUP): reads never wait again
	busy     int8      // Park's lingers in a row that input ended (reader-owned; see linger)
	unix     bool      // a Unix socket (its peer's address is read when asked for)
	port     uint16    // a TCP peer's port
	rw, ww   *fdWaiter // the goroutines waiting for input, for room
	rdl, wdl int64     // read and write deadlines, Unix nanoseconds; 0: none
	addr     [16]byte  // a TCP peer's address (kept: getpeername fails once reset), IPv4 as mapped
}

// fdWaiter is one goroutine's wait on an fdConn: woken through ch by an
// event, Close, a deadline change, or its timer. Pooled: a connection that
// does not wait holds none.
type fdWaiter struct {
	ch    chan struct{} // one slot: a wake-up is never lost, a stale one costs a retry
	timer *time.Timer   // wakes the wait at its deadline
}

var fdWaiters = sync.Pool{New: func() any {
	w := &fdWaiter{ch: make(chan struct{}, 1)}
	w.timer = time.AfterFunc(time.Hour, w.wake)
	w.timer.Stop()
	return w
}}

func (w *fdWaiter) wake() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// detach moves a parked connection's socket out of the net package (see
// fdConn). It is the reader's, with no park armed; it does nothing
// when the connection holds reader state or a write is in progress (the
// next park tries again), or when the socket cannot be duplicated.
//
// c.nc and c.raw change under wmu (the writer's), dmu (the deadlines',
// NetConn's, RemoteAddr's) and park.mu: Close, which reads c.nc without a
// lock, takes park.mu after marking c closed (unparkClosing), so that it
// either sees the new c.nc or detach sees c closed.
func (c *Conn) detach(p *parkPoller) {
	if _, ok := c.raw.(*fdRaw); ok || c.raw == nil || c.fr != nil || !c.wmu.TryLock() {
		return
	}
	defer c.wmu.Unlock()
	f := openFD(c, c.nc, c.raw)
	if f == nil {
		return
	}
	c.dmu.Lock()
	c.park.mu.Lock()
	old, swap := c.nc, !c.closed.Load()
	if swap {
		f.rdl, f.wdl = c.rdl, c.wdl
		c.nc, c.raw = f, (*fdRaw)(f)
	}
	c.park.mu.Unlock()
	c.dmu.Unlock()
	if !swap { // closing: Close closes old
		f.Close()
		return
	}
	p.unregister(c)
	old.Close() // the socket stays open through f.fd
}

// openFD returns an fdConn for a duplicate of nc's descriptor (raw is
// nc's), listed in the fdPoller; nil when it cannot.
func openFD(c *Conn, nc net.Conn, raw syscall.RawConn) *fdConn {
	q := theFDPoller()
	if q == nil {
		return nil
	}
	nfd := -1
	if raw.Control(func(fd uintptr) { nfd, _ = fcntlDup(int(fd)) }) != nil || nfd < 0 {
		return nil
	}
	var remote netip.AddrPort
	a, tcp := nc.RemoteAddr().(*net.TCPAddr)
	if tcp {
		remote = netip.AddrPortFrom(a.AddrPort().Addr().Unmap(), uint16(a.Port))
	}
	f, err := newFDConn(nfd, remote, !tcp)
	if err != nil {
		syscall.Close(nfd)
		return nil
	}
	f.c = c
	return f
}

// fcntlDup duplicates fd with close-on-exec; the copy shares the socket's
// O_NONBLOCK.
func fcntlDup(fd int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

// unregister takes c's descriptor out of the epoll set before its net.Conn
// closes it: an epoll registration outlives a close while a duplicate holds
// the socket.
func (p *parkPoller) unregister(c *Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.park.registered {
		epollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(c.park.fd), nil)
		if p.conns[c.park.fd] == c {
			delete(p.conns, c.park.fd)
		}
		c.park.registered = false
	}
}

// fdPoller is the epoll instance of detached sockets (a parkPoller of its
// own, so that its events need no telling apart from the parks'): one
// goroutine reads its events and wakes the waits and parks they concern.
type fdPoller struct {
	*parkPoller
	fds []*fdConn // by descriptor; guarded by mu
}

var (
	fdPollerOnce sync.Once
	fdPollerP    *fdPoller // nil: sockets are not detached
)

// theFDPoller returns the process's fdPoller, starting it on first use;
// nil when it cannot start.
func theFDPoller() *fdPoller {
	fdPollerOnce.Do(func() {
		if p, err := newParkPoller(); err == nil {
			fdPollerP = &fdPoller{parkPoller: p}
			go fdPollerP.loop()
		}
	})
	return fdPollerP
}

// startFDPoller starts the fdPoller, if it can, with the park poller.
func startFDPoller() { theFDPoller() }

// loop hands the ready events to their fdConns, for ever.
func (q *fdPoller) loop() {
	for {
		evs, err := q.events.Wait()
		if err != nil {
			return
		}
		for _, ev := range evs {
			q.mu.Lock()
			var f *fdConn
			if int(ev.Fd) < len(q.fds) {
				f = q.fds[ev.Fd]
			}
			q.mu.Unlock()
			if f != nil {
				f.event(ev.Events)
			}
		}
		// As the park poller's loop: the connections just woken run
		// before the next look, which then finds the events that came
		// meanwhile, and their writers write for all of them at once.
		runtime.Gosched()
	}
}

const (
	epollET  = 1 << 31 // syscall.EPOLLET as the uint32 it is in an event
	fdEvents = syscall.EPOLLIN | syscall.EPOLLOUT | syscall.EPOLLRDHUP | epollET
	fdIn     = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLHUP | syscall.EPOLLERR
	fdOut    = syscall.EPOLLOUT | syscall.EPOLLHUP | syscall.EPOLLERR
)

// event wakes whoever waits for what the descriptor became ready for: the
// park or a read for input, a write for room; with no one waiting, it
// leaves the ready mark for the next.
func (f *fdConn) event(events uint32) {
	f.mu.Lock()
	if f.closing { // an event read before Close: Close woke everyone
		f.mu.Unlock()
		return
	}
	park := false
	if events&fdIn != 0 {
		// Marked ready even when it wakes the park or a wait: the woken
		// read clears the mark as it begins, and a park or a wait woken
		// otherwise at the same moment (its deadline: a wait's timer that
		// fired as the event came, Park's linger then parking) whose flag
		// this event took sees the input at its next park or wait.
		park, f.parked = f.parked, false
		wakeWaiter(&f.rw)
		f.rready = true
		// The end of the stream is not taken by the read that takes the
		// octets before it, which the reader trusts to have emptied the
		// socket (readBuf.waitInput): it is kept for good.
		f.ended = f.ended || events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP) != 0
	}
	if events&fdOut != 0 {
		wakeWaiter(&f.ww)
		f.wready = true
	}
	f.mu.Unlock()
	if park {
		f.c.wake()
	}
}

// wakeWaiter wakes the wait in *slot, if any, and clears it. f.mu is
// held.
func wakeWaiter(slot **fdWaiter) {
	if w := *slot; w != nil {
		w.wake()
		*slot = nil
	}
}

// parkDetached parks c in its detached socket's fdConn (ok), if it has one
// (see parkPoller.add).
func parkDetached(c *Conn, raw syscall.RawConn) (ok bool, err error) {
	if f, ok := raw.(*fdRaw); ok {
		return true, (*fdConn)(f).park()
	}
	return false, nil
}

// park makes the next input event wake c's park (parkPoller.add for a
// detached socket); when the stream has ended, or an input event came
// since the last read began and the socket has input (the event may have
// been for octets that read took), it wakes the park at once.
func (f *fdConn) park() error {
	f.mu.Lock()
	if f.closing || f.c.closed.Load() { // Close wakes a park it sees, or closes f after
		f.mu.Unlock()
		return errParkClosed
	}
	// Under mu: an event after the look finds the park armed.
	ready := f.ended || (f.rready && parkpoll.HasInput(int(f.fd)))
	f.rready, f.parked = false, !ready
	f.mu.Unlock()
	if ready {
		f.c.wake()
	}
	return nil
}

// acquire takes a reference on the descriptor for one call and returns
// it; an error once closed, or (with io, for a read or write) once the
// call's deadline has passed. A read or write clears its direction's
// ready mark before it tries: what it finds covers every event before it
// (as Go's poller does, in prepareRead).
func (f *fdConn) acquire(io, write bool) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.expired(io, write); err != nil {
		return -1, err
	}
	if io {
		if write {
			f.wready = false
		} else {
			f.rready = false
		}
	}
	f.refs++
	return int(f.fd), nil
}

// release gives back acquire's reference, closing the descriptor when it
// was the last one of a closed fdConn.
func (f *fdConn) release() {
	f.mu.Lock()
	f.refs--
	last := f.closing && f.refs == 0
	f.mu.Unlock()
	if last {
		f.destroy()
	}
}

// destroy closes the descriptor: the last reference is gone, so no call
// can use its number any more. It leaves the epoll set first: closing the
// descriptor alone would not remove the registration while another
// descriptor (a net.Conn's still closing) holds the socket.
func (f *fdConn) destroy() {
	epollCtl(theFDPoller().epfd, syscall.EPOLL_CTL_DEL, int(f.fd), nil)
	syscall.Close(int(f.fd))
}

// Close wakes every wait, refuses new calls, and closes the descriptor as
// soon as no call uses it.
func (f *fdConn) Close() error {
	f.mu.Lock()
	if f.closing {
		f.mu.Unlock()
		return net.ErrClosed
	}
	f.closing, f.parked = true, false
	for _, w := range [...]*fdWaiter{f.rw, f.ww} {
		if w != nil {
			w.wake()
		}
	}
	f.rw, f.ww = nil, nil
	last := f.refs == 0
	f.mu.Unlock()
	q := theFDPoller()
	q.mu.Lock()
	if int(f.fd) < len(q.fds) && q.fds[f.fd] == f {
		q.fds[f.fd] = nil
	}
	q.mu.Unlock()
	if last {
		f.destroy()
	}
	return nil
}

// expired is the error of a call now: closed, or (with io) past the
// read or write deadline. f.mu is held.
func (f *fdConn) expired(io, write bool) error {
	if f.closing {
		return net.ErrClosed
	}
	dl := f.rdl
	if write {
		dl = f.wdl
	}
	if io && dl != 0 && time.Now().UnixNano() >= dl {
		return os.ErrDeadlineExceeded
	}
	return nil
}

// do runs fn (a RawConn callback) until it reports done, waiting for input
// (or, with write, room) between calls, under the deadline.
func (f *fdConn) do(fn func(fd uintptr) bool, write bool) error {
	fd, err := f.acquire(true, write)
	if err != nil {
		return err
	}
	defer f.release()
	for !fn(uintptr(fd)) {
		if err := f.wait(write); err != nil {
			return err
		}
	}
	return nil
}

// wait waits for an event, a deadline change, Close or the deadline,
// whichever comes first, and then reports whether the call may go on. The
// caller holds a reference.
func (f *fdConn) wait(write bool) error {
	f.mu.Lock()
	if err := f.expired(true, write); err != nil {
		f.mu.Unlock()
		return err
	}
	slot, ready, dl := &f.rw, &f.rready, f.rdl
	if write {
		slot, ready, dl = &f.ww, &f.wready, f.wdl
	}
	if *ready || (!write && f.ended) { // an event since the call began: try again
		*ready = false
		f.mu.Unlock()
		return nil
	}
	w := fdWaiters.Get().(*fdWaiter)
	*slot = w
	f.mu.Unlock()

	if dl != 0 {
		w.timer.Reset(time.Duration(dl - time.Now().UnixNano()))
	}
	<-w.ch
	if dl != 0 {
		w.timer.Stop()
	}
	select { // a late timer's wake-up, not to be taken by the next wait
	case <-w.ch:
	default:
	}
	f.mu.Lock()
	if *slot == w {
		*slot = nil
	}
	err := f.expired(true, write)
	if err == nil {
		*ready = false // the call tries again now: that covers the event that woke it
	}
	f.mu.Unlock()
	fdWaiters.Put(w)
	return err
}

// setDeadline sets a deadline and wakes its wait, which then goes on
// under the new one.
func (f *fdConn) setDeadline(t time.Time, read, write bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closing {
		return net.ErrClosed
	}
	for _, s := range [...]struct {
		on bool
		dl *int64
		w  **fdWaiter
	}{{read, &f.rdl, &f.rw}, {write, &f.wdl, &f.ww}} {
		if !s.on {
			continue
		}
		*s.dl = deadlineNano(t)
		if *s.w != nil {
			(*s.w).wake()
			*s.w = nil
		}
	}
	return nil
}

// SetDeadline implements net.Conn.
func (f *fdConn) SetDeadline(t time.Time) error { return f.setDeadline(t, true, true) }

// SetReadDeadline implements net.Conn.
func (f *fdConn) SetReadDeadline(t time.Time) error { return f.setDeadline(t, true, false) }

// SetWriteDeadline implements net.Conn.
func (f *fdConn) SetWriteDeadline(t time.Time) error { return f.setDeadline(t, false, true) }

// RemoteAddr implements net.Conn: a TCP peer's address as it was when the
// socket was detached; a Unix socket's peer, with getpeername.
func (f *fdConn) RemoteAddr() net.Addr {
	if !f.unix {
		return net.TCPAddrFromAddrPort(f.remote())
	}
	return f.sockaddr(syscall.Getpeername)
}

// LocalAddr implements net.Conn, with getsockname.
func (f *fdConn) LocalAddr() net.Addr { return f.sockaddr(syscall.Getsockname) }

// sockaddr returns the address get (getsockname, getpeername) reads; a
// Unix socket's unnamed one when it fails.
func (f *fdConn) sockaddr(get func(fd int) (syscall.Sockaddr, error)) net.Addr {
	var sa syscall.Sockaddr
	(*fdRaw)(f).Control(func(fd uintptr) { sa, _ = get(int(fd)) })
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.TCPAddr{IP: sa.Addr[:], Port: sa.Port}
	case *syscall.SockaddrInet6:
		return &net.TCPAddr{IP: sa.Addr[:], Port: sa.Port}
	case *syscall.SockaddrUnix:
		return &net.UnixAddr{Name: sa.Name, Net: "unix"}
	}
	if f.unix {
		return &net.UnixAddr{Net: "unix"}
	}
	return &net.TCPAddr{}
}

// Read implements net.Conn (the Conn reads with raw calls).
func (f *fdConn) Read(p []byte) (int, error) {
	var n int
	var rerr error
	err := f.do(func(fd uintptr) bool {
		n, rerr = sockio.SysRead(int(fd), p)
		return rerr != syscall.EAGAIN
	}, false)
	switch {
	case err != nil:
		return 0, err
	case rerr != nil:
		return 0, os.NewSyscallError("read", rerr)
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write implements net.Conn (the Conn writes with raw calls).
func (f *fdConn) Write(p []byte) (int, error) {
	var w sockio.Writer
	return w.Write((*fdRaw)(f), p)
}

// fdRaw is an fdConn's syscall.RawConn (whose Read and Write are not
// net.Conn's).
type fdRaw fdConn

// Control implements syscall.RawConn.
func (r *fdRaw) Control(fn func(fd uintptr)) error {
	f := (*fdConn)(r)
	fd, err := f.acquire(false, false)
	if err != nil {
		return err
	}
	defer f.release()
	fn(uintptr(fd))
	return nil
}

// Read implements syscall.RawConn: fn is called until it reports done,
// waiting for input between calls, under the read deadline.
func (r *fdRaw) Read(fn func(fd uintptr) bool) error { return (*fdConn)(r).do(fn, false) }

// Write implements syscall.RawConn: fn is called until it reports done,
// waiting for room between calls, under the write deadline.
func (r *fdRaw) Write(fn func(fd uintptr) bool) error { return (*fdConn)(r).do(fn, true) }

// detachable: parked server sockets leave the net package (detach).
const detachable = true

// detachedRaw returns the raw connection of a detached socket (see
// socketRawConn), or nil.
func detachedRaw(c any) syscall.RawConn {
	if f, ok := c.(*fdConn); ok {
		return (*fdRaw)(f)
	}
	return nil
}

// frameReaders holds the frame readers that parked connections let go of
// (dropReader), for the next connection to wake: a new one is four
// allocations, made at every reading of a slow sender.
var frameReaders sync.Pool

// keepFrameReader puts r, dropped by a parked socket, in frameReaders,
// holding nothing of its connection.
func keepFrameReader(r *frameReader) {
	if r.br.raw == nil || r.br.size != readBufferSize {
		return
	}
	r.buf = nil
	r.br.src, r.br.raw = nil, nil
	frameReaders.Put(r)
}

// reuseFrameReader returns a frame reader from frameReaders, as
// newFrameReader makes one over the socket src with the default buffer
// size; nil when there is none, or src is not a socket.
func reuseFrameReader(src io.Reader, max int) *frameReader {
	raw := socketRawConn(src)
	if raw == nil {
		return nil
	}
	r, _ := frameReaders.Get().(*frameReader)
	if r == nil {
		return nil
	}
	b := r.br
	*b = readBuf{src: src, raw: raw, size: readBufferSize, readFn: b.readFn, pollFn: b.pollFn}
	*r = frameReader{br: b, max: max}
	return r
}
