package rawsocket

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"

	"github.com/edgewamp/edgewamp/internal/sockio"
	"github.com/edgewamp/edgewamp/peer"
)

// readBufPool holds the read buffers of the default size.
var readBufPool = sync.Pool{New: func() any { b := make([]byte, readBufferSize); return &b }}

// maxEmptyReads is how many reads in a row may return nothing before the
// source counts as broken (as bufio does).
const maxEmptyReads = 100

// readBuf is the buffered reader under a frameReader. Its buffer is taken
// from a pool when data is due and given back whenever it is empty, so that
// a connection waiting for its next message holds no buffer: on TCP and
// Unix sockets the wait happens in the runtime's poller before any buffer is
// taken (syscall.RawConn.Read), which costs no extra system call. Other
// readers (TLS, pipes) hold the buffer while they block in Read.
//
// Not safe for concurrent use: it belongs to the connection's reader.
type readBuf struct {
	src  io.Reader
	raw  syscall.RawConn // nil: read src, holding the buffer
	size int
	bp   *[]byte // the pooled buffer, when size is the pool's
	buf  []byte  // nil while released
	r, w int     // unread octets are buf[r:w]
	pend error   // an error waitInput met, for the next fill to return

	// rawRead's arguments and results for tryRead.
	readFn func(fd uintptr) bool // b.tryRead
	pollFn func(fd uintptr) bool // b.tryReadOnce (waitInput polling)
	dst    []byte
	n      int // after rawRead, -1 when its read found the socket empty or emptied it (see waitInput)
	rerr   error
}

// newReadBuf returns a readBuf of size octets over src.
func newReadBuf(src io.Reader, size int) *readBuf {
	b := &readBuf{src: src, size: size}
	if raw := socketRawConn(src); raw != nil {
		b.raw = raw
		b.readFn = b.tryRead
		b.pollFn = b.tryReadOnce
	}
	return b
}

