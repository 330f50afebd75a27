package listen

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Accept retry backoff bounds of a split listener.
const (
	minAcceptBackoff = 5 * time.Millisecond
	maxAcceptBackoff = time.Second
)

// DefaultSniffTimeout bounds the wait for a connection's first octet in
// [Split].
const DefaultSniffTimeout = 10 * time.Second

// rawSocketMagic is the first octet of a RawSocket handshake.
const rawSocketMagic = 0x7F

// Split lets one port serve both RawSocket and WebSocket (Crossbar's
// "unisocket"): it accepts on l and sorts each connection by its first octet,
// 0x7F (the RawSocket magic) to rawsocket and anything else (an HTTP request
// line) to web, with the octet put back in front of the stream. Serve
// rawsocket with [Router.Serve] and web with an http.Server carrying a
// wstransport.Handler.
//
// A connection that sends nothing within sniffTimeout (0 means
// [DefaultSniffTimeout]) is closed and never handed out; sniffing happens
// off the accept loop, so a silent client delays no one. Closing either
// returned listener closes l and both of them (pending Accepts return
// net.ErrClosed). Temporary accept errors are retried with a backoff (5ms
// doubling to 1s); another accept error closes both. Both listeners are
// safe for concurrent use.
func Split(l net.Listener, sniffTimeout time.Duration) (rawsocket, web net.Listener) {
	if sniffTimeout <= 0 {
		sniffTimeout = DefaultSniffTimeout
	}
	sp := &splitter{l: l, timeout: sniffTimeout, done: make(chan struct{})}
	sp.raw = &splitChild{sp: sp, ch: make(chan net.Conn)}
	sp.web = &splitChild{sp: sp, ch: make(chan net.Conn)}
	sp.wg.Add(1)
	go sp.acceptLoop()
	return sp.raw, sp.web
}

// splitter is the shared state of the two listeners of Split.
type splitter struct {
	l        net.Listener
	timeout  time.Duration
	raw, web *splitChild
	done     chan struct{} // closed by close
	once     sync.Once
	wg       sync.WaitGroup // accept loop and sniffing goroutines

	mu  sync.Mutex // protects err
	err error      // why the splitter closed, for Accept
}

func (sp *splitter) close(err error) {
	sp.once.Do(func() {
		sp.mu.Lock()
		sp.err = err
		sp.mu.Unlock()
		close(sp.done)
		sp.l.Close()
	})
}

func (sp *splitter) acceptLoop() {
	defer sp.wg.Done()
	var backoff time.Duration
	for {
		nc, err := sp.l.Accept()
		if err != nil {
			select {
			case <-sp.done:
				return
			default:
			}
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				backoff = min(max(2*backoff, minAcceptBackoff), maxAcceptBackoff)
				tm := time.NewTimer(backoff)
				select {
				case <-tm.C:
				case <-sp.done:
					tm.Stop()
					return
				}
				continue
			}
			sp.close(fmt.Errorf("listen: unisocket accept: %w", err))
			return
		}
		backoff = 0
		sp.wg.Add(1)
		go sp.sniff(nc)
	}
}

// sniff reads the first octet of nc and hands nc to the right listener.
func (sp *splitter) sniff(nc net.Conn) {
	defer sp.wg.Done()
	var b [1]byte
	if err := nc.SetReadDeadline(time.Now().Add(sp.timeout)); err != nil {
		nc.Close()
		return
	}
	if _, err := nc.Read(b[:]); err != nil {
		nc.Close()
		return
	}
	if err := nc.SetReadDeadline(time.Time{}); err != nil {
		nc.Close()
		return
	}
	to := sp.web
	if b[0] == rawSocketMagic {
		to = sp.raw
	}
	select {
	case to.ch <- &sniffedConn{Conn: nc, first: b[0], has: true}:
	case <-sp.done:
		nc.Close()
	}
}

// splitChild is one of the two listeners returned by Split.
type splitChild struct {
	sp *splitter
	ch chan net.Conn
}

// Accept returns the next connection sorted to this listener.
func (c *splitChild) Accept() (net.Conn, error) {
	select {
	case nc := <-c.ch:
		return nc, nil
	case <-c.sp.done:
		c.sp.mu.Lock()
		err := c.sp.err
		c.sp.mu.Unlock()
		if err == nil {
			err = net.ErrClosed
		}
		return nil, err
	}
}

// Close closes the shared listener and both children, and waits for the
// sniffing goroutines to end.
func (c *splitChild) Close() error {
	c.sp.close(nil)
	c.sp.wg.Wait()
	return nil
}

// Addr is the shared listener's address.
func (c *splitChild) Addr() net.Addr { return c.sp.l.Addr() }

// sniffedConn is a connection whose first octet was read by the splitter;
// Read returns it first.
type sniffedConn struct {
	net.Conn
	mu    sync.Mutex // protects first and has
	first byte
	has   bool
}

// NetConn returns the connection sniffed (as crypto/tls's Conn does), for
// netsource.
func (c *sniffedConn) NetConn() net.Conn { return c.Conn }

// PassthroughConn returns the connection sniffed once its first octet has
// been read again (c itself before): from then on c's Read is that
// connection's, and a RawSocket server reads and parks the socket under it
// as over rs://.
func (c *sniffedConn) PassthroughConn() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.has {
		return c
	}
	return c.Conn
}

func (c *sniffedConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.mu.Lock()
	if c.has {
		c.has = false
		p[0] = c.first
		c.mu.Unlock()
		return 1, nil // without blocking for more
	}
	c.mu.Unlock()
	return c.Conn.Read(p)
}
