//go:build linux

package sockio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/internal/testnet"
)

// pair returns a connected pair of sockets of network ("tcp" or "unix"):
// the accepted end wrapped, and the dialled end as the net package made it.
func pair(t testing.TB, network string) (wrapped, plain net.Conn) {
	plain, accepted := testnet.Pair(t, network)
	return Wrap(accepted), plain
}

func TestWrapKinds(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		w, _ := pair(t, network)
		rc, raw := w.(*rawConn)
		if raw != (runtime.GOOS == "linux") {
			t.Errorf("%s: Wrap gave a %T", network, w)
		}
		if raw && (rc.NetConn() != rc.Conn || rc.PassthroughConn() != rc.Conn) {
			t.Errorf("%s: NetConn or PassthroughConn is not the wrapped connection", network)
		}
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if Wrap(a) != a {
		t.Error("Wrap of a pipe is not the pipe itself")
	}
}

func TestReadWrite(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			w, p := pair(t, network)
			// Larger than the socket buffers: the writes wait for room.
			big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18)
			errc := make(chan error, 1)
			go func() { _, err := w.Write(big); errc <- err }()
			got := make([]byte, len(big))
			if _, err := io.ReadFull(p, got); err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, big) {
				t.Fatal("the octets written are not the octets read")
			}
			go func() { _, err := p.Write(big); errc <- err }()
			if _, err := io.ReadFull(w, got); err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil || !bytes.Equal(got, big) {
				t.Fatalf("read back: %v", err)
			}
			if n, err := w.Read(nil); n != 0 || err != nil {
				t.Errorf("Read(nil) = %d, %v", n, err)
			}
			p.Close()
			if _, err := w.Read(got[:1]); err != io.EOF {
				t.Errorf("Read after the peer's close: %v, want io.EOF", err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	w, p := pair(t, "tcp")
	tests := []struct {
		name  string
		setup func()
		op    func() error
		check func(error) bool
	}{
		{"read deadline", func() { w.SetReadDeadline(time.Now().Add(20 * time.Millisecond)) },
			func() error { _, err := w.Read(make([]byte, 8)); return err },
			func(err error) bool {
				var ne net.Error
				return errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &ne) && ne.Timeout()
			}},
		{"write deadline, peer not reading", func() { w.SetWriteDeadline(time.Now().Add(50 * time.Millisecond)) },
			func() error {
				for {
					if _, err := w.Write(make([]byte, 1<<20)); err != nil {
						return err
					}
				}
			},
			func(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }},
		{"read after close", func() { w.Close() },
			func() error { _, err := w.Read(make([]byte, 8)); return err },
			func(err error) bool { return errors.Is(err, net.ErrClosed) }},
		{"write after close", func() {},
			func() error { _, err := w.Write([]byte("x")); return err },
			func(err error) bool { return errors.Is(err, net.ErrClosed) }},
	}
	_ = p
	for _, tc := range tests {
		tc.setup()
		if err := tc.op(); !tc.check(err) {
			t.Errorf("%s: error %v", tc.name, err)
		}
	}
}

func TestWriteToResetPeer(t *testing.T) {
	w, p := pair(t, "tcp")
	p.(*net.TCPConn).SetLinger(0)
	p.Close() // reset
	w.SetWriteDeadline(time.Now().Add(5 * time.Second))
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = w.Write(make([]byte, 4096))
		time.Sleep(time.Millisecond)
	}
	var se *os.SyscallError
	if !errors.As(err, &se) || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write to a reset peer: %v, want the system call's error", err)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "write" {
		t.Errorf("error %v is not a write *net.OpError", err)
	}
}

func TestNoAllocations(t *testing.T) {
	w, p := pair(t, "tcp")
	buf := make([]byte, 64)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := w.Write(buf); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(p, buf); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Write(buf); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(w, buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("a round trip allocates %v times, want 0", allocs)
	}
}

// BenchmarkRoundTrip is a 64-octet message each way over loopback TCP: the
// wrapped end against the net package's own (Wrap=false).
func BenchmarkRoundTrip(b *testing.B) {
	for _, wrap := range []bool{true, false} {
		b.Run(map[bool]string{true: "Wrap", false: "net"}[wrap], func(b *testing.B) {
			w, p := pair(b, "tcp")
			if !wrap {
				w = w.(*rawConn).Conn
			}
			buf := make([]byte, 64)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				w.Write(buf)
				io.ReadFull(p, buf)
				p.Write(buf)
				io.ReadFull(w, buf)
			}
		})
	}
}

func TestWrapListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wl := WrapListener(ln)
	defer wl.Close()
	go func() {
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	c, err := wl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, raw := c.(*rawConn); raw != (runtime.GOOS == "linux") {
		t.Errorf("accepted a %T", c)
	}
	if b, err := io.ReadAll(c); err != nil || string(b) != "hi" {
		t.Errorf("read %q, %v", b, err)
	}
	wl.Close()
	if _, err := wl.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v", err)
	}
}

// TestConcurrentWrites: writers on several goroutines take turns (each
// Write whole), as on a net.Conn; run with -race.
func TestConcurrentWrites(t *testing.T) {
	w, p := pair(t, "unix")
	const writers, each = 4, 200
	msg := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, 512) }
	done := make(chan error, writers)
	for i := range writers {
		go func() {
			for range each {
				if _, err := w.Write(msg(i)); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	got := make([]byte, 512)
	for range writers * each {
		if _, err := io.ReadFull(p, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msg(int(got[0]-'a'))) {
			t.Fatalf("a write was split by another: %q...", got[:16])
		}
	}
	for range writers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
