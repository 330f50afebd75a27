package device

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// reconnectHarness runs a Reconnector whose every connection ends at a new
// fake router, handed to the test on routers.
type reconnectHarness struct {
	rc      *Reconnector
	routers chan *fakeRouter
	joins   chan *Client
	leaves  chan error
	runErr  chan error
	cancel  context.CancelFunc
}

func newReconnectHarness(t *testing.T, cfg ReconnectConfig) *reconnectHarness {
	t.Helper()
	h := &reconnectHarness{
		routers: make(chan *fakeRouter, 8),
		joins:   make(chan *Client, 8),
		leaves:  make(chan error, 8),
		runErr:  make(chan error, 1),
	}
	cfg.Connect = func(ctx context.Context) (wamp.Transport, error) {
		a, b := peer.Pipe(wamp.JSON, 0)
		h.routers <- newFakeRouter(t, b)
		return a, nil
	}
	cfg.OnJoin = func(c *Client) { h.joins <- c }
	cfg.OnLeave = func(err error) { h.leaves <- err }
	cfg.Client.Logger = quietLogger()
	h.rc = NewReconnector(cfg)
	return h
}

func (h *reconnectHarness) run() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.runErr <- h.rc.Run(ctx) }()
}

// accept takes the next connection and answers the join as session id.
func (h *reconnectHarness) accept(t *testing.T, id wamp.ID) *fakeRouter {
	t.Helper()
	r := <-h.routers
	expect[*wamp.Hello](r)
	r.send(&wamp.Welcome{Session: id, Details: wamp.Dict{}})
	return r
}

// stop cancels Run, answers its GOODBYE on r and waits for Run to return.
func (h *reconnectHarness) stop(t *testing.T, r *fakeRouter) {
	t.Helper()
	h.cancel()
	if r != nil {
		expect[*wamp.Goodbye](r)
		r.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut.URI})
	}
	if err := <-h.runErr; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want Canceled", err)
	}
}

func nopHandler(context.Context, *Invocation) (wamp.Payload, error) { return wamp.Payload{}, nil }

// expectPublishes expects PUBLISHes carrying the given first arguments, in order.
func expectPublishes(t *testing.T, r *fakeRouter, args ...any) {
	t.Helper()
	for _, a := range args {
		if p := expect[*wamp.Publish](r); p.Args[0] != a {
			t.Errorf("PUBLISH %v, want %v", p.Args[0], a)
		}
	}
}

func TestReconnectorRejoins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newReconnectHarness(t, ReconnectConfig{})
		ctx := context.Background()
		if err := h.rc.Register("light.set", nopHandler, nil); err != nil {
			t.Fatal(err)
		}
		if err := h.rc.Register("light.set", nopHandler, nil); err == nil {
			t.Error("declaring light.set twice succeeded")
		}
		if err := h.rc.Subscribe("sensor.", func(*Event) {}, &SubscribeOptions{Match: "prefix"}); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := h.rc.Publish(ctx, "log", wamp.Payload{Args: wamp.List{int64(i)}}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := h.rc.Call(ctx, "p", wamp.Payload{}, nil); !errors.Is(err, ErrNotConnected) {
			t.Errorf("offline call: %v", err)
		}
		if err := h.rc.Publish(ctx, "log", wamp.Payload{}, &PublishOptions{Acknowledge: true}); !errors.Is(err, ErrNotConnected) {
			t.Errorf("offline acknowledged publish: %v", err)
		}
		h.run()

		for session := wamp.ID(1); session <= 3; session++ {
			r := h.accept(t, session)
			reg := expect[*wamp.Register](r)
			if reg.Procedure != "light.set" {
				t.Errorf("REGISTER %q", reg.Procedure)
			}
			r.send(&wamp.Registered{Request: reg.Request, Registration: 10})
			sub := expect[*wamp.Subscribe](r)
			if sub.Topic != "sensor." || sub.Options["match"] != "prefix" {
				t.Errorf("SUBSCRIBE %+v", sub)
			}
			r.send(&wamp.Subscribed{Request: sub.Request, Subscription: 20})
			if session == 1 {
				expectPublishes(t, r, int64(0), int64(1), int64(2))
			} else {
				expectPublishes(t, r, "offline")
			}
			c := <-h.joins
			if c.ID() != session || h.rc.Current() != c {
				t.Fatalf("joined %d, current %v", c.ID(), h.rc.Current())
			}
			// Online: publications go straight out.
			if err := h.rc.Publish(ctx, "log", wamp.Payload{Args: wamp.List{"online"}}, nil); err != nil {
				t.Fatal(err)
			}
			expectPublishes(t, r, "online")
			// Lose the connection.
			r.conn.Close(nil)
			if err := <-h.leaves; !errors.Is(err, ErrSessionClosed) {
				t.Errorf("OnLeave(%v)", err)
			}
			if h.rc.Current() != nil {
				t.Error("Current() != nil while offline")
			}
			if err := h.rc.Publish(ctx, "log", wamp.Payload{Args: wamp.List{"offline"}}, nil); err != nil {
				t.Fatal(err)
			}
		}
		r := h.accept(t, 4)
		expect[*wamp.Register](r) // left unanswered
		h.stop(t, nil)
		if s := h.rc.Stats(); s.Joins != 4 || s.Reconnects != 3 || s.Queued != 1 {
			t.Errorf("stats = %+v", s)
		}
	})
}

