//go:build linux && !edgewamp_board

package rawsocket

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// TestReattachBusy: an accepted socket (outside Go's poller) whose lingers
// input ends reattachAfter times in a row goes back into Go's poller,
// keeps its deadlines and its messages across the move, and is detached
// again by the sweep once parked; no descriptor is left behind.
func TestReattachBusy(t *testing.T) {
	detachAt(t, 30*time.Millisecond)
	before := openFDs(t)
	l, cc := listen(t, transports[0], ListenConfig{}, ClientConfig{})
	client, server := pair(t, l, cc)
	if _, ok := server.NetConn().(*fdConn); !ok {
		t.Fatalf("accepted connection is a %T, want an fdConn", server.NetConn())
	}
	readDL := time.Now().Add(time.Hour)
	server.SetReadDeadline(readDL)
	msg := []byte("call")
	for i := 0; i <= reattachAfter; i++ {
		if err := client.WriteMessages([][]byte{msg}); err != nil {
			t.Fatal(err)
		}
		if !server.linger(5 * time.Second) {
			t.Fatalf("linger %d: no input", i)
		}
		if got, err := server.ReadMessage(); err != nil || string(got) != "call" {
			t.Fatalf("ReadMessage %d = %q, %v", i, got, err)
		}
	}
	if _, ok := server.NetConn().(*net.TCPConn); !ok {
		t.Fatalf("after %d busy lingers the connection holds a %T, want a *net.TCPConn", reattachAfter+1, server.NetConn())
	}
	if got, want := server.RemoteAddr(), client.NetConn().LocalAddr().String(); got != want {
		t.Fatalf("RemoteAddr %q once reattached, want %q", got, want)
	}

	// The read deadline set before the move still holds; a nearer one
	// set after it ends a read.
	if got := deadlineTime(server.rdl); !got.Equal(readDL) {
		t.Fatalf("read deadline %v, want %v", got, readDL)
	}
	server.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := server.ReadMessage(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("ReadMessage past the deadline: %v", err)
	}
	server.SetReadDeadline(time.Time{})
	back := readMessages(client, 1)
	if err := server.WriteMessages([][]byte{[]byte("result")}); err != nil {
		t.Fatal(err)
	}
	expectMessages(t, back, [][]byte{[]byte("result")})

	// Parked, the sweep detaches it again, and it wakes on input.
	sweptWakes(t, client, server, tryPark(t, server, true))
	client.Close()
	server.Close()
	l.Close()
	settleFDs(t, before)
}

// TestLingerNotBusy: a detached socket whose lingers end without input (a
// device between readings) stays outside Go's poller.
func TestLingerNotBusy(t *testing.T) {
	l, cc := listen(t, transports[0], ListenConfig{}, ClientConfig{})
	client, server := pair(t, l, cc)
	for i := 0; i <= 2*reattachAfter; i++ {
		if server.linger(time.Millisecond) {
			t.Fatal("linger: input, none sent")
		}
		if err := client.WriteMessages([][]byte{[]byte("reading")}); err != nil {
			t.Fatal(err)
		}
		if got, err := server.ReadMessage(); err != nil || string(got) != "reading" {
			t.Fatalf("ReadMessage = %q, %v", got, err)
		}
	}
	if _, ok := server.NetConn().(*fdConn); !ok {
		t.Fatalf("an idle-between-messages connection holds a %T, want its fdConn", server.NetConn())
	}
}

// sweptWakes waits (up to 5s) for the sweep to detach server, parked with
// woke, then checks that a message from client wakes and reaches it.
func sweptWakes(t *testing.T, client, server *Conn, woke <-chan struct{}) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		server.dmu.Lock()
		_, ok := server.nc.(*fdConn)
		server.dmu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the parked connection is not detached after 5s")
		}
	}
	if err := client.WriteMessages([][]byte{[]byte("after")}); err != nil {
		t.Fatal(err)
	}
	waitWoke(t, woke, "a message to the swept connection")
	if got, err := server.ReadMessage(); err != nil || string(got) != "after" {
		t.Fatalf("ReadMessage = %q, %v", got, err)
	}
}
