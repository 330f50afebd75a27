//go:build linux && !edgewamp_board

package rawsocket

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// A detached socket is in the fdPoller's epoll set once, edge-triggered:
// each event is reported once, so an event that finds no one waiting must
// leave its mark for the next wait or park. These tests cover the moments
// where a wake-up could be lost.

// fdState describes f's readiness state (for a test's failure).
func fdState(f *fdConn) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprintf("fd %d: parked %v, rready %v, wready %v, ended %v, read waiting %v, write waiting %v, closing %v",
		f.fd, f.parked, f.rready, f.wready, f.ended, f.rw != nil, f.ww != nil, f.closing)
}

// connState is fdState for a Conn's socket, if detached.
func connState(c *Conn) string {
	if f, ok := c.NetConn().(*fdConn); ok {
		return fdState(f)
	}
	return "not detached"
}

// until polls cond every millisecond, failing the test after 5s.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 5s", what)
		}
	}
}

// readyMark reports f's ready mark for input (write: for room).
func readyMark(f *fdConn, write bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if write {
		return f.wready
	}
	return f.rready
}

// TestFDConnEventBeforeWait: an event that comes after a call found the
// socket empty (EAGAIN) but before it waits is not lost: the wait goes on
// at once, and the wait after that sleeps.
func TestFDConnEventBeforeWait(t *testing.T) {
	for _, write := range []bool{false, true} {
		t.Run(fmt.Sprint("write=", write), func(t *testing.T) {
			f, _ := fdPair(t, "tcp")
			until(t, "the registration's first event", func() bool { return readyMark(f, true) })
			if _, err := f.acquire(true, write); err != nil { // the call began, and found nothing
				t.Fatal(err)
			}
			defer f.release()
			ev := uint32(syscall.EPOLLIN)
			if write {
				ev = syscall.EPOLLOUT
			}
			f.event(ev) // as the poller would, before the call waits
			f.setDeadline(time.Now().Add(time.Minute), !write, write)
			if err := within(t, result(func() error { return f.wait(write) }), "a wait after an event"); err != nil {
				t.Fatalf("wait after an event: %v, want nil (try again)", err)
			}
			if readyMark(f, write) {
				t.Fatal("the wait left the ready mark set")
			}
			f.setDeadline(time.Now().Add(30*time.Millisecond), !write, write)
			if err := within(t, result(func() error { return f.wait(write) }), "a second wait"); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("second wait: %v, want it to sleep until the deadline", err)
			}
		})
	}
}

// TestFDConnCallClearsMark: a read clears the input mark an earlier event
// left (what it finds covers that event), so that the wait after it
// sleeps; a Control call does not.
func TestFDConnCallClearsMark(t *testing.T) {
	f, peer := fdPair(t, "tcp")
	peer.Write([]byte("x"))
	until(t, "the input event", func() bool { return readyMark(f, false) })
	(*fdRaw)(f).Control(func(uintptr) {})
	if !readyMark(f, false) {
		t.Fatal("Control cleared the ready mark")
	}
	b := make([]byte, 8)
	if n, err := f.Read(b); err != nil || string(b[:n]) != "x" {
		t.Fatalf("Read = %q, %v", b[:n], err)
	}
	if readyMark(f, false) {
		t.Fatalf("the mark is still set after a read: %s", fdState(f))
	}
	f.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	if _, err := f.Read(b); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read with nothing sent: %v, want the deadline", err)
	}
}

// TestFDConnBothWays: a read waiting for input and a write waiting for
// room at the same time are each woken by their own event.
func TestFDConnBothWays(t *testing.T) {
	f, peer := fdPair(t, "unix")
	fillSendBuffer(t, f)
	r := result(func() error { _, err := f.Read(make([]byte, 8)); return err })
	w := result(func() error { _, err := f.Write(make([]byte, 1024)); return err })
	time.Sleep(20 * time.Millisecond) // not a timing assertion: lets both wait
	if _, err := peer.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := within(t, r, "the read"); err != nil {
		t.Fatalf("Read: %v", err)
	}
	go func() { // drain: room for the write
		b := make([]byte, 64<<10)
		for {
			if _, err := peer.Read(b); err != nil {
				return
			}
		}
	}()
	if err := within(t, w, "the write"); err != nil {
		t.Fatalf("Write: %v (%s)", err, fdState(f))
	}
}