func TestReconnectorOfflineQueueOverflow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newReconnectHarness(t, ReconnectConfig{OfflineQueue: 3})
		for i := range 5 {
			h.rc.Publish(context.Background(), "log", wamp.Payload{Args: wamp.List{int64(i)}}, nil)
		}
		if s := h.rc.Stats(); s.Queued != 3 || s.Dropped != 2 {
			t.Errorf("stats = %+v", s)
		}
		h.run()
		r := h.accept(t, 1)
		expectPublishes(t, r, int64(2), int64(3), int64(4))
		<-h.joins
		if s := h.rc.Stats(); s.Queued != 0 {
			t.Errorf("stats after flush = %+v", s)
		}
		h.stop(t, r)
	})
}

func TestReconnectorDeclareWhileJoined(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newReconnectHarness(t, ReconnectConfig{})
		h.run()
		r := h.accept(t, 1)
		<-h.joins
		if err := h.rc.Register("late", nopHandler, nil); err != nil {
			t.Fatal(err)
		}
		reg := expect[*wamp.Register](r)
		// The router refuses at first (say the old session is still registered):
		// the reconnector retries after a backoff.
		r.send(&wamp.ErrorMessage{RequestType: wamp.REGISTER, Request: reg.Request, Details: wamp.Dict{}, Error: wamp.ErrProcedureAlreadyExists.URI})
		reg = expect[*wamp.Register](r)
		if reg.Procedure != "late" {
			t.Errorf("REGISTER %q", reg.Procedure)
		}
		r.send(&wamp.Registered{Request: reg.Request, Registration: 3})
		synctest.Wait()
		if s := h.rc.Stats(); s.ApplyErrors != 1 {
			t.Errorf("stats = %+v", s)
		}
		// The registration works.
		r.send(&wamp.Invocation{Request: 1, Registration: 3, Details: wamp.Dict{}})
		expect[*wamp.Yield](r)
		h.stop(t, r)
	})
}

func TestReconnectorCallWaitsForJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newReconnectHarness(t, ReconnectConfig{CallWaitsForJoin: true})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := h.rc.Call(ctx, "p", wamp.Payload{}, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v", err)
		}
		res := make(chan error, 1)
		go func() {
			_, err := h.rc.Call(context.Background(), "p", wamp.Payload{}, nil)
			res <- err
		}()
		h.run()
		r := h.accept(t, 1)
		c := expect[*wamp.Call](r)
		r.send(&wamp.Result{Request: c.Request, Details: wamp.Dict{}})
		if err := <-res; err != nil {
			t.Error(err)
		}
		h.stop(t, r)
	})
}

func TestReconnectorBackoffOnDialErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const fails = 5
		attempts := make(chan time.Time, fails+1)
		n := 0 // only Run's goroutine calls Connect
		rc := NewReconnector(ReconnectConfig{
			MinBackoff: 100 * time.Millisecond,
			MaxBackoff: time.Second,
			Client:     Config{Logger: quietLogger()},
			Connect: func(ctx context.Context) (wamp.Transport, error) {
				attempts <- time.Now()
				if n++; n > fails {
					<-ctx.Done()
					return nil, ctx.Err()
				}
				return nil, errors.New("connection refused")
			},
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- rc.Run(ctx) }()
		var at []time.Time
		for range fails + 1 {
			at = append(at, <-attempts)
		}
		cancel()
		<-done
		for i := 1; i < len(at); i++ {
			ceil := min(time.Second, 100*time.Millisecond<<(i-1))
			if d := at[i].Sub(at[i-1]); d < 0 || d > ceil {
				t.Errorf("wait before attempt %d = %v, want within [0, %v]", i, d, ceil)
			}
		}
		if s := rc.Stats(); s.DialErrors != fails {
			t.Errorf("stats = %+v", s)
		}
	})
}

func TestBackoffBounds(t *testing.T) {
	r := NewReconnector(ReconnectConfig{MinBackoff: time.Millisecond, MaxBackoff: 50 * time.Millisecond, URL: "rs://x:1"})
	for n := range 40 {
		ceil := min(50*time.Millisecond, time.Millisecond<<min(n, 30))
		for range 50 {
			if d := r.backoff(n); d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", n, d, ceil)
			}
		}
	}
}

func TestReconnectorRunErrors(t *testing.T) {
	if err := NewReconnector(ReconnectConfig{}).Run(context.Background()); err == nil {
		t.Error("Run without URL or Connect succeeded")
	}
}

func TestReconnectorWithdraw(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newReconnectHarness(t, ReconnectConfig{})
		h.rc.Register("a", nopHandler, nil)
		h.rc.Subscribe("t", func(*Event) {}, nil)
		h.rc.Register("b", nopHandler, nil)
		h.run()
		r := h.accept(t, 1)
		for _, want := range []wamp.MessageType{wamp.REGISTER, wamp.SUBSCRIBE, wamp.REGISTER} {
			switch m := r.next().(type) {
			case *wamp.Register:
				r.send(&wamp.Registered{Request: m.Request, Registration: wamp.ID(m.Request)})
			case *wamp.Subscribe:
				r.send(&wamp.Subscribed{Request: m.Request, Subscription: 50})
			default:
				t.Fatalf("got %v, want %v", m.Type(), want)
			}
		}
		<-h.joins
		errc := make(chan error, 1)
		go func() { errc <- h.rc.Unregister(context.Background(), "a") }()
		if u := expect[*wamp.Unregister](r); u.Registration != 1 {
			t.Errorf("UNREGISTER %+v", u)
		}
		r.send(&wamp.Unregistered{Request: 4})
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		go func() { errc <- h.rc.Unsubscribe(context.Background(), "t") }()
		if u := expect[*wamp.Unsubscribe](r); u.Subscription != 50 {
			t.Errorf("UNSUBSCRIBE %+v", u)
		}
		r.send(&wamp.Unsubscribed{Request: 5})
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if err := h.rc.Unregister(context.Background(), "unknown"); err != nil {
			t.Errorf("unknown: %v", err)
		}
		// After a reconnection only "b" is registered again.
		r.conn.Close(nil)
		<-h.leaves
		r = h.accept(t, 2)
		if m := expect[*wamp.Register](r); m.Procedure != "b" {
			t.Errorf("REGISTER %q, want b", m.Procedure)
		} else {
			r.send(&wamp.Registered{Request: m.Request, Registration: 9})
		}
		<-h.joins
		h.stop(t, r)
	})
}
