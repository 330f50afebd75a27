package device

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

func TestLeave(t *testing.T) {
	c, r := joined(t, Config{})
	errc := make(chan error, 1)
	go func() { errc <- c.Leave(context.Background()) }()
	if g := expect[*wamp.Goodbye](r); g.Reason != wamp.CloseNormal.URI {
		t.Errorf("GOODBYE reason = %q", g.Reason)
	}
	r.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut.URI})
	if err := recvWithin(t, errc); err != nil {
		t.Fatal(err)
	}
	recvWithin(t, c.Done())
	r.expectClosed()
	if !errors.Is(c.Err(), ErrSessionClosed) {
		t.Errorf("Err = %v", c.Err())
	}
	if err := c.Leave(context.Background()); err != nil {
		t.Errorf("second Leave: %v", err)
	}
}

func TestLeaveTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, r := joined(t, Config{})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		errc := make(chan error, 1)
		go func() { errc <- c.Leave(ctx) }()
		expect[*wamp.Goodbye](r) // and no answer
		if err := <-errc; !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v", err)
		}
		<-c.Done()
	})
}

func TestRouterGoodbye(t *testing.T) {
	c, r := joined(t, Config{})
	ch := goCall(context.Background(), c, "p", wamp.Payload{}, nil)
	expect[*wamp.Call](r)
	r.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseSystemShutdown.URI})
	if g := expect[*wamp.Goodbye](r); g.Reason != wamp.CloseGoodbyeAndOut.URI {
		t.Errorf("GOODBYE reason = %q", g.Reason)
	}
	recvWithin(t, c.Done())
	if !errors.Is(c.Err(), wamp.CloseSystemShutdown) || !errors.Is(c.Err(), ErrSessionClosed) {
		t.Errorf("Err = %v", c.Err())
	}
	if res := recvWithin(t, ch); !errors.Is(res.err, wamp.CloseSystemShutdown) {
		t.Errorf("pending call: %v", res.err)
	}
}

func TestRouterAbort(t *testing.T) {
	c, r := joined(t, Config{})
	r.send(&wamp.Abort{Details: wamp.Dict{}, Reason: wamp.CloseKilled.URI})
	recvWithin(t, c.Done())
	if !errors.Is(c.Err(), wamp.CloseKilled) {
		t.Errorf("Err = %v", c.Err())
	}
}

func TestProtocolViolation(t *testing.T) {
	tests := []struct {
		name string
		m    wamp.Message
	}{
		{"hello", &wamp.Hello{Realm: "x", Details: wamp.Dict{}}},
		{"welcome", &wamp.Welcome{Session: 3, Details: wamp.Dict{}}},
		{"challenge", &wamp.Challenge{AuthMethod: "ticket", Extra: wamp.Dict{}}},
		{"call", &wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "p"}},
		{"yield", &wamp.Yield{Request: 1, Options: wamp.Dict{}}},
		{"error for event", &wamp.ErrorMessage{RequestType: wamp.EVENT, Request: 1, Details: wamp.Dict{}, Error: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, r := joined(t, Config{})
			ch := goCall(context.Background(), c, "p", wamp.Payload{}, nil)
			expect[*wamp.Call](r)
			r.send(tt.m)
			if a := expect[*wamp.Abort](r); a.Reason != wamp.ErrProtocolViolation.URI {
				t.Errorf("ABORT reason = %q", a.Reason)
			}
			recvWithin(t, c.Done())
			if !errors.Is(c.Err(), wamp.ErrProtocolViolation) {
				t.Errorf("Err = %v", c.Err())
			}
			if res := recvWithin(t, ch); !errors.Is(res.err, ErrSessionClosed) {
				t.Errorf("pending call: %v", res.err)
			}
		})
	}
}

func TestUndecodableMessage(t *testing.T) {
	c, r := joined(t, Config{})
	if err := r.conn.SendEncoded([]byte(`[999, "nonsense"`)); err != nil {
		t.Fatal(err)
	}
	if a := expect[*wamp.Abort](r); a.Reason != wamp.ErrProtocolViolation.URI {
		t.Errorf("ABORT reason = %q", a.Reason)
	}
	recvWithin(t, c.Done())
}

