//go:build linux && !edgewamp_board

package rawsocket

import (
	"fmt"
	"testing"
	"time"
)

// Wake-ups of detached sockets at the moments where one could be lost.

// connState describes a Conn's socket's wait state, if detached.
func connState(c *Conn) string {
	if f, ok := c.NetConn().(*fdConn); ok {
		f.mu.Lock()
		defer f.mu.Unlock()
		return fmt.Sprintf("fd %d: parked %v, polled %v, read waiting %v, write waiting %v, closing %v",
			f.fd, f.parked, f.polled, f.rw != nil, f.ww != nil, f.closing)
	}
	return "not detached"
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
		t.Fatalf("Write: %v", err)
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
// the fdPoller's events carry every wake-up.
func TestParkManyDetached(t *testing.T) {
	detachAt(t, 0)
	parkMany(t, connState)
}
