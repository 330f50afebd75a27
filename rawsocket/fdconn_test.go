//go:build linux && !edgewamp_board

package rawsocket

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/internal/testnet"
)

// fdPair returns a detached server socket over network ("tcp" or "unix")
// and the client's end.
func fdPair(t *testing.T, network string) (*fdConn, net.Conn) {
	t.Helper()
	peer, nc := testnet.SmallSendPair(t, network)
	f := openFD(&Conn{}, nc, socketRawConn(nc))
	nc.Close() // as detach does: the duplicate lives on
	if f == nil {
		t.Fatal("openFD: nil")
	}
	t.Cleanup(func() { f.Close() })
	return f, peer
}

// result runs fn on a goroutine and returns its error's channel.
func result(fn func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- fn() }()
	return ch
}

// within waits for an error from ch, failing after 5s.
func within(t *testing.T, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still waiting after 5s", what)
		return nil
	}
}

// fillSendBuffer writes to f until its socket's send buffer is full
// (the peer reads nothing).
func fillSendBuffer(t *testing.T, f *fdConn) {
	t.Helper()
	f.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	defer f.SetWriteDeadline(time.Time{})
	for {
		if _, err := f.Write(make([]byte, 64<<10)); errors.Is(err, os.ErrDeadlineExceeded) {
			return
		} else if err != nil {
			t.Fatal(err)
		}
	}
}

// TestFDConnDeadlines: read and write deadlines behave as a net.Conn's.
func TestFDConnDeadlines(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		for _, tc := range []struct {
			name string
			run  func(t *testing.T, f *fdConn, peer net.Conn)
		}{
			{"read deadline passes in a wait", func(t *testing.T, f *fdConn, peer net.Conn) {
				f.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
				start := time.Now()
				_, err := f.Read(make([]byte, 8))
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("Read: %v, want the deadline", err)
				}
				if time.Since(start) < 30*time.Millisecond {
					t.Fatalf("Read returned after %v, before its deadline", time.Since(start))
				}
			}},
			{"past deadline refuses buffered input", func(t *testing.T, f *fdConn, peer net.Conn) {
				peer.Write([]byte("x"))
				f.SetReadDeadline(time.Unix(1, 0))
				if _, err := f.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("Read: %v, want the deadline", err)
				}
				f.SetReadDeadline(time.Time{})
				b := make([]byte, 8)
				if n, err := f.Read(b); err != nil || string(b[:n]) != "x" {
					t.Fatalf("Read without deadline = %q, %v", b[:n], err)
				}
			}},
			{"deadline moved later in a wait", func(t *testing.T, f *fdConn, peer net.Conn) {
				f.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				ch := result(func() error { _, err := f.Read(make([]byte, 8)); return err })
				f.SetReadDeadline(time.Now().Add(time.Minute))
				time.Sleep(100 * time.Millisecond)
				peer.Write([]byte("x"))
				if err := within(t, ch, "Read"); err != nil {
					t.Fatalf("Read: %v, want the input", err)
				}
			}},
			{"deadline moved earlier in a wait", func(t *testing.T, f *fdConn, peer net.Conn) {
				ch := result(func() error { _, err := f.Read(make([]byte, 8)); return err })
				time.Sleep(20 * time.Millisecond)
				f.SetDeadline(time.Now())
				if err := within(t, ch, "Read"); !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("Read: %v, want the deadline", err)
				}
			}},
			{"write deadline with a peer that reads nothing", func(t *testing.T, f *fdConn, peer net.Conn) {
				f.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
				n, err := f.Write(make([]byte, 64<<20))
				if !errors.Is(err, os.ErrDeadlineExceeded) || n >= 64<<20 {
					t.Fatalf("Write = %d, %v; want part written and the deadline", n, err)
				}
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					t.Fatalf("Write's error %v is not a timeout", err)
				}
			}},
		} {
			t.Run(network+"/"+tc.name, func(t *testing.T) {
				f, peer := fdPair(t, network)
				tc.run(t, f, peer)
			})
		}
	}
}

