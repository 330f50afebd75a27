//go:build linux

package sockio

import (
	"bytes"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/edgewamp/edgewamp/internal/testnet"
)

func TestConsumeIovecs(t *testing.T) {
	bufs := [][]byte{[]byte("abc"), []byte("de"), []byte("fghij")}
	tests := []struct {
		n    int
		want []string
	}{
		{0, []string{"abc", "de", "fghij"}},
		{1, []string{"bc", "de", "fghij"}},
		{3, []string{"de", "fghij"}},
		{4, []string{"e", "fghij"}},
		{5, []string{"fghij"}},
		{9, []string{"j"}},
		{10, nil},
	}
	for _, tt := range tests {
		var iov []syscall.Iovec
		for _, b := range bufs {
			v := syscall.Iovec{Base: &b[0]}
			v.SetLen(len(b))
			iov = append(iov, v)
		}
		var got []string
		for _, v := range consumeIovecs(iov, tt.n) {
			got = append(got, string(unsafe.Slice(v.Base, v.Len)))
		}
		if len(got) != len(tt.want) {
			t.Errorf("consume %d: %q, want %q", tt.n, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("consume %d: %q, want %q", tt.n, got, tt.want)
				break
			}
		}
	}
}

// rawOf returns the raw connection of the socket nc.
func rawOf(t *testing.T, nc net.Conn) syscall.RawConn {
	t.Helper()
	raw, err := nc.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// readOctets reads n octets from r on a goroutine of its own.
func readOctets(r net.Conn, n int) <-chan []byte {
	ch := make(chan []byte, 1)
	go func() {
		r.SetReadDeadline(time.Now().Add(20 * time.Second))
		got := make([]byte, 0, n)
		buf := make([]byte, 32<<10)
		for len(got) < n {
			k, err := r.Read(buf[:min(len(buf), n-len(got))])
			got = append(got, buf[:k]...)
			if err != nil {
				break
			}
		}
		ch <- got
	}()
	return ch
}

// TestSockWriterFullSendBuffer writes through a send buffer far smaller
// than the data: every write meets EAGAIN, waits in the poller and resumes
// where the kernel stopped, inside a buffer or between two.
func TestSockWriterFullSendBuffer(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			wc, rc := testnet.SmallSendPair(t, network)
			raw, sw := rawOf(t, wc), new(Writer)
			// write: one buffer of 1 MiB.
			one := testnet.Patterned(1<<20, 7)
			got := readOctets(rc, len(one))
			if _, err := sw.Write(raw, one); err != nil {
				t.Fatal(err)
			}
			if g := <-got; !bytes.Equal(g, one) {
				t.Fatalf("write: got %d octets, want %d, equal prefix %d", len(g), len(one), commonPrefix(g, one))
			}
			// writev: 2,600 buffers (more than one writev takes), some empty.
			var bufs [][]byte
			var all []byte
			for i := range 2600 {
				b := testnet.Patterned(i%700, i)
				bufs = append(bufs, b)
				all = append(all, b...)
			}
			got = readOctets(rc, len(all))
			if err := sw.Writev(raw, bufs); err != nil {
				t.Fatal(err)
			}
			if g := <-got; !bytes.Equal(g, all) {
				t.Fatalf("writev: got %d octets, want %d, equal prefix %d", len(g), len(all), commonPrefix(g, all))
			}
			for i, v := range sw.vec[:cap(sw.vec)] {
				if v.Base != nil {
					t.Fatalf("writev keeps a reference to buffer %d", i)
				}
			}
		})
	}
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// TestSockWriterErrors: a write deadline that passes while the peer reads
// nothing, a closed connection, and a peer that reset the connection.
func TestSockWriterErrors(t *testing.T) {
	t.Run("deadline", func(t *testing.T) {
		wc, _ := testnet.SmallSendPair(t, "tcp")
		raw, sw := rawOf(t, wc), new(Writer)
		wc.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		_, err := sw.Write(raw, make([]byte, 32<<20))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("write past the deadline: %v, want os.ErrDeadlineExceeded", err)
		}
		err = sw.Writev(raw, [][]byte{make([]byte, 16<<20), make([]byte, 16<<20)})
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("writev past the deadline: %v, want os.ErrDeadlineExceeded", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		wc, _ := testnet.SmallSendPair(t, "unix")
		raw, sw := rawOf(t, wc), new(Writer)
		wc.Close()
		if _, err := sw.Write(raw, []byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("write on a closed connection: %v, want net.ErrClosed", err)
		}
		if err := sw.Writev(raw, [][]byte{[]byte("x")}); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("writev on a closed connection: %v, want net.ErrClosed", err)
		}
	})
	t.Run("reset", func(t *testing.T) {
		wc, rc := testnet.SmallSendPair(t, "tcp")
		raw, sw := rawOf(t, wc), new(Writer)
		rc.(*net.TCPConn).SetLinger(0)
		rc.Close() // RST
		deadline := time.Now().Add(5 * time.Second)
		var err error
		for err == nil && time.Now().Before(deadline) {
			_, err = sw.Write(raw, []byte("after the reset"))
		}
		var se *os.SyscallError
		if !errors.As(err, &se) || !(errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)) {
			t.Fatalf("write after a reset: %v, want the system call's EPIPE or ECONNRESET", err)
		}
	})
}
