//go:build linux

package parkpoll

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// resumer counts its Resume calls on a channel.
type resumer chan struct{}

func (r resumer) Resume() { r <- struct{}{} }

// socketPair returns the two ends of a TCP connection over 127.0.0.1 and
// the raw connection of the first.
func socketPair(t *testing.T) (a, b net.Conn, raw syscall.RawConn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	b, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a, err = l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	raw, err = a.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return a, b, raw
}

// woken fails the test unless r resumes within 10 seconds.
func woken(t *testing.T, r resumer, what string) {
	t.Helper()
	select {
	case <-r:
	case <-time.After(10 * time.Second):
		t.Fatalf("no Resume for %s", what)
	}
}

// TestPark: a park resumes once, for input, its deadline or Wake, and
// again after being armed again; a Wake of a park not armed does nothing.
func TestPark(t *testing.T) {
	if !Available() {
		t.Skip("no epoll")
	}
	_, b, raw := socketPair(t)
	var k Park
	r := make(resumer, 4)
	k.Wake() // not armed: nothing
	for i := range 2 {
		if !k.Arm(raw, time.Time{}, r) || !k.Armed() {
			t.Fatal("Arm failed")
		}
		if _, err := b.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		woken(t, r, "input")
		if k.Armed() {
			t.Fatal("still armed after Resume")
		}
		var one [1]byte
		if err := raw.Read(func(fd uintptr) bool { syscall.Read(int(fd), one[:]); return true }); err != nil {
			t.Fatal(err)
		}
	}
	if !k.Arm(raw, time.Now().Add(50*time.Millisecond), r) {
		t.Fatal("Arm failed")
	}
	woken(t, r, "the deadline")
	if k.Arm(raw, time.Now().Add(-time.Second), r) {
		t.Fatal("Arm with a deadline past armed")
	}
	if !k.Arm(raw, time.Time{}, r) {
		t.Fatal("Arm failed")
	}
	k.Wake()
	woken(t, r, "Wake")
	k.Wake()
	select {
	case <-r:
		t.Fatal("a second Wake resumed again")
	case <-time.After(20 * time.Millisecond):
	}
}

// passthrough is a wrapper whose Read and Write are its connection's.
type passthrough struct{ net.Conn }

func (p passthrough) PassthroughConn() net.Conn { return p.Conn }

// stuck is a wrapper that still holds something back: it names itself.
type stuck struct{ net.Conn }

func (s stuck) PassthroughConn() net.Conn { return s }

// TestSocket: Socket looks through passthrough wrappers, and stops at one
// that names itself.
func TestSocket(t *testing.T) {
	a, _, _ := socketPair(t)
	if got := Socket(passthrough{passthrough{a}}); got != a {
		t.Errorf("Socket(two wrappers) = %T, want the socket", got)
	}
	s := stuck{a}
	if got := Socket(passthrough{s}); got != net.Conn(s) {
		t.Errorf("Socket(a wrapper holding back) = %T, want it", got)
	}
	if got := Socket(a); got != a {
		t.Errorf("Socket(socket) = %T", got)
	}
}
