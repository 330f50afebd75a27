//go:build !edgewamp_notls

package rawsocket

import (
	"errors"
	"os"
	"testing"
	"time"
)

// TestParkTLS checks that a server connection over TLS parks (Park, whose
// linger reads through crypto/tls) and wakes for a message, the read
// deadline and Close, and that it does not park while a message is held,
// in crypto/tls or in the frame reader.
func TestParkTLS(t *testing.T) {
	if !canPark() {
		t.Skip("parking needs Linux")
	}
	tr := transports[1]
	if !tr.tls {
		t.Fatal("transports[1] is not the TLS one")
	}
	l, cc := listen(t, tr, ListenConfig{}, ClientConfig{})
	client, server := pair(t, l, cc)
	woke := make(chan struct{}, 1)
	resume := func() { woke <- struct{}{} }
	notWoken := func(what string) {
		t.Helper()
		select {
		case <-woke:
			t.Fatalf("resume ran %s", what)
		case <-time.After(120 * time.Millisecond): // longer than slowPark: the next park only looks
		}
	}

	if !server.Park(resume) {
		t.Fatal("Park with nothing sent did not park")
	}
	notWoken("with nothing sent")
	if err := client.WriteMessages([][]byte{[]byte("one"), []byte("two")}); err != nil {
		t.Fatal(err)
	}
	waitWoke(t, woke, "a message")
	if got, err := server.ReadMessage(); err != nil || string(got) != "one" {
		t.Fatalf("ReadMessage = %q, %v", got, err)
	}
	if server.Park(resume) {
		t.Fatal("Park parked with a second message sent")
	}
	if got, err := server.ReadMessage(); err != nil || string(got) != "two" {
		t.Fatalf("ReadMessage = %q, %v", got, err)
	}

	// A slow sender's park (the last one lasted over slowPark) only looks,
	// and wakes as well.
	if !server.Park(resume) {
		t.Fatal("Park of a slow sender did not park")
	}
	notWoken("with nothing sent, again")
	if err := client.WriteMessages([][]byte{[]byte("three")}); err != nil {
		t.Fatal(err)
	}
	waitWoke(t, woke, "a message to a slow sender")
	if got, err := server.ReadMessage(); err != nil || string(got) != "three" {
		t.Fatalf("ReadMessage = %q, %v", got, err)
	}

	// Close wakes the park.
	if !server.Park(resume) {
		t.Fatal("Park before Close did not park")
	}
	server.Close()
	waitWoke(t, woke, "Close")
	if _, err := server.ReadMessage(); err == nil {
		t.Fatal("ReadMessage after Close: no error")
	}

	// The read deadline wakes the park; ReadMessage reports it.
	client2, server2 := pair(t, l, cc)
	_ = client2
	server2.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if !server2.Park(resume) {
		t.Fatal("Park before the read deadline did not park")
	}
	waitWoke(t, woke, "the read deadline")
	if _, err := server2.ReadMessage(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("ReadMessage after the deadline: %v", err)
	}
}