// fdParkable returns a detached socket of a Conn whose park, once armed,
// signals woke, and the socket's peer.
func fdParkable(t *testing.T) (*fdConn, *Conn, chan struct{}, net.Conn) {
	c := &Conn{}
	woke := make(chan struct{}, 1)
	c.park.resume = func() { woke <- struct{}{} }
	f, peer := fdPair(t, "tcp")
	f.c = c
	return f, c, woke, peer
}

// TestFDConnEventAfterClose: an event read before Close (handed on after
// it) wakes nothing and marks nothing.
func TestFDConnEventAfterClose(t *testing.T) {
	f, c, woke, _ := fdParkable(t)
	until(t, "the registration's first event", func() bool { return readyMark(f, true) })
	f.mu.Lock()
	f.wready = false
	f.mu.Unlock()
	if err := f.park(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	c.park.resume = func() { woke <- struct{}{} } // Close of an fdConn alone wakes no park
	f.event(syscall.EPOLLIN | syscall.EPOLLOUT)
	select {
	case <-woke:
		t.Fatal("an event after Close woke the park")
	case <-time.After(20 * time.Millisecond):
	}
	if readyMark(f, false) || readyMark(f, true) {
		t.Fatalf("an event after Close left a mark: %s", fdState(f))
	}
}

// TestFDConnNumberReused: a descriptor number freed by Close and taken by
// a new detached socket: the new one waits and wakes as its own, and the
// closed one's registration is gone (the new one's events are not told to
// the old).
func TestFDConnNumberReused(t *testing.T) {
	for range 20 {
		f1, _ := fdPair(t, "tcp")
		n := f1.fd
		f1.Close()
		f2, peer2 := fdPair(t, "tcp")
		if f2.fd != n {
			continue // another test took the number first
		}
		r := result(func() error { _, err := f2.Read(make([]byte, 8)); return err })
		peer2.Write([]byte("x"))
		if err := within(t, r, "a read on the reused number"); err != nil {
			t.Fatalf("Read: %v", err)
		}
		if readyMark(f1, false) {
			t.Fatal("the closed fdConn was told the new one's event")
		}
		return
	}
	t.Skip("the closed descriptor's number was never taken again by the next fdConn")
}

// TestFDParkAfterEvent: input that reached a detached socket after the read
// that drained it, whose event came before the park (so found no one to
// wake), wakes the park as soon as it is armed.
func TestFDParkAfterEvent(t *testing.T) {
	detachAt(t, 0)
	l, cc := listen(t, transports[0], ListenConfig{}, ClientConfig{})
	client, server := pair(t, l, cc)
	woke := tryPark(t, server, true) // detaches
	f, ok := server.NetConn().(*fdConn)
	if !ok {
		t.Fatalf("parked server holds a %T, want an fdConn", server.NetConn())
	}
	for i := range 3 {
		msg := fmt.Sprint("m", i)
		if err := client.WriteMessages([][]byte{[]byte(msg)}); err != nil {
			t.Fatal(err)
		}
		waitWoke(t, woke, "a message")
		if got, err := server.ReadMessage(); err != nil || string(got) != msg {
			t.Fatalf("ReadMessage = %q, %v", got, err)
		}
		if server.fr == nil || server.fr.br.n >= 0 {
			t.Fatal("a short read did not mark the socket drained")
		}
		next := fmt.Sprint("n", i)
		if err := client.WriteMessages([][]byte{[]byte(next)}); err != nil {
			t.Fatal(err)
		}
		until(t, "the event for input that came after the read", func() bool { return readyMark(f, false) })
		server.park.since = time.Now().Add(-time.Second).UnixNano() // a slow sender: Park only looks
		parkWoke := make(chan struct{}, 1)
		if !server.Park(func() { parkWoke <- struct{}{} }) {
			t.Fatal("Park = false: it read the socket instead of trusting the drained read")
		}
		waitWoke(t, parkWoke, "input whose event came before the park")
		if got, err := server.ReadMessage(); err != nil || string(got) != next {
			t.Fatalf("ReadMessage = %q, %v", got, err)
		}
		woke = tryPark(t, server, true)
	}
}

// TestFDParkDeadlineThenInput: a detached park woken by its read deadline
// stays marked parked until the next park or read; input whose event comes
// in between wakes the next park (the event is not spent on the park the
// deadline woke).
func TestFDParkDeadlineThenInput(t *testing.T) {
	detachAt(t, 0)
	l, cc := listen(t, transports[0], ListenConfig{}, ClientConfig{})
	client, server := pair(t, l, cc)
	tryPark(t, server, true) // detaches; nothing comes
	f := server.NetConn().(*fdConn)
	server.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	server.waitInput(-1) // the woken reader's look: nothing yet
	woke := tryPark(t, server, true)
	waitWoke(t, woke, "the read deadline")
	f.mu.Lock()
	parked := f.parked
	f.mu.Unlock()
	if !parked {
		t.Skip("the park's mark was cleared: the race this covers cannot happen")
	}
	server.SetReadDeadline(time.Time{})
	if err := client.WriteMessages([][]byte{[]byte("x")}); err != nil {
		t.Fatal(err)
	}
	until(t, "the input event", func() bool { return readyMark(f, false) })
	woke = tryPark(t, server, true)
	waitWoke(t, woke, "input that came after a deadline woke the park")
	if got, err := server.ReadMessage(); err != nil || string(got) != "x" {
		t.Fatalf("ReadMessage = %q, %v", got, err)
	}
}

// TestFDParkMessageThenEnd: a message and the end of the stream right
// after it (often one event): the read that takes the message leaves the
// end, and the park after it wakes for the end.
func TestFDParkMessageThenEnd(t *testing.T) {
	detachAt(t, 0)
	l, cc := listen(t, transports[0], ListenConfig{}, ClientConfig{})
	for i := range 30 {
		client, server := pair(t, l, cc)
		woke := tryPark(t, server, true) // detaches
		if err := client.WriteMessages([][]byte{[]byte("last")}); err != nil {
			t.Fatal(err)
		}
		client.Close()
		waitWoke(t, woke, "the last message")
		if got, err := server.ReadMessage(); err != nil || string(got) != "last" {
			t.Fatalf("round %d: ReadMessage = %q, %v", i, got, err)
		}
		server.park.since = time.Now().Add(-time.Second).UnixNano() // a slow sender: Park only looks
		parkWoke := make(chan struct{}, 1)
		if server.Park(func() { parkWoke <- struct{}{} }) {
			waitWoke(t, parkWoke, fmt.Sprintf("round %d: the end after the last message (%s)", i, connState(server)))
		}
		if _, err := server.ReadMessage(); err == nil {
			t.Fatalf("round %d: ReadMessage after the peer closed: no error", i)
		}
		server.Close()
	}
}

// TestParkManyDetached is TestParkMany with every park detached, so that
// the fdPoller's edge-triggered events carry every wake-up.
func TestParkManyDetached(t *testing.T) {
	detachAt(t, 0)
	parkMany(t, connState)
}

var _ net.Conn = (*fdConn)(nil)

// TestFDConnEventAtDeadline: an input event that wakes a wait whose
// deadline has passed (its timer firing as the event comes) leaves the
// ready mark: the wait returns the deadline without reading, Park's linger
// then parks, and the park must see the input (found by the interop matrix
// under load: a callee's YIELD never read).
func TestFDConnEventAtDeadline(t *testing.T) {
	f, _, woke, peer := fdParkable(t)
	if _, err := f.acquire(true, false); err != nil {
		t.Fatal(err)
	}
	f.setDeadline(time.Now().Add(time.Minute), true, false)
	w := result(func() error { return f.wait(false) })
	until(t, "the wait", func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.rw != nil })
	f.mu.Lock()
	f.rdl = 1 // passed, the wait not told: as when its timer fires with the event
	f.mu.Unlock()
	if _, err := peer.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := within(t, w, "the woken wait"); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("wait: %v, want the deadline", err)
	}
	f.release()
	if err := f.park(); err != nil {
		t.Fatal(err)
	}
	waitWoke(t, woke, "a park after a wait that ended at its deadline as input came")
}

// TestFDConnStaleMarkParks: a ready mark left by an event for octets a
// read already took does not wake the park (nothing to read).
func TestFDConnStaleMarkParks(t *testing.T) {
	f, _, woke, _ := fdParkable(t)
	f.event(syscall.EPOLLIN) // as the poller would, late
	if err := f.park(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-woke:
		t.Fatal("a stale mark woke the park")
	case <-time.After(20 * time.Millisecond):
	}
}
