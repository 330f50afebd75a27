package parkpoll

import (
	"os"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// poller is the process's epoll instance for parks (see Park.Arm).
type poller struct {
	epfd int

	mu    sync.Mutex
	parks map[int32]*Park // armed, by descriptor
	gen   int32           // generation of the last arm (told apart in events)

	events Events // the loop's
}

var (
	pollOnce sync.Once
	thePoll  *poller // nil: parking is not available
)

// Available reports whether sockets can park here (Linux, with an epoll
// instance).
func Available() bool { return thePoller() != nil }

// thePoller returns the process's poller, starting it on first use; nil
// when it cannot start.
func thePoller() *poller {
	pollOnce.Do(func() {
		epfd, _, raw, err := Open("parkpoll")
		if err != nil {
			return
		}
		p := &poller{epfd: epfd, parks: make(map[int32]*Park)}
		p.events.Init(raw)
		thePoll = p
		go p.loop()
	})
	return thePoll
}

// Open makes a non-blocking epoll instance whose descriptor waits in the
// runtime's poller: raw.Read on it returns when events are ready. f (named
// name) keeps it open.
func Open(name string) (epfd int, f *os.File, raw syscall.RawConn, err error) {
	epfd, err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return -1, nil, nil, err
	}
	if err := syscall.SetNonblock(epfd, true); err != nil {
		syscall.Close(epfd)
		return -1, nil, nil, err
	}
	f = os.NewFile(uintptr(epfd), name)
	raw, err = f.SyscallConn()
	if err != nil {
		f.Close()
		return -1, nil, nil, err
	}
	return epfd, f, raw, nil
}

// poll is epoll_wait(2) with a timeout of 0, as a raw system call: it never
// blocks, and the scheduler's system call hook would wake the sysmon thread
// whenever the process was idle, which is at every batch of events on a
// server that waits between them.
func poll(epfd int, events []syscall.EpollEvent) (int, error) {
	n, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(n), nil
}

// Ctl is epoll_ctl(2) as a raw system call (see Poll).
func Ctl(epfd, op, fd int, ev *syscall.EpollEvent) error {
	_, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// HasInput reports whether the non-blocking socket fd has something to
// read: data, the end of the stream or an error (a one-octet MSG_PEEK that
// does not wait).
func HasInput(fd int) bool {
	var b [1]byte
	_, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), 1,
		syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	return errno != syscall.EAGAIN
}

// loop wakes the parks whose descriptors became ready, for ever.
func (p *poller) loop() {
	for {
		evs, err := p.events.Wait()
		if err != nil {
			return
		}
		for _, ev := range evs {
			p.fire(ev.Fd, ev.Pad)
		}
		// Let the connections just woken run before looking again: on a
		// busy process the next look then finds the events that came
		// meanwhile.
		runtime.Gosched()
	}
}

// Events reads an epoll instance's ready events for one goroutine, which
// waits in the runtime's poller, not in a thread, while there are none.
type Events struct {
	raw    syscall.RawConn // the epoll descriptor's (see Open)
	buf    [64]syscall.EpollEvent
	n      int
	readFn func(fd uintptr) bool // e.collect, made once: Wait allocates nothing
}

// Init sets e up to read the instance of raw (Open's).
func (e *Events) Init(raw syscall.RawConn) {
	e.raw = raw
	e.readFn = e.collect
}

// Wait returns the next ready events, valid until the next Wait; an error
// only once the instance is closed.
func (e *Events) Wait() ([]syscall.EpollEvent, error) {
	if err := e.raw.Read(e.readFn); err != nil {
		return nil, err
	}
	return e.buf[:e.n], nil
}

// collect is Wait's callback: it collects the ready events without
// blocking, and reports false (wait in the runtime's poller) when there
// are none.
func (e *Events) collect(fd uintptr) bool {
	for {
		n, err := poll(int(fd), e.buf[:])
		if err == syscall.EINTR {
			continue
		}
		e.n = max(n, 0)
		return e.n > 0
	}
}

// fire wakes the park on fd, if it is still the arm of generation gen (a
// stale event, for a park woken otherwise, is dropped).
func (p *poller) fire(fd, gen int32) {
	p.mu.Lock()
	k := p.parks[fd]
	if k == nil || k.gen != gen {
		p.mu.Unlock()
		return
	}
	delete(p.parks, fd)
	p.mu.Unlock()
	if f := k.take(); f != nil {
		f.Resume()
	}
}

// add arms k's descriptor for one readiness event.
func (p *poller) add(k *Park, raw syscall.RawConn) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	gen := p.gen
	var opErr error
	err := raw.Control(func(fd uintptr) {
		if opErr = ArmOneShot(p.epfd, int(fd), gen, k.registered); opErr == nil {
			k.registered, k.fd, k.gen = true, int32(fd), gen
			p.parks[int32(fd)] = k
		}
	})
	if err != nil {
		return err
	}
	return opErr
}

// ArmOneShot arms fd in the epoll instance epfd for one event of input (or
// the peer's end), tagged gen (the event's Pad): modified when registered
// says fd is in the set, added when it is not (or no longer is).
func ArmOneShot(epfd, fd int, gen int32, registered bool) error {
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: int32(fd), Pad: gen}
	if registered {
		if err := Ctl(epfd, syscall.EPOLL_CTL_MOD, fd, &ev); err != syscall.ENOENT {
			return err
		}
	}
	return Ctl(epfd, syscall.EPOLL_CTL_ADD, fd, &ev)
}

// remove forgets k's arm (woken by Wake). Its descriptor stays armed: a
// late event finds no park of its generation.
func (p *poller) remove(k *Park) {
	p.mu.Lock()
	if k.registered && p.parks[k.fd] == k {
		delete(p.parks, k.fd)
	}
	p.mu.Unlock()
}
