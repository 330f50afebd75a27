package rawsocket

import (
	"net"
	"testing"
	"time"
)

// TestParkedHoldsNoReader checks that a parked connection gives its frame
// reader back and reads on with a fresh one when woken.
func TestParkedHoldsNoReader(t *testing.T) {
	cnc, snc := tcpPair(t)
	client, server := newConn(cnc, nil, 1<<16, 1<<16, 0), newConn(snc, nil, 1<<16, 1<<16, 0)
	woke := make(chan struct{}, 1)
	if !server.Park(func() { woke <- struct{}{} }) {
		t.Fatal("Park returned false on an idle connection")
	}
	if server.fr != nil {
		t.Error("a parked connection still holds its frame reader")
	}
	if err := client.WriteMessages([][]byte{[]byte("hello")}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-woke:
	case <-time.After(10 * time.Second):
		t.Fatal("not woken by input")
	}
	p, err := server.ReadMessage()
	if err != nil || string(p) != "hello" {
		t.Fatalf("ReadMessage after the park = %q, %v; want hello", p, err)
	}
}

// TestSlowSenderParksAtOnce checks that a connection parked for slowPark
// or more (whose next Park then does not wait parkAfter first) still reads
// every message, park after park.
func TestSlowSenderParksAtOnce(t *testing.T) {
	cnc, snc := tcpPair(t)
	client, server := newConn(cnc, nil, 1<<16, 1<<16, 0), newConn(snc, nil, 1<<16, 1<<16, 0)
	for i, msg := range []string{"one", "two"} {
		woke := make(chan struct{}, 1)
		if !server.Park(func() { woke <- struct{}{} }) {
			t.Fatalf("park %d: Park returned false on an idle connection", i)
		}
		time.Sleep(slowPark + 10*time.Millisecond)
		if err := client.WriteMessages([][]byte{[]byte(msg)}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-woke:
		case <-time.After(10 * time.Second):
			t.Fatalf("park %d: not woken by input", i)
		}
		if since := time.Since(time.Unix(0, server.park.since)); since < slowPark {
			t.Errorf("park %d: began %v ago, want at least %v", i, since, slowPark)
		}
		if p, err := server.ReadMessage(); err != nil || string(p) != msg {
			t.Fatalf("park %d: ReadMessage = %q, %v; want %q", i, p, err, msg)
		}
	}
}

// wrapped is a passthrough wrapper, as the listeners' admitted connections
// are.
type wrapped struct{ net.Conn }

func (w wrapped) PassthroughConn() net.Conn { return w.Conn }

// TestPassthroughParks checks that a server connection accepted under a
// passthrough wrapper is read with raw system calls, so that it parks.
func TestPassthroughParks(t *testing.T) {
	_, snc := tcpPair(t)
	c := newConn(passthroughConn(wrapped{snc}), nil, 1<<16, 1<<16, 0)
	if c.raw == nil {
		t.Fatal("no raw connection under a passthrough wrapper: it cannot park")
	}
	if !c.Park(func() {}) {
		t.Error("Park returned false on an idle connection")
	}
	c.Close()
	if c := newConn(passthroughConn(wrappedConn{snc.(*net.TCPConn)}), nil, 1<<16, 1<<16, 0); c.raw != nil {
		t.Error("a wrapper that is not a passthrough one is read with raw system calls")
	}
}
