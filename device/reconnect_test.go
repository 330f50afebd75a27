package device

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// reconnectHarness runs a reconnecting Client whose every connection ends
// at a new fake router, handed to the test on routers.
type reconnectHarness struct {
	c       *Client
	routers chan *fakeRouter
	joins   chan wamp.ID
	leaves  chan error
}

// newReconnectHarness starts a reconnecting client with cfg; its first
// connection waits for accept.
func newReconnectHarness(t *testing.T, cfg Reconnect) *reconnectHarness {
	t.Helper()
	return newLoggedHarness(t, cfg, quietLogger())
}

// newLoggedHarness is newReconnectHarness with the client's logger.
func newLoggedHarness(t *testing.T, cfg Reconnect, log Logger) *reconnectHarness {
	t.Helper()
	h := &reconnectHarness{
		routers: make(chan *fakeRouter, 8),
		joins:   make(chan wamp.ID, 8),
		leaves:  make(chan error, 8),
	}
	cfg.Enabled = true
	cfg.Connect = func(ctx context.Context) (wamp.Transport, error) {
		a, b := peer.Pipe(wamp.JSON, 0)
		h.routers <- newFakeRouter(t, b)
		return a, nil
	}
	cfg.OnJoin = func(c *Client) { h.joins <- c.ID() }
	cfg.OnLeave = func(err error) { h.leaves <- err }
	c, err := Dial(context.Background(), "pipe", Config{Reconnect: cfg, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	return h
}

// accept takes the next connection and answers the join as session id.
func (h *reconnectHarness) accept(t *testing.T, id wamp.ID) *fakeRouter {
	t.Helper()
	r := <-h.routers
	expect[*wamp.Hello](r)
	r.send(&wamp.Welcome{Session: id, Details: wamp.Dict{}})
	return r
}

// stop ends the client: with Leave, answering its GOODBYE on r, or with
// Close when r is nil; then it waits for Done.
func (h *reconnectHarness) stop(t *testing.T, r *fakeRouter) {
	t.Helper()
	if r == nil {
		h.c.Close()
	} else {
		errc := make(chan error, 1)
		go func() { errc <- h.c.Leave(context.Background()) }()
		expect[*wamp.Goodbye](r)
		r.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut.URI})
		if err := <-errc; err != nil {
			t.Errorf("Leave = %v", err)
		}
	}
	<-h.c.Done()
	if err := h.c.Err(); !errors.Is(err, ErrSessionClosed) {
		t.Errorf("Err() = %v, want ErrSessionClosed", err)
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

func TestReconnectRejoins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newReconnectHarness(t, Reconnect{})
		ctx := context.Background()
		reg, err := h.c.Register(ctx, "light.set", nopHandler, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.c.Register(ctx, "light.set", nopHandler, nil); !errors.Is(err, wamp.ErrProcedureAlreadyExists) {
			t.Errorf("registering light.set twice: %v", err)
		}
		sub, err := h.c.Subscribe(ctx, "sensor.", func(*Event) {}, &SubscribeOptions{Match: "prefix"})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := h.c.Publish(ctx, "log", wamp.Payload{Args: wamp.List{int64(i)}}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := h.c.Call(ctx, "p", wamp.Payload{}, nil); !errors.Is(err, ErrNotConnected) {
			t.Errorf("offline call: %v", err)
		}
		if err := h.c.Publish(ctx, "log", wamp.Payload{}, &PublishOptions{Acknowledge: true}); !errors.Is(err, ErrNotConnected) {
			t.Errorf("offline acknowledged publish: %v", err)
		}

		for session := wamp.ID(1); session <= 3; session++ {
			r := h.accept(t, session)
			m := expect[*wamp.Register](r)
			if m.Procedure != "light.set" {
				t.Errorf("REGISTER %q", m.Procedure)
			}
			r.send(&wamp.Registered{Request: m.Request, Registration: 10 + session})
			ms := expect[*wamp.Subscribe](r)
			if ms.Topic != "sensor." || ms.Options["match"] != "prefix" {
				t.Errorf("SUBSCRIBE %+v", ms)
			}
			r.send(&wamp.Subscribed{Request: ms.Request, Subscription: 20 + session})
			if session == 1 {
				expectPublishes(t, r, int64(0), int64(1), int64(2))
			} else {
				expectPublishes(t, r, "offline")
			}
			if id := <-h.joins; id != session || h.c.ID() != session {
				t.Fatalf("joined %d, ID() %d, want %d", id, h.c.ID(), session)
			}
			if reg.ID() != 10+session || !reg.Active() || sub.ID() != 20+session || !sub.Active() {
				t.Errorf("handles: registration %d %v, subscription %d %v", reg.ID(), reg.Active(), sub.ID(), sub.Active())
			}
			// Online: publications go straight out.
			if err := h.c.Publish(ctx, "log", wamp.Payload{Args: wamp.List{"online"}}, nil); err != nil {
				t.Fatal(err)
			}
			expectPublishes(t, r, "online")
			// Lose the connection.
			r.conn.Close(nil)
			if err := <-h.leaves; !errors.Is(err, ErrSessionClosed) {
				t.Errorf("OnLeave(%v)", err)
			}
			if h.c.ID() != 0 || reg.Active() {
				t.Errorf("offline: ID() %d, registration active %v", h.c.ID(), reg.Active())
			}
			if err := h.c.Publish(ctx, "log", wamp.Payload{Args: wamp.List{"offline"}}, nil); err != nil {
				t.Fatal(err)
			}
		}
		r := h.accept(t, 4)
		expect[*wamp.Register](r) // left unanswered
		h.stop(t, nil)
		if s := h.c.Stats(); s.Joins != 4 || s.Reconnects != 3 || s.OfflineQueued != 1 {
			t.Errorf("stats = %+v", s)
		}
		if err := h.c.Publish(ctx, "log", wamp.Payload{}, nil); !errors.Is(err, ErrSessionClosed) {
			t.Errorf("publish after Close: %v", err)
		}
	})
}

func TestReconnectOfflineQueueOverflow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newReconnectHarness(t, Reconnect{OfflineQueue: 3})
		for i := range 5 {
			h.c.Publish(context.Background(), "log", wamp.Payload{Args: wamp.List{int64(i)}}, nil)
		}
		if s := h.c.Stats(); s.OfflineQueued != 3 || s.OfflineDropped != 2 {
			t.Errorf("stats = %+v", s)
		}
		r := h.accept(t, 1)
		expectPublishes(t, r, int64(2), int64(3), int64(4))
		<-h.joins
		if s := h.c.Stats(); s.OfflineQueued != 0 {
			t.Errorf("stats after flush = %+v", s)
		}
		h.stop(t, r)
	})
}

