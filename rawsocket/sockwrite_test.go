package rawsocket

import (
	"bytes"
	"errors"
	"io"
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

// socketPair returns the two ends of a loopback connection over network
// ("tcp" or "unix"), with a small send buffer so that writes of more than
// a few hundred KB meet a full socket (EAGAIN) and go out in parts.
func socketPair(t *testing.T, network string) (w, r net.Conn) {
	w, r = testnet.Pair(t, network)
	w.(interface{ SetWriteBuffer(int) error }).SetWriteBuffer(8192)
	return w, r
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

// patterned returns n octets that differ from any shift of themselves
// within 251 octets, so that a lost or repeated part shows.
func patterned(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((i + seed) % 251)
	}
	return b
}

// TestSockWriterFullSendBuffer writes through a send buffer far smaller
// than the data: every write meets EAGAIN, waits in the poller and resumes
// where the kernel stopped, inside a buffer or between two.
func TestSockWriterFullSendBuffer(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			wc, rc := socketPair(t, network)
			raw := socketRawConn(wc)
			if raw == nil {
				t.Fatal("no raw connection for a socket")
			}
			sw := newTestSockWriter()
			// write: one buffer of 1 MiB.
			one := patterned(1<<20, 7)
			got := readOctets(rc, len(one))
			if err := sw.write(raw, one); err != nil {
				t.Fatal(err)
			}
			if g := <-got; !bytes.Equal(g, one) {
				t.Fatalf("write: got %d octets, want %d, equal prefix %d", len(g), len(one), commonPrefix(g, one))
			}
			// writev: 2,600 buffers (more than one writev takes), some empty.
			var bufs [][]byte
			var all []byte
			for i := range 2600 {
				b := patterned(i%700, i)
				bufs = append(bufs, b)
				all = append(all, b...)
			}
			got = readOctets(rc, len(all))
			if err := sw.writev(raw, bufs); err != nil {
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
		wc, _ := socketPair(t, "tcp")
		raw, sw := socketRawConn(wc), newTestSockWriter()
		wc.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		err := sw.write(raw, make([]byte, 32<<20))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("write past the deadline: %v, want os.ErrDeadlineExceeded", err)
		}
		err = sw.writev(raw, [][]byte{make([]byte, 16<<20), make([]byte, 16<<20)})
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("writev past the deadline: %v, want os.ErrDeadlineExceeded", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		wc, _ := socketPair(t, "unix")
		raw, sw := socketRawConn(wc), newTestSockWriter()
		wc.Close()
		if err := sw.write(raw, []byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("write on a closed connection: %v, want net.ErrClosed", err)
		}
		if err := sw.writev(raw, [][]byte{[]byte("x")}); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("writev on a closed connection: %v, want net.ErrClosed", err)
		}
	})
	t.Run("reset", func(t *testing.T) {
		wc, rc := socketPair(t, "tcp")
		raw, sw := socketRawConn(wc), newTestSockWriter()
		rc.(*net.TCPConn).SetLinger(0)
		rc.Close() // RST
		deadline := time.Now().Add(5 * time.Second)
		var err error
		for err == nil && time.Now().Before(deadline) {
			err = sw.write(raw, []byte("after the reset"))
		}
		var se *os.SyscallError
		if !errors.As(err, &se) || !(errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)) {
			t.Fatalf("write after a reset: %v, want the system call's EPIPE or ECONNRESET", err)
		}
	})
}

// TestRawOnlyForSockets: TLS and other wrappers are read and written
// through their own Read and Write.
func TestRawOnlyForSockets(t *testing.T) {
	wc, _ := socketPair(t, "tcp")
	if socketRawConn(wc) == nil {
		t.Fatal("no raw connection for *net.TCPConn")
	}
	type wrapped struct{ net.Conn }
	if socketRawConn(wrapped{wc}) != nil {
		t.Fatal("a raw connection for a wrapper of a socket")
	}
}

func newTestSockWriter() *sockWriter {
	w := new(sockWriter)
	w.init()
	return w
}

// TestWriteMessagesManyFrames sends one batch of 1,500 frames (3,000
// buffers with their headers, more than one writev takes) over every
// transport.
func TestWriteMessagesManyFrames(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			l, cc := listen(t, tr, ListenConfig{}, ClientConfig{})
			client, server := pair(t, l, cc)
			if (client.raw == nil) != tr.tls {
				t.Fatalf("raw writes %v over %s", client.raw != nil, tr.name)
			}
			var msgs [][]byte
			for i := range 1500 {
				msgs = append(msgs, patterned(1+i%300, i))
			}
			got := readMessages(server, len(msgs))
			if err := client.WriteMessages(msgs); err != nil {
				t.Fatal(err)
			}
			expectMessages(t, got, msgs)
		})
	}
}

// TestSockWriterAllocatesNothing: a raw write, and a writev of a batch,
// allocate nothing once the vector has grown.
func TestSockWriterAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	wc, rc := socketPair(t, "tcp")
	go io.Copy(io.Discard, rc)
	raw, sw := socketRawConn(wc), newTestSockWriter()
	wc.SetWriteDeadline(time.Now().Add(20 * time.Second))
	msg := make([]byte, 64)
	bufs := [][]byte{msg, msg, msg, msg}
	sw.writev(raw, bufs)
	if a := testing.AllocsPerRun(1000, func() {
		if err := sw.write(raw, msg); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("write allocates %v times", a)
	}
	if a := testing.AllocsPerRun(1000, func() {
		if err := sw.writev(raw, bufs); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("writev allocates %v times", a)
	}
}