func TestCloseIdempotent(t *testing.T) {
	c, r := joined(t, Config{})
	for range 3 {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	recvWithin(t, c.Done())
	r.expectClosed()
	if !errors.Is(c.Err(), ErrSessionClosed) {
		t.Errorf("Err = %v", c.Err())
	}
}

// A whole session's life inside a synctest bubble: the bubble only ends when
// every goroutine the client started (reader, writer, dispatcher, handlers)
// has exited, so a leak fails the test.
func TestSessionLeavesNoGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, r := joined(t, Config{})
		handlerDone := make(chan struct{})
		go func() {
			if _, err := c.Register(context.Background(), "p", func(ctx context.Context, inv *Invocation) (wamp.Payload, error) {
				<-ctx.Done() // stays until the session ends
				close(handlerDone)
				return wamp.Payload{}, nil
			}, nil); err != nil {
				t.Error(err)
			}
		}()
		reg := expect[*wamp.Register](r)
		r.send(&wamp.Registered{Request: reg.Request, Registration: 1})
		go c.Subscribe(context.Background(), "t", func(*Event) {}, nil)
		sub := expect[*wamp.Subscribe](r)
		r.send(&wamp.Subscribed{Request: sub.Request, Subscription: 2})
		synctest.Wait()
		r.send(&wamp.Invocation{Request: 1, Registration: 1, Details: wamp.Dict{}})
		r.send(&wamp.Event{Subscription: 2, Publication: 1, Details: wamp.Dict{}})
		ch := goCall(context.Background(), c, "x", wamp.Payload{}, nil)
		expect[*wamp.Call](r)
		synctest.Wait()
		errc := make(chan error, 1)
		go func() { errc <- c.Leave(context.Background()) }()
		expect[*wamp.Goodbye](r)
		r.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut.URI})
		if err := <-errc; err != nil {
			t.Error(err)
		}
		<-handlerDone
		if res := <-ch; !errors.Is(res.err, ErrSessionClosed) {
			t.Errorf("pending call: %v", res.err)
		}
		r.conn.Close(nil)
	})
}

// TestLeaveWaitsForRunningHandler: a handler still running when Leave is
// called gets its YIELD out before GOODBYE, so its caller is answered.
func TestLeaveWaitsForRunningHandler(t *testing.T) {
	c, r := joined(t, Config{})
	release := make(chan struct{})
	regc := make(chan error, 1)
	go func() {
		_, err := c.Register(context.Background(), "slow", func(context.Context, *Invocation) (wamp.Payload, error) {
			<-release
			return wamp.Payload{Args: wamp.List{"done"}}, nil
		}, nil)
		regc <- err
	}()
	reg := expect[*wamp.Register](r)
	r.send(&wamp.Registered{Request: reg.Request, Registration: 7})
	if err := recvWithin(t, regc); err != nil {
		t.Fatal(err)
	}
	r.send(&wamp.Invocation{Request: 1, Registration: 7, Details: wamp.Dict{}})
	// Wait until the handler runs, then leave while it is still running.
	for {
		s := c.cur.Load()
		s.mu.Lock()
		n := s.running
		s.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	errc := make(chan error, 1)
	go func() { errc <- c.Leave(context.Background()) }()
	time.Sleep(20 * time.Millisecond) // Leave must be waiting now, not sending GOODBYE
	close(release)
	if y := expect[*wamp.Yield](r); y.Request != 1 || len(y.Args) != 1 || y.Args[0] != "done" {
		t.Fatalf("YIELD = %+v", y)
	}
	expect[*wamp.Goodbye](r)
	r.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut.URI})
	if err := recvWithin(t, errc); err != nil {
		t.Fatal(err)
	}
}

// TestLeaveHandlerWaitBounded: a handler that never ends does not hold
// Leave past its context.
func TestLeaveHandlerWaitBounded(t *testing.T) {
	c, r := joined(t, Config{})
	block := make(chan struct{})
	defer close(block)
	regc := make(chan error, 1)
	go func() {
		_, err := c.Register(context.Background(), "stuck", func(context.Context, *Invocation) (wamp.Payload, error) {
			<-block
			return wamp.Payload{}, nil
		}, nil)
		regc <- err
	}()
	reg := expect[*wamp.Register](r)
	r.send(&wamp.Registered{Request: reg.Request, Registration: 8})
	if err := recvWithin(t, regc); err != nil {
		t.Fatal(err)
	}
	r.send(&wamp.Invocation{Request: 1, Registration: 8, Details: wamp.Dict{}})
	for {
		s := c.cur.Load()
		s.mu.Lock()
		n := s.running
		s.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Leave(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Leave = %v, want a deadline error", err)
	}
	recvWithin(t, c.Done())
}

// TestLeaveGrace: with no deadline of its own, Leave waits LeaveGrace for
// a stuck handler and then says GOODBYE anyway.
func TestLeaveGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, r := joined(t, Config{})
		go c.Register(context.Background(), "stuck", func(ctx context.Context, _ *Invocation) (wamp.Payload, error) {
			<-ctx.Done()
			return wamp.Payload{}, nil
		}, nil)
		reg := expect[*wamp.Register](r)
		r.send(&wamp.Registered{Request: reg.Request, Registration: 9})
		synctest.Wait()
		r.send(&wamp.Invocation{Request: 1, Registration: 9, Details: wamp.Dict{}})
		synctest.Wait()
		start := time.Now()
		errc := make(chan error, 1)
		go func() { errc <- c.Leave(context.Background()) }()
		expect[*wamp.Goodbye](r)
		if waited := time.Since(start); waited != LeaveGrace {
			t.Errorf("GOODBYE after %v, want %v", waited, LeaveGrace)
		}
		r.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut.URI})
		if err := <-errc; err != nil {
			t.Error(err)
		}
		r.conn.Close(nil)
	})
}