// TestFDConnCloseWakes: Close wakes a read and a write waiting, both with
// net.ErrClosed, and later calls fail the same way.
func TestFDConnCloseWakes(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			f, peer := fdPair(t, network)
			// Small buffers on both ends: 8 MiB cannot be written.
			syscall.SetsockoptInt(int(f.fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 4096)
			if sc, ok := peer.(syscall.Conn); ok {
				raw, _ := sc.SyscallConn()
				raw.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
			}
			fillSendBuffer(t, f)
			big := make([]byte, 8<<20)
			r := result(func() error { _, err := f.Read(make([]byte, 8)); return err })
			w := result(func() error { _, err := f.Write(big); return err })
			time.Sleep(20 * time.Millisecond)
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			for _, ch := range []<-chan error{r, w} {
				if err := within(t, ch, "a wait after Close"); !errors.Is(err, net.ErrClosed) {
					t.Fatalf("wait after Close: %v, want net.ErrClosed", err)
				}
			}
			if _, err := f.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Write after Close: %v", err)
			}
			if err := f.Close(); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("second Close: %v", err)
			}
		})
	}
}

// TestFDConnSlowReader: writes to a peer slower than the writer wait for
// room (EAGAIN) and arrive whole and in order.
func TestFDConnSlowReader(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			f, peer := fdPair(t, network)
			want := make([]byte, 4<<20)
			for i := range want {
				want[i] = byte(i * 7)
			}
			got := make(chan []byte, 1)
			go func() {
				var b bytes.Buffer
				buf := make([]byte, 32<<10)
				for b.Len() < len(want) {
					n, err := peer.Read(buf)
					b.Write(buf[:n])
					if err != nil {
						break
					}
					time.Sleep(time.Millisecond)
				}
				got <- b.Bytes()
			}()
			if n, err := f.Write(want); err != nil || n != len(want) {
				t.Fatalf("Write = %d, %v", n, err)
			}
			select {
			case b := <-got:
				if !bytes.Equal(b, want) {
					t.Fatalf("the peer read %d octets, not what was written", len(b))
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the peer has not read everything after 30s")
			}
		})
	}
}