// socketRawConn returns the raw connection of a *net.TCPConn or
// *net.UnixConn, or nil. Only the socket types themselves: a wrapper that
// embeds one (and so has SyscallConn) may change what Read and Write do, and
// must be used through them (servers unwrap the one kind that does not:
// see passthroughConn).
func socketRawConn(c any) syscall.RawConn {
	var sc syscall.Conn
	switch c := c.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		if detachable {
			return detachedRaw(c)
		}
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// buffered returns the number of unread octets held.
func (b *readBuf) buffered() int { return b.w - b.r }

// take gets a buffer.
func (b *readBuf) take() {
	if b.size == readBufferSize {
		b.bp = readBufPool.Get().(*[]byte)
		b.buf = *b.bp
	} else {
		b.buf = make([]byte, b.size)
	}
	b.r, b.w = 0, 0
}

// release gives the buffer back if it holds nothing unread. The slices
// handed out by peek must no longer be in use.
func (b *readBuf) release() {
	if b.buf == nil || b.r != b.w {
		return
	}
	if b.bp != nil {
		readBufPool.Put(b.bp)
		b.bp = nil
	}
	b.buf = nil
	b.r, b.w = 0, 0
}

// fill reads once into the free end of the buffer (taking one if needed),
// first moving the unread octets to its start.
func (b *readBuf) fill() error {
	if b.buf != nil && b.r > 0 {
		copy(b.buf, b.buf[b.r:b.w])
		b.w -= b.r
		b.r = 0
	}
	if err := b.pend; err != nil {
		b.pend = nil
		return err
	}
	for range maxEmptyReads {
		var n int
		var err error
		if b.raw != nil {
			n, err = b.rawRead(nil)
		} else {
			if b.buf == nil {
				b.take()
			}
			n, err = b.src.Read(b.buf[b.w:])
		}
		b.w += n
		if n > 0 || err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// waitInput waits (under the socket's read deadline) until the socket has
// something to read, and reads it into the buffer; with poll it does not
// wait. It reports false when nothing came (the deadline passed, or with
// poll the socket had nothing); an error other than that is kept for the
// next fill to return, and counts as input. Sources other than TCP and
// Unix sockets cannot be waited on without reading: for them, and when
// octets are already buffered, it returns true at once.
func (b *readBuf) waitInput(poll bool) bool {
	if b.raw == nil || b.buffered() > 0 || b.pend != nil {
		return true
	}
	if peer.ServerBuild && poll && b.n < 0 {
		// The last read found the socket empty, or emptied it (it
		// returned less than asked): report no input without a read(2)
		// that would return EAGAIN. A park's epoll registration reports
		// what came since (epoll_ctl checks readiness as it arms).
		return false
	}
	fn := b.readFn
	if poll {
		fn = b.pollFn
	}
	n, err := b.rawReadWith(nil, fn)
	b.w += n
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, syscall.EAGAIN) {
			return false
		}
		b.pend = err
	}
	return true
}

// tryReadOnce is waitInput's callback when polling: tryRead (which leaves
// EAGAIN in b.rerr when the socket has nothing), but never waiting.
func (b *readBuf) tryReadOnce(fd uintptr) bool {
	b.tryRead(fd)
	return true
}

// rawRead reads from the socket into p, or into the buffer's free end when
// p is nil (taking a buffer only once the socket has data). It waits in the
// poller (honouring the read deadline) while nothing is there.
func (b *readBuf) rawRead(p []byte) (int, error) { return b.rawReadWith(p, b.readFn) }

// rawReadWith is rawRead with fn as the callback (b.readFn or b.pollFn).
func (b *readBuf) rawReadWith(p []byte, fn func(fd uintptr) bool) (int, error) {
	b.dst, b.n, b.rerr = p, 0, nil
	err := b.raw.Read(fn)
	n, rerr := b.n, b.rerr
	if peer.ServerBuild {
		free := len(p)
		if p == nil {
			free = len(b.buf) - b.w // the caller has yet to add n to b.w
		}
		b.n = 0
		if rerr == syscall.EAGAIN || (err == nil && rerr == nil && n > 0 && n < free) {
			b.n = -1 // the socket is empty now (waitInput)
		}
	}
	b.dst, b.rerr = nil, nil
	switch {
	case err != nil:
		return 0, err
	case rerr != nil:
		return 0, os.NewSyscallError("read", rerr)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// tryRead is rawRead's callback for syscall.RawConn.Read (made once, in
// b.readFn, so that a read allocates nothing): one read(2) into b.dst, or
// into the buffer when b.dst is nil; false when the socket has nothing yet.
func (b *readBuf) tryRead(fd uintptr) bool {
	for {
		dst := b.dst
		if dst == nil {
			if b.buf == nil {
				b.take()
			}
			dst = b.buf[b.w:]
		}
		b.n, b.rerr = sockio.SysRead(int(fd), dst)
		switch b.rerr {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if b.dst == nil {
				b.release()
			}
			return false
		}
		if b.n < 0 {
			b.n = 0
		}
		return true
	}
}

// peek returns the next n octets (n <= size) without consuming them; they
// stay valid until the next call of any method. With fewer available it
// returns those and the error that stopped the reading.
func (b *readBuf) peek(n int) ([]byte, error) {
	if n > b.size {
		return nil, errors.New("rawsocket: peek beyond the read buffer")
	}
	for b.buffered() < n {
		// An error that comes with the last octets needed waits for the
		// next read (sources repeat it: EOF, a closed socket).
		if err := b.fill(); err != nil && b.buffered() < n {
			if b.buf == nil {
				return nil, err
			}
			return b.buf[b.r:b.w], err
		}
	}
	return b.buf[b.r : b.r+n], nil
}

// discard skips n octets that peek has returned.
func (b *readBuf) discard(n int) { b.r += n }

// Read reads into p: the buffered octets first, then (for a large p) from
// the source directly, without the buffer. It implements io.Reader for
// io.ReadFull.
func (b *readBuf) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.buffered() > 0 {
		n := copy(p, b.buf[b.r:b.w])
		b.r += n
		return n, nil
	}
	b.release()
	if b.raw != nil {
		return b.rawRead(p)
	}
	return b.src.Read(p)
}
