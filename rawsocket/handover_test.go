package rawsocket

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fallbackGoroutines counts the goroutines waiting in Park's fallback.
func fallbackGoroutines() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "rawsocket.(*Conn).resumeOnInput(")
}

// echoParked serves c, echoing each message and parking whenever it is
// idle; done is closed when c ends.
func echoParked(c *Conn, done chan<- struct{}) {
	var serve func()
	serve = func() {
		for {
			if c.Park(serve) {
				return
			}
			m, err := c.ReadMessage()
			if err != nil {
				close(done)
				return
			}
			if err := c.WriteMessages([][]byte{m}); err != nil {
				close(done)
				return
			}
		}
	}
	serve()
}

// TestParkHandsOver covers Park on each transport: input in time keeps the
// reader, and an idle connection is handed over and served again when
// input comes (over TLS only where the poller runs: elsewhere TLS never
// parks).
func TestParkHandsOver(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			l, cc := listen(t, tr, ListenConfig{}, ClientConfig{})
			client, server := pair(t, l, cc)
			defer client.Close()
			client.WriteMessages([][]byte{[]byte("ready")})
			if server.Park(func() { t.Error("resume run for input already there") }) {
				t.Fatal("Park = true with input there")
			}
			if m, err := server.ReadMessage(); err != nil || string(m) != "ready" {
				t.Fatalf("ReadMessage = %q, %v", m, err)
			}
			woke := make(chan struct{}, 1)
			want := !tr.tls || canPark()
			if got := server.Park(func() { woke <- struct{}{} }); got != want {
				t.Fatalf("Park on an idle connection = %v, want %v", got, want)
			}
			if !want {
				return
			}
			client.WriteMessages([][]byte{[]byte("later")})
			waitWoke(t, woke, "input")
			if m, err := server.ReadMessage(); err != nil || string(m) != "later" {
				t.Fatalf("ReadMessage after the hand-over = %q, %v", m, err)
			}
		})
	}
}

// TestParkFallback checks Park where a connection cannot be parked in the
// poller (as on systems other than Linux): an idle connection hands over
// to one fresh goroutine (no more, and no churn while idle), and is served
// again afterwards.
func TestParkFallback(t *testing.T) {
	l, cc := listen(t, transports[0], ListenConfig{}, ClientConfig{})
	const n = 6
	var clients []*Conn
	var dones []chan struct{}
	for range n {
		client, server := pair(t, l, cc)
		server.park.noPoll = true
		done := make(chan struct{})
		go echoParked(server, done)
		clients, dones = append(clients, client), append(dones, done)
	}
	waitFallback := func() {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for fallbackGoroutines() != n {
			if time.Now().After(deadline) {
				t.Fatalf("%d goroutines wait in the fallback, want %d", fallbackGoroutines(), n)
			}
			time.Sleep(5 * time.Millisecond) // polling for the hand-over
		}
	}
	waitFallback()
	for round := range 2 {
		for i, c := range clients {
			want := fmt.Sprint(round, ".", i)
			c.WriteMessages([][]byte{[]byte(want)})
			if m, err := c.ReadMessage(); err != nil || string(m) != want {
				t.Fatalf("echo = %q, %v; want %q", m, err, want)
			}
		}
		waitFallback()
		time.Sleep(50 * time.Millisecond) // idle: no new goroutines
		waitFallback()
	}
	for i, c := range clients {
		c.Close()
		<-dones[i]
	}
}
