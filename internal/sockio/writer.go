//go:build !windows

package sockio

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// maxIovecs is how many buffers one writev takes (Linux's IOV_MAX).
const maxIovecs = 1024

// Writer writes to a TCP or Unix socket with [SysWrite] and [SysWritev],
// waiting in the runtime's poller (under the connection's write deadline)
// while the socket's send buffer is full. Its callbacks are made at its
// first write and kept, so that a Writer kept between writes (rawsocket's
// write scratch, a wrapped connection) allocates nothing per write. Not safe
// for concurrent use. The zero value is ready to use.
type Writer struct {
	writeFn func(fd uintptr) bool // w.tryWrite
	vecFn   func(fd uintptr) bool // w.tryWritev

	b   []byte          // what tryWrite has left to write
	iov []syscall.Iovec // what tryWritev has left to write
	vec []syscall.Iovec // iov's backing array, kept between writes
	err error           // the failed system call, for the caller
}

// Write writes all of b to raw and returns the octets written, with the
// error that stopped it short.
func (w *Writer) Write(raw syscall.RawConn, b []byte) (int, error) {
	if w.writeFn == nil {
		w.writeFn = w.tryWrite
	}
	w.b, w.err = b, nil
	err := raw.Write(w.writeFn)
	n := len(b) - len(w.b)
	w.b = nil
	return n, w.result(err)
}

// Writev writes all of bufs to raw with writev, or returns the error that
// stopped it. It keeps no reference to bufs.
func (w *Writer) Writev(raw syscall.RawConn, bufs [][]byte) error {
	if w.vecFn == nil {
		w.vecFn = w.tryWritev
	}
	iov := w.vec[:0]
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		v := syscall.Iovec{Base: unsafe.SliceData(b)}
		v.SetLen(len(b))
		iov = append(iov, v)
	}
	w.vec = iov
	if len(iov) == 0 {
		return nil
	}
	w.iov, w.err = iov, nil
	err := raw.Write(w.vecFn)
	clear(w.vec[:len(iov)])
	w.vec, w.iov = w.vec[:0], nil
	if cap(w.vec) > maxIovecs {
		w.vec = nil
	}
	return w.result(err)
}

// result is a write's error: the poller's (deadline, closed socket) or the
// system call's.
func (w *Writer) result(err error) error {
	if err == nil {
		err = w.err
	}
	w.err = nil
	return err
}

// tryWrite is write's callback for syscall.RawConn.Write: it writes until
// w.b is empty or the socket would block (false: wait and call again).
func (w *Writer) tryWrite(fd uintptr) bool {
	for len(w.b) > 0 {
		n, err := SysWrite(int(fd), w.b)
		n, ret := w.settle("write", n, err)
		if ret {
			return w.err != nil
		}
		w.b = w.b[n:]
	}
	return true
}

// tryWritev is writev's callback: tryWrite over w.iov, at most maxIovecs
// buffers per system call.
func (w *Writer) tryWritev(fd uintptr) bool {
	for len(w.iov) > 0 {
		n, err := SysWritev(int(fd), w.iov[:min(len(w.iov), maxIovecs)])
		n, ret := w.settle("writev", n, err)
		if ret {
			return w.err != nil
		}
		w.iov = consumeIovecs(w.iov, n)
	}
	return true
}

// settle sorts out one write system call: the octets it wrote (none when it
// was interrupted), or ret when the callback must return: with w.err set
// when the call failed, without when the socket is full.
func (w *Writer) settle(call string, n int, err error) (written int, ret bool) {
	switch {
	case err == syscall.EINTR:
		return 0, false
	case err == syscall.EAGAIN:
		return 0, true
	case err != nil:
		w.err = os.NewSyscallError(call, err)
		return 0, true
	case n <= 0:
		w.err = io.ErrShortWrite
		return 0, true
	}
	return n, false
}

// consumeIovecs drops the first n octets from iov.
func consumeIovecs(iov []syscall.Iovec, n int) []syscall.Iovec {
	for len(iov) > 0 && n > 0 {
		l := int(iov[0].Len)
		if n < l {
			iov[0].Base = (*byte)(unsafe.Add(unsafe.Pointer(iov[0].Base), n))
			iov[0].SetLen(l - n)
			return iov
		}
		n -= l
		iov = iov[1:]
	}
	return iov
}
