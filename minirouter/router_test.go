package minirouter

import (
	"context"
	"errors"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

func TestShutdownSendsGoodbye(t *testing.T) {
	r, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serveRaw(r, l) }()
	clients := []*testClient{
		joinClient(t, r, allRoles()),
		dialSession(t, l.Addr().String(), wamp.JSON),
		dialSession(t, l.Addr().String(), wamp.MsgPack),
	}
	// Some state to tear down: a subscription and a pending call.
	clients[0].send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "com.p"})
	expect[*wamp.Registered](clients[0])
	clients[1].send(&wamp.Call{Request: 1, Options: wamp.Dict{"timeout": 60000}, Procedure: "com.p"})
	expect[*wamp.Invocation](clients[0])
	clients[2].send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "com.t"})
	expect[*wamp.Subscribed](clients[2])

	shut := make(chan error, 1)
	go func() { shut <- r.Shutdown(context.Background()) }()
	for i, c := range clients {
		m, err := c.recv()
		for err == nil {
			if g, ok := m.(*wamp.Goodbye); ok {
				if g.Reason != wamp.CloseSystemShutdown.URI {
					t.Errorf("client %d: GOODBYE %s", i, g.Reason)
				}
				break
			}
			m, err = c.recv() // e.g. the caller's canceled call
		}
		if err != nil {
			t.Fatalf("client %d: no GOODBYE: %v", i, err)
		}
		c.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut.URI})
		c.expectEnd()
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := <-served; !errors.Is(err, ErrRouterClosed) {
		t.Errorf("Serve = %v", err)
	}
	if st := r.Stats(); st.Sessions != 0 || st.SessionsTotal != 3 {
		t.Errorf("Sessions %d, total %d", st.Sessions, st.SessionsTotal)
	}
	// New sessions are refused.
	if _, err := r.Connect(context.Background()); !errors.Is(err, ErrRouterClosed) {
		t.Errorf("Connect after Shutdown = %v", err)
	}
}

func TestShutdownDeadline(t *testing.T) {
	r := newTestRouter(t, Config{})
	c := joinClient(t, r, allRoles())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- r.Shutdown(ctx) }()
	if g := expect[*wamp.Goodbye](c); g.Reason != wamp.CloseSystemShutdown.URI {
		t.Errorf("GOODBYE %s", g.Reason)
	}
	// The client does not answer: Shutdown closes it at the deadline.
	if err := <-shut; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want DeadlineExceeded", err)
	}
	c.expectEnd()
}

// Sessions still in the HELLO phase are closed by Shutdown.
func TestShutdownBeforeHello(t *testing.T) {
	r := newTestRouter(t, Config{})
	tr, done := pipeClient(t, r, wamp.JSON)
	_ = tr
	// Make sure the connection is tracked before shutting down.
	for {
		r.mu.Lock()
		n := len(r.conns)
		r.mu.Unlock()
		if n == 1 {
			break
		}
		runtime.Gosched()
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := <-done; err == nil {
		t.Error("session ended with nil for a connection closed before HELLO")
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		r, err := New(Config{})
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go serveRaw(r, l)
		callee := dialSession(t, l.Addr().String(), wamp.MsgPack)
		caller := joinClient(t, r, allRoles())
		sub := joinClient(t, r, allRoles())
		callee.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "com.p"})
		expect[*wamp.Registered](callee)
		caller.send(&wamp.Call{Request: 1, Options: wamp.Dict{"timeout": 60000}, Procedure: "com.p"})
		expect[*wamp.Invocation](callee)
		sub.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{"match": "wildcard"}, Topic: "com..t"})
		expect[*wamp.Subscribed](sub)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		r.Shutdown(ctx) // nobody answers GOODBYE: forced close at the deadline
		for _, c := range []*testClient{callee, caller, sub} {
			c.tr.Close()
		}
	}()
	deadline := time.Now().Add(stepTimeout)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after Shutdown:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond) // polling for goroutines to exit
	}
}

func TestCloseIdempotent(t *testing.T) {
	r, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := joinClient(t, r, allRoles())
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.expectEnd()
}
