package rawsocket

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// canPark reports whether this system parks TCP and Unix connections.
func canPark() bool { return runtime.GOOS == "linux" }

// tryPark parks c with a resume that signals woke; it fails the test when
// Park does not report want.
func tryPark(t *testing.T, c *Conn, want bool) <-chan struct{} {
	t.Helper()
	woke := make(chan struct{}, 1)
	if got := c.parkPoll(func() { woke <- struct{}{} }); got != want {
		t.Fatalf("parkPoll = %v, want %v", got, want)
	}
	return woke
}

// waitWoke waits for a resume, failing after 5s.
func waitWoke(t *testing.T, woke <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-woke:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: resume not run within 5s", what)
	}
}

// TestParkWakes covers each way out of a park: input (a message, which
// ReadMessage then returns whole), the read deadline, the peer closing,
// and Close; and the cases that cannot park.
func TestParkWakes(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			l, cc := listen(t, tr, ListenConfig{}, ClientConfig{})
			client, server := pair(t, l, cc)
			if tr.tls || !canPark() {
				tryPark(t, server, false)
				return
			}

			woke := tryPark(t, server, true)
			select {
			case <-woke:
				t.Fatal("resume ran with nothing sent")
			case <-time.After(20 * time.Millisecond):
			}
			if err := client.WriteMessages([][]byte{[]byte("one"), []byte("two")}); err != nil {
				t.Fatal(err)
			}
			waitWoke(t, woke, "a message")
			if got, err := server.ReadMessage(); err != nil || string(got) != "one" {
				t.Fatalf("ReadMessage = %q, %v", got, err)
			}
			// "two" is buffered: nothing to park for.
			tryPark(t, server, false)
			if got, err := server.ReadMessage(); err != nil || string(got) != "two" {
				t.Fatalf("ReadMessage = %q, %v", got, err)
			}

			// The read deadline wakes the park; ReadMessage reports it.
			server.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			woke = tryPark(t, server, true)
			waitWoke(t, woke, "the read deadline")
			if _, err := server.ReadMessage(); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("ReadMessage after the deadline: %v", err)
			}
			// A deadline already past: no park.
			tryPark(t, server, false)
			server.SetReadDeadline(time.Time{})

			// The peer closing wakes it.
			woke = tryPark(t, server, true)
			client.Close()
			waitWoke(t, woke, "the peer closing")
			if _, err := server.ReadMessage(); err == nil {
				t.Fatal("ReadMessage after the peer closed: no error")
			}
		})
	}
}

// TestParkClose checks that closing a parked connection wakes it once, and
// that a closed connection does not park.
func TestParkClose(t *testing.T) {
	if !canPark() {
		t.Skip("parking needs Linux")
	}
	l, cc := listen(t, transports[0], ListenConfig{}, ClientConfig{})
	_, server := pair(t, l, cc)
	var runs atomic.Int32
	woke := make(chan struct{}, 2)
	if !server.parkPoll(func() { runs.Add(1); woke <- struct{}{} }) {
		t.Fatal("parkPoll = false")
	}
	server.Close()
	waitWoke(t, woke, "Close")
	if _, err := server.ReadMessage(); err == nil {
		t.Fatal("ReadMessage after Close: no error")
	}
	server.Close()
	time.Sleep(10 * time.Millisecond)
	if n := runs.Load(); n != 1 {
		t.Fatalf("resume ran %d times, want 1", n)
	}
	tryPark(t, server, false)
}

// TestParkMany parks many connections over and over while messages flow
// and connections close and open (so descriptors are reused while stale
// events may be pending): every message arrives once and in order, every
// park is woken exactly once, and no goroutine waits for an idle
// connection.
func TestParkMany(t *testing.T) { parkMany(t, nil) }

