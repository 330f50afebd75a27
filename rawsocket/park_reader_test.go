package rawsocket

import (
	"math"
	"testing"
	"time"
)

func TestDeadline(t *testing.T) {
	now := time.Now()
	for _, tt := range []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"none", time.Time{}, time.Time{}},
		{"now", now, time.Unix(0, now.UnixNano())},
		{"past", now.Add(-time.Hour), time.Unix(0, now.Add(-time.Hour).UnixNano())},
		{"epoch", time.Unix(0, 0), time.Unix(0, 1)},
		{"far future", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(0, math.MaxInt64)},
		{"far past", time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(0, 1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var d deadline
			d.set(tt.in)
			if got := d.time(); !got.Equal(tt.want) || got.IsZero() != tt.want.IsZero() {
				t.Errorf("set(%v).time() = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

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

// TestSlowSenderParksAtOnce checks that a connection whose park lasted
// slowPark or more is marked a slow sender (its next Park does not wait
// parkAfter first) and still reads every message.
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
		server.park.mu.Lock()
		slow := server.park.slow
		server.park.mu.Unlock()
		if !slow {
			t.Errorf("park %d: not marked slow after a park of %v", i, slowPark)
		}
		if p, err := server.ReadMessage(); err != nil || string(p) != msg {
			t.Fatalf("park %d: ReadMessage = %q, %v; want %q", i, p, err, msg)
		}
	}
}