// TestFDConnNoReuse: the descriptor is closed only once no call uses it,
// so that a call in progress never reaches another socket that took its
// number; calls after Close never touch the number.
func TestFDConnNoReuse(t *testing.T) {
	f, _ := fdPair(t, "tcp")
	fd := int(f.fd)
	want, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	err = (*fdRaw)(f).Control(func(uintptr) {
		if err := within(t, result(f.Close), "Close during a call"); err != nil {
			t.Errorf("Close: %v", err)
		}
		// Closed, but in use: the number is still this socket.
		got, err := syscall.Getsockname(fd)
		if err != nil || got.(*syscall.SockaddrInet4).Port != want.(*syscall.SockaddrInet4).Port {
			t.Errorf("descriptor during the call after Close: %v, %v; want the socket still open", got, err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// Now closed: a new descriptor may take the number; f never uses it.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	called := false
	if err := (*fdRaw)(f).Control(func(uintptr) { called = true }); !errors.Is(err, net.ErrClosed) || called {
		t.Fatalf("Control after Close: %v (called %v), want net.ErrClosed", err, called)
	}
	if err := (*fdRaw)(f).Write(func(uintptr) bool { called = true; return true }); !errors.Is(err, net.ErrClosed) || called {
		t.Fatalf("Write after Close: %v (called %v), want net.ErrClosed", err, called)
	}
	if _, err := w.Write([]byte("pipe")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if _, err := io.ReadFull(r, b); err != nil || string(b) != "pipe" {
		t.Fatalf("the pipe that may reuse the number: %q, %v", b, err)
	}
}

// detachAt sets detachAfter for the test.
func detachAt(t *testing.T, d time.Duration) {
	old := detachAfter.Swap(int64(d))
	t.Cleanup(func() { detachAfter.Store(old) })
}

// TestParkDetaches: a parked server connection holds no net.Conn any
// more (its descriptor is an fdConn's), keeps its addresses, and goes on
// reading, writing, parking and closing as before.
func TestParkDetaches(t *testing.T) {
	detachAt(t, 0)
	for _, tr := range transports {
		if tr.tls {
			continue
		}
		t.Run(tr.name, func(t *testing.T) {
			l, cc := listen(t, tr, ListenConfig{}, ClientConfig{})
			client, server := pair(t, l, cc)
			remote := server.RemoteAddr()
			woke := tryPark(t, server, true)
			f, ok := server.NetConn().(*fdConn)
			if !ok {
				t.Fatalf("parked server holds a %T, want an fdConn", server.NetConn())
			}
			if server.RemoteAddr() != remote {
				t.Fatalf("RemoteAddr %q once detached, %q before", server.RemoteAddr(), remote)
			}
			if tr.network == "tcp" && f.LocalAddr().String() != l.Addr().String() {
				t.Fatalf("LocalAddr %v, want %v", f.LocalAddr(), l.Addr())
			}
			for i := range 3 {
				msg := []byte{'m', byte('0' + i)}
				if err := client.WriteMessages([][]byte{msg}); err != nil {
					t.Fatal(err)
				}
				waitWoke(t, woke, "a message")
				if got, err := server.ReadMessage(); err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("ReadMessage = %q, %v", got, err)
				}
				if err := server.WriteMessages([][]byte{msg}); err != nil {
					t.Fatal(err)
				}
				if got, err := client.ReadMessage(); err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("client ReadMessage = %q, %v", got, err)
				}
				woke = tryPark(t, server, true)
			}
			server.Close()
			waitWoke(t, woke, "Close")
			if _, err := server.ReadMessage(); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("ReadMessage after Close: %v", err)
			}
			if _, err := client.ReadMessage(); err == nil {
				t.Fatal("client ReadMessage after the server closed: no error")
			}
		})
	}
}

// TestSweepDetachesIdle: a connection parked for detachAfter is detached by
// the sweep, in its park, and wakes on input as before; one still parked
// for a shorter time is not.
func TestSweepDetachesIdle(t *testing.T) {
	detachAt(t, 30*time.Millisecond)
	l, cc := listen(t, transport{"tcp-poller", "tcp", false, true}, ListenConfig{}, ClientConfig{})
	client, server := pair(t, l, cc)
	sweptWakes(t, client, server, tryPark(t, server, true))

	detachAt(t, time.Hour)
	_, other := pair(t, l, cc)
	tryPark(t, other, true)
	if _, ok := other.NetConn().(*fdConn); ok {
		t.Fatal("a connection parked for less than detachAfter is detached")
	}
}

// TestFDConnCloseRacesCalls: calls racing Close, while new sockets take
// the numbers that free up, only ever reach their own socket.
func TestFDConnCloseRacesCalls(t *testing.T) {
	for range 20 {
		f, _ := fdPair(t, "tcp")
		sa, err := syscall.Getsockname(int(f.fd))
		if err != nil {
			t.Fatal(err)
		}
		port := sa.(*syscall.SockaddrInet4).Port
		var wg sync.WaitGroup
		var wrong atomic.Int32
		for range 8 {
			wg.Go(func() {
				for range 50 {
					(*fdRaw)(f).Control(func(fd uintptr) {
						sa, err := syscall.Getsockname(int(fd))
						if in4, ok := sa.(*syscall.SockaddrInet4); err != nil || !ok || in4.Port != port {
							wrong.Add(1)
						}
					})
				}
			})
		}
		go f.Close()
		var socks []int
		for range 8 { // Unix datagram sockets: a call reaching one of them is told
			if s, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0); err == nil {
				socks = append(socks, s)
			}
		}
		wg.Wait()
		for _, s := range socks {
			syscall.Close(s)
		}
		if n := wrong.Load(); n > 0 {
			t.Fatalf("%d calls reached another socket than theirs", n)
		}
	}
}
