package minirouter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// sessionGoroutines counts the goroutines running a session (its reader,
// parked or not).
func sessionGoroutines() int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "minirouter.(*session).") || strings.Contains(g, "minirouter.(*Router).serve") {
			n++
		}
	}
	return n
}

// waitSessionGoroutines waits (polling, at most stepTimeout) until at most
// max goroutines run sessions.
func waitSessionGoroutines(t *testing.T, max int) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for n := sessionGoroutines(); n > max; n = sessionGoroutines() {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines run sessions, want at most %d", n, max)
		}
		time.Sleep(5 * time.Millisecond) // polling for readers to park
	}
}

// TestIdleSessionsHoldNoGoroutine joins sessions over TCP and a Unix
// socket: once idle, none holds a goroutine on Linux (elsewhere each holds
// one fresh, small one); each still routes calls and events afterwards,
// over and over, and Shutdown ends them all with GOODBYE.
func TestIdleSessionsHoldNoGoroutine(t *testing.T) {
	r := newTestRouter(t, Config{})
	addr := serveTCP(t, r)
	ul, err := net.Listen("unix", t.TempDir()+"/r.sock")
	if err != nil {
		t.Fatal(err)
	}
	go serveRaw(r, ul)
	const n = 20
	var clients []*testClient
	for i := range n {
		if i%2 == 0 {
			clients = append(clients, dialSession(t, addr, wamp.MsgPack))
			continue
		}
		rc, err := rawsocket.Dial(context.Background(), "unix", ul.Addr().String(), rawsocket.ClientConfig{Serializer: wamp.JSON})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rc.Close() })
		c := &testClient{t: t, tr: rc}
		c.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
		c.id = expect[*wamp.Welcome](c).Session
		clients = append(clients, c)
	}
	want := 0
	if runtime.GOOS != "linux" {
		want = n
	}
	waitSessionGoroutines(t, want)

	// Every session still works after parking, several times over.
	for round := range 3 {
		for i := 0; i+1 < n; i += 2 {
			rpcWorks(t, clients[i], clients[i+1], wamp.URI(fmt.Sprintf("com.p%d.%d", round, i)))
		}
		sub := clients[round]
		sub.send(&wamp.Subscribe{Request: 2, Options: wamp.Dict{}, Topic: wamp.URI(fmt.Sprint("com.t", round))})
		expect[*wamp.Subscribed](sub)
		pub := clients[n-1-round]
		pub.send(&wamp.Publish{Request: 3, Options: wamp.Dict{}, Topic: wamp.URI(fmt.Sprint("com.t", round)),
			Payload: wamp.Payload{Args: wamp.List{round}}})
		if ev := expect[*wamp.Event](sub); len(ev.Args) != 1 {
			t.Fatalf("EVENT args %v", ev.Args)
		}
		waitSessionGoroutines(t, want)
	}

	// Shutdown reaches parked sessions: each gets GOODBYE and answers it.
	done := make(chan error, 1)
	go func() { done <- r.Shutdown(context.Background()) }()
	for _, c := range clients {
		if g := expect[*wamp.Goodbye](c); g.Reason != wamp.CloseSystemShutdown.URI {
			t.Fatalf("GOODBYE %s", g.Reason)
		}
		c.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut.URI})
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(stepTimeout):
		t.Fatal("Shutdown did not return")
	}
}

// TestParkedSessionEnds checks the other ways a parked session ends: its
// idle timeout, its context, a kill from the meta API's side (Close of the
// router), and the client going away; each is removed from the router.
func TestParkedSessionEnds(t *testing.T) {
	t.Run("idle timeout", func(t *testing.T) {
		r := newTestRouter(t, Config{IdleTimeout: 150 * time.Millisecond})
		c := dialSession(t, serveTCP(t, r), wamp.JSON)
		start := time.Now()
		c.expectEnd()
		if waited := time.Since(start); waited < 100*time.Millisecond {
			t.Fatalf("ended after %v, before the idle timeout", waited)
		}
		waitNoSessions(t, r)
	})
	t.Run("idle timeout renewed by traffic", func(t *testing.T) {
		r := newTestRouter(t, Config{IdleTimeout: 500 * time.Millisecond})
		c := dialSession(t, serveTCP(t, r), wamp.JSON)
		// A message every 100 ms (parked in between) keeps it for 1 s,
		// twice its idle timeout.
		for i := range 10 {
			time.Sleep(100 * time.Millisecond)
			c.send(&wamp.Subscribe{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Topic: "com.t"})
			expect[*wamp.Subscribed](c)
		}
		c.expectEnd()
	})
	t.Run("context", func(t *testing.T) {
		r := newTestRouter(t, Config{})
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		served := make(chan error, 1)
		go func() {
			nc, err := l.Accept()
			if err != nil {
				served <- err
				return
			}
			tr, err := rawsocket.Server(ctx, nc, rawsocket.ServerConfig{})
			if err != nil {
				served <- err
				return
			}
			served <- serveTransport(ctx, r, tr)
		}()
		c := dialSession(t, l.Addr().String(), wamp.JSON)
		waitSessionGoroutines(t, 0)
		cancel()
		select {
		case err := <-served:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("session ended with %v, want context.Canceled", err)
			}
		case <-time.After(stepTimeout):
			t.Fatal("session did not end after its context was cancelled")
		}
		c.expectEnd()
		waitNoSessions(t, r)
	})
	t.Run("client gone", func(t *testing.T) {
		r := newTestRouter(t, Config{})
		c := dialSession(t, serveTCP(t, r), wamp.JSON)
		waitSessionGoroutines(t, 0)
		c.tr.Close()
		waitNoSessions(t, r)
	})
	t.Run("router closed", func(t *testing.T) {
		r := newTestRouter(t, Config{})
		c := dialSession(t, serveTCP(t, r), wamp.JSON)
		waitSessionGoroutines(t, 0)
		r.Close()
		c.expectEnd()
		waitNoSessions(t, r)
	})
}

// waitNoSessions waits (polling, at most stepTimeout) until r has no session.
func waitNoSessions(t *testing.T, r *Router) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for len(r.Sessions()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions left", len(r.Sessions()))
		}
		time.Sleep(5 * time.Millisecond) // polling for the session to be removed
	}
	waitSessionGoroutines(t, 0)
}