// parkMany is TestParkMany's body (also run with every park detached);
// state, if not nil, describes a stuck connection's socket.
func parkMany(t *testing.T, state func(*Conn) string) {
	if !canPark() {
		t.Skip("parking needs Linux")
	}
	const conns, rounds, msgs = 40, 3, 30
	l, cc := listen(t, transports[0], ListenConfig{}, ClientConfig{})
	for round := range rounds {
		var wg sync.WaitGroup
		errs := make(chan error, conns)
		var parks, wakes atomic.Int64
		var servers []*Conn
		var nexts = make([]*int, conns)
		for i := range conns {
			client, server := pair(t, l, cc)
			servers = append(servers, server)
			wg.Add(1)
			// The reader: parks whenever it has read all there is, and
			// goes on in the goroutine resume starts.
			next := 0
			nexts[i] = &next
			var read func()
			read = func() {
				wakes.Add(1)
				for {
					if !server.waitInput(-1) {
						if parks.Add(1); server.parkPoll(read) {
							return
						}
						parks.Add(-1)
					}
					m, err := server.ReadMessage()
					if err != nil {
						if next != msgs {
							errs <- fmt.Errorf("conn %d: %d messages then %v", i, next, err)
						}
						wg.Done()
						return
					}
					if want := fmt.Sprint(round, ".", i, ".", next); string(m) != want {
						errs <- fmt.Errorf("conn %d: got %q, want %q", i, m, want)
					}
					next++
				}
			}
			wakes.Add(-1) // the first call is not a wake
			go read()
			go func() {
				for k := range msgs {
					if err := client.WriteMessages([][]byte{fmt.Appendf(nil, "%d.%d.%d", round, i, k)}); err != nil {
						errs <- err
						return
					}
					if k%7 == 0 {
						time.Sleep(time.Millisecond)
					}
				}
				client.Close()
			}()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			for i, c := range servers { // the stuck ones' park state
				if *nexts[i] == msgs {
					continue
				}
				c.park.mu.Lock()
				parked := c.park.resume != nil
				c.park.mu.Unlock()
				parker.mu.Lock()
				t.Logf("conn %d: %d messages read, parked %v, registered %v, fd %d, gen %d, in the poller's map %v, buffered %v", i, *nexts[i], parked, c.park.registered, c.park.fd, c.park.gen, parker.conns[c.park.fd] == c, c.fr != nil && c.fr.br.buffered() > 0)
				parker.mu.Unlock()
				if state != nil {
					t.Logf("conn %d: %s", i, state(c))
				}
			}
			t.Fatal("readers not done within 20s (a lost wake-up)")
		}
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if p, w := parks.Load(), wakes.Load(); p != w {
			t.Errorf("round %d: %d parks, %d wakes", round, p, w)
		}
	}
}

// TestParkAfterDrainedRead covers a slow sender's park without a read: the
// read that brought the last message found the socket empty, so Park parks
// at once, and a message that came after that read wakes the park as soon
// as it is armed.
func TestParkAfterDrainedRead(t *testing.T) {
	if !canPark() {
		t.Skip("parking needs Linux")
	}
	l, cc := listen(t, transports[0], ListenConfig{}, ClientConfig{})
	client, server := pair(t, l, cc)
	if err := client.WriteMessages([][]byte{[]byte("one")}); err != nil {
		t.Fatal(err)
	}
	if got, err := server.ReadMessage(); err != nil || string(got) != "one" {
		t.Fatalf("ReadMessage = %q, %v", got, err)
	}
	if server.fr == nil || server.fr.br.n >= 0 {
		t.Fatal("a short read did not mark the socket drained")
	}
	// "two" reaches the socket after the read that drained it.
	if err := client.WriteMessages([][]byte{[]byte("two")}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)                           // not a timing assertion: lets "two" arrive first
	server.park.since = time.Now().Add(-time.Second).UnixNano() // a slow sender: Park only looks
	woke := make(chan struct{}, 1)
	if !server.Park(func() { woke <- struct{}{} }) {
		t.Fatal("Park = false: it read the socket instead of trusting the drained read")
	}
	waitWoke(t, woke, "a message that came before the park was armed")
	if got, err := server.ReadMessage(); err != nil || string(got) != "two" {
		t.Fatalf("ReadMessage = %q, %v", got, err)
	}
}