func TestReconnectRegisterWhileJoined(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newReconnectHarness(t, Reconnect{})
		r := h.accept(t, 1)
		<-h.joins
		reg, err := h.c.Register(context.Background(), "late", nopHandler, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := expect[*wamp.Register](r)
		// The router refuses at first (say the old session is still registered):
		// the client retries after a backoff.
		r.send(&wamp.ErrorMessage{RequestType: wamp.REGISTER, Request: m.Request, Details: wamp.Dict{}, Error: wamp.ErrProcedureAlreadyExists.URI})
		m = expect[*wamp.Register](r)
		if m.Procedure != "late" {
			t.Errorf("REGISTER %q", m.Procedure)
		}
		r.send(&wamp.Registered{Request: m.Request, Registration: 3})
		synctest.Wait()
		if s := h.c.Stats(); s.ApplyErrors != 1 {
			t.Errorf("stats = %+v", s)
		}
		if reg.ID() != 3 || !reg.Active() {
			t.Errorf("registration %d, active %v", reg.ID(), reg.Active())
		}
		// The registration works.
		r.send(&wamp.Invocation{Request: 1, Registration: 3, Details: wamp.Dict{}})
		expect[*wamp.Yield](r)
		h.stop(t, r)
	})
}

func TestReconnectRefusedRegistrationWarnsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		h := newLoggedHarness(t, Reconnect{}, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
		r := h.accept(t, 1)
		<-h.joins
		if _, err := h.c.Register(context.Background(), "light.set", nopHandler, nil); err != nil {
			t.Fatal(err)
		}
		for range 3 { // another device holds light.set: refused at every retry
			m := expect[*wamp.Register](r)
			r.send(&wamp.ErrorMessage{RequestType: wamp.REGISTER, Request: m.Request, Details: wamp.Dict{}, Error: wamp.ErrProcedureAlreadyExists.URI})
		}
		m := expect[*wamp.Register](r)
		r.send(&wamp.Registered{Request: m.Request, Registration: 3})
		synctest.Wait()
		out := logs.String()
		if n := strings.Count(out, "level=WARN msg=\"device: applying declaration failed"); n != 1 {
			t.Errorf("%d warnings, want 1:\n%s", n, out)
		}
		if n := strings.Count(out, "level=DEBUG msg=\"device: applying declaration failed"); n != 2 {
			t.Errorf("%d debug lines, want 2:\n%s", n, out)
		}
		h.stop(t, r)
	})
}

func TestReconnectCallWaitsForJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newReconnectHarness(t, Reconnect{CallWaitsForJoin: true})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := h.c.Call(ctx, "p", wamp.Payload{}, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v", err)
		}
		res := make(chan error, 1)
		go func() {
			_, err := h.c.Call(context.Background(), "p", wamp.Payload{}, nil)
			res <- err
		}()
		r := h.accept(t, 1)
		c := expect[*wamp.Call](r)
		r.send(&wamp.Result{Request: c.Request, Details: wamp.Dict{}})
		if err := <-res; err != nil {
			t.Error(err)
		}
		h.stop(t, r)
	})
}

func TestReconnectBackoffOnDialErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const fails = 5
		attempts := make(chan time.Time, fails+1)
		n := 0 // only the client's run goroutine calls Connect
		c, err := Dial(context.Background(), "test", Config{
			Logger: quietLogger(),
			Reconnect: Reconnect{
				Enabled:    true,
				MinBackoff: 100 * time.Millisecond,
				MaxBackoff: time.Second,
				Connect: func(ctx context.Context) (wamp.Transport, error) {
					attempts <- time.Now()
					if n++; n > fails {
						<-ctx.Done()
						return nil, ctx.Err()
					}
					return nil, errors.New("connection refused")
				},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		var at []time.Time
		for range fails + 1 {
			at = append(at, <-attempts)
		}
		c.Close()
		<-c.Done()
		for i := 1; i < len(at); i++ {
			ceil := min(time.Second, 100*time.Millisecond<<(i-1))
			if d := at[i].Sub(at[i-1]); d < 0 || d > ceil {
				t.Errorf("wait before attempt %d = %v, want within [0, %v]", i, d, ceil)
			}
		}
		if s := c.Stats(); s.DialErrors != fails {
			t.Errorf("stats = %+v", s)
		}
	})
}

func TestBackoffBounds(t *testing.T) {
	c := &Client{cfg: Config{Reconnect: Reconnect{Enabled: true, MinBackoff: time.Millisecond, MaxBackoff: 50 * time.Millisecond}}}
	for n := range 40 {
		ceil := min(50*time.Millisecond, time.Millisecond<<min(n, 30))
		for range 50 {
			if d := c.backoff(n); d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", n, d, ceil)
			}
		}
	}
}

func TestReconnectConfigErrors(t *testing.T) {
	cfg := Config{Reconnect: Reconnect{Enabled: true}, Logger: quietLogger()}
	if _, err := Dial(context.Background(), "", cfg); !errors.Is(err, ErrUnsupportedScheme) {
		t.Errorf("Dial without URL or Connect: %v", err)
	}
	a, _ := peer.Pipe(wamp.JSON, 0)
	if _, err := NewClient(context.Background(), a, cfg); err == nil {
		t.Error("NewClient with reconnection succeeded")
	}
}

func TestReconnectWithdraw(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newReconnectHarness(t, Reconnect{})
		ctx := context.Background()
		regA, _ := h.c.Register(ctx, "a", nopHandler, nil)
		subT, _ := h.c.Subscribe(ctx, "t", func(*Event) {}, nil)
		h.c.Register(ctx, "b", nopHandler, nil)
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
		go func() { errc <- regA.Unregister(ctx) }()
		if u := expect[*wamp.Unregister](r); u.Registration != 1 {
			t.Errorf("UNREGISTER %+v", u)
		}
		r.send(&wamp.Unregistered{Request: 4})
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		go func() { errc <- subT.Unsubscribe(ctx) }()
		if u := expect[*wamp.Unsubscribe](r); u.Subscription != 50 {
			t.Errorf("UNSUBSCRIBE %+v", u)
		}
		r.send(&wamp.Unsubscribed{Request: 5})
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if err := regA.Unregister(ctx); err != nil {
			t.Errorf("unregistering twice: %v", err)
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
