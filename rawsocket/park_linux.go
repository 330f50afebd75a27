package rawsocket

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"syscall"

	"github.com/edgewamp/edgewamp/internal/parkpoll"
	"github.com/edgewamp/edgewamp/peer"
)

// parkPoller is the process's one epoll instance for parked connections
// (see Conn.Park). Its own descriptor waits in the runtime's poller, so it
// costs no thread: one goroutine reads its events and wakes the
// connections they name.
type parkPoller struct {
	epfd int
	f    *os.File // epfd, registered with the runtime's poller

	mu    sync.Mutex
	conns map[int32]*Conn // parked, by descriptor
	gen   int32           // generation of the last park (told apart in events)

	events parkpoll.Events // the loop's
}

var (
	parkOnce sync.Once
	parker   *parkPoller // nil: parking is not available
)

// thePoller returns the process's parkPoller, starting it on first use; nil
// when it cannot start (then connections are not parked).
func thePoller() *parkPoller {
	parkOnce.Do(func() {
		p, err := newParkPoller()
		if err == nil {
			parker = p
			go p.loop()
		}
		// Started with the park poller, not at the first detach, so that a
		// server's descriptors and goroutines are those of its first park
		// from then on.
		startFDPoller()
	})
	return parker
}

func newParkPoller() (*parkPoller, error) {
	epfd, f, raw, err := parkpoll.Open("rawsocket-park")
	if err != nil {
		return nil, err
	}
	p := &parkPoller{epfd: epfd, f: f, conns: make(map[int32]*Conn)}
	p.events.Init(raw)
	return p, nil
}

// loop wakes the connections whose descriptors became ready, for ever.
func (p *parkPoller) loop() {
	for {
		evs, err := p.events.Wait()
		if err != nil {
			// Cannot happen while f stays open; parked connections are
			// still woken by Close and their deadlines.
			return
		}
		for _, ev := range evs {
			p.fire(ev.Fd, ev.Pad)
		}
		if peer.ServerBuild {
			// Let the connections just woken run before looking again:
			// on a busy process the next look then finds the events that
			// came meanwhile, where blocking in the runtime's poller
			// would leave them until the process is idle or sysmon polls
			// (up to 10ms later).
			runtime.Gosched()
		}
	}
}

// epollCtl is epoll_ctl(2) (parkpoll.Ctl: a raw system call).
func epollCtl(epfd, op, fd int, ev *syscall.EpollEvent) error { return parkpoll.Ctl(epfd, op, fd, ev) }

// fire wakes the connection parked on fd, if it is still the park of
// generation gen (a stale event, for a park already woken otherwise, is
// dropped).
func (p *parkPoller) fire(fd, gen int32) {
	p.mu.Lock()
	c := p.conns[fd]
	if c == nil || c.park.gen != gen {
		p.mu.Unlock()
		return
	}
	delete(p.conns, fd)
	p.mu.Unlock()
	c.wake()
}

// errParkClosed: the connection closed before it could be parked.
var errParkClosed = errors.New("rawsocket: closed")

// add arms c's descriptor for one readiness event. Under p.mu, so that
// Close either finds c here or c sees it closed.
func (p *parkPoller) add(c *Conn, raw syscall.RawConn) error {
	if ok, err := parkDetached(c, raw); ok {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.closed.Load() {
		return errParkClosed
	}
	p.gen++
	gen := p.gen
	var opErr error
	err := raw.Control(func(fd uintptr) {
		if opErr = parkpoll.ArmOneShot(p.epfd, int(fd), gen, c.park.registered); opErr == nil {
			c.park.registered, c.park.fd, c.park.gen = true, int32(fd), gen
			p.conns[int32(fd)] = c
		}
	})
	if err != nil {
		return err
	}
	return opErr
}

// remove forgets c's park (woken by Close or its deadline). Its descriptor
// stays armed: a late event finds no park of its generation.
func (p *parkPoller) remove(c *Conn) {
	p.mu.Lock()
	if c.park.registered && p.conns[c.park.fd] == c {
		delete(p.conns, c.park.fd)
	}
	p.mu.Unlock()
}
