package device

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// register registers proc with h through the fake router as registration regID.
func register(t *testing.T, c *Client, r *fakeRouter, proc wamp.URI, h Handler, o *RegisterOptions, regID wamp.ID) *Registration {
	t.Helper()
	ch := make(chan *Registration, 1)
	go func() {
		reg, err := c.Register(context.Background(), proc, h, o)
		if err != nil {
			t.Errorf("register: %v", err)
		}
		ch <- reg
	}()
	m := expect[*wamp.Register](r)
	if m.Procedure != proc {
		t.Errorf("REGISTER procedure = %q", m.Procedure)
	}
	r.send(&wamp.Registered{Request: m.Request, Registration: regID})
	reg := recvWithin(t, ch)
	if reg == nil || reg.ID() != regID || !reg.Active() {
		t.Fatalf("registration = %+v", reg)
	}
	return reg
}

func TestRegisterOptions(t *testing.T) {
	c, r := joined(t, Config{})
	go c.Register(context.Background(), "com.example.", func(context.Context, *Invocation) (wamp.Payload, error) {
		return wamp.Payload{}, nil
	}, &RegisterOptions{Match: "prefix", Invoke: "roundrobin", DiscloseCaller: true})
	m := expect[*wamp.Register](r)
	want := wamp.Dict{"match": "prefix", "invoke": "roundrobin", "disclose_caller": true}
	if !reflect.DeepEqual(m.Options, want) {
		t.Errorf("options = %v, want %v", m.Options, want)
	}
}

func TestRegisterError(t *testing.T) {
	c, r := joined(t, Config{})
	errc := make(chan error, 1)
	go func() {
		_, err := c.Register(context.Background(), "dup", func(context.Context, *Invocation) (wamp.Payload, error) {
			return wamp.Payload{}, nil
		}, nil)
		errc <- err
	}()
	m := expect[*wamp.Register](r)
	r.send(&wamp.ErrorMessage{RequestType: wamp.REGISTER, Request: m.Request, Details: wamp.Dict{}, Error: wamp.ErrProcedureAlreadyExists.URI})
	if err := recvWithin(t, errc); !errors.Is(err, wamp.ErrProcedureAlreadyExists) {
		t.Errorf("err = %v", err)
	}
}

func TestInvocation(t *testing.T) {
	tests := []struct {
		name    string
		handler Handler
		check   func(t *testing.T, m wamp.Message)
	}{
		{"result", func(ctx context.Context, inv *Invocation) (wamp.Payload, error) {
			return wamp.Payload{Args: wamp.List{inv.Args[0].(int64) * 2, string(inv.Procedure)}, Kwargs: wamp.Dict{"caller": uint64(inv.Caller)}}, nil
		}, func(t *testing.T, m wamp.Message) {
			y, ok := m.(*wamp.Yield)
			want := wamp.Payload{Args: wamp.List{int64(42), "com.example.light.set"}, Kwargs: wamp.Dict{"caller": int64(77)}}
			if !ok || !reflect.DeepEqual(y.Payload, want) {
				t.Errorf("got %+v, want YIELD %+v", m, want)
			}
		}},
		{"wamp error", func(ctx context.Context, inv *Invocation) (wamp.Payload, error) {
			return wamp.Payload{}, fmt.Errorf("wrapped: %w", wamp.NewError("com.example.too_hot", "98C"))
		}, func(t *testing.T, m wamp.Message) {
			e, ok := m.(*wamp.ErrorMessage)
			if !ok || e.Error != "com.example.too_hot" || e.RequestType != wamp.INVOCATION || e.Args[0] != "98C" {
				t.Errorf("got %+v, want ERROR com.example.too_hot", m)
			}
		}},
		{"plain error", func(ctx context.Context, inv *Invocation) (wamp.Payload, error) {
			return wamp.Payload{}, errors.New("gpio busy")
		}, func(t *testing.T, m wamp.Message) {
			e, ok := m.(*wamp.ErrorMessage)
			if !ok || e.Error != wamp.ErrRuntimeError.URI || e.Args[0] != "gpio busy" {
				t.Errorf("got %+v, want ERROR runtime_error", m)
			}
		}},
		{"panic", func(ctx context.Context, inv *Invocation) (wamp.Payload, error) {
			panic("oops")
		}, func(t *testing.T, m wamp.Message) {
			e, ok := m.(*wamp.ErrorMessage)
			if !ok || e.Error != wamp.ErrRuntimeError.URI {
				t.Errorf("got %+v, want ERROR runtime_error", m)
			}
		}},
		{"progress not requested", func(ctx context.Context, inv *Invocation) (wamp.Payload, error) {
			return wamp.Payload{}, inv.Progress(ctx, wamp.Payload{})
		}, func(t *testing.T, m wamp.Message) {
			e, ok := m.(*wamp.ErrorMessage)
			if !ok || e.Args[0] != ErrProgressNotRequested.Error() {
				t.Errorf("got %+v, want ERROR with ErrProgressNotRequested", m)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, r := joined(t, Config{})
			register(t, c, r, "com.example.light.set", tt.handler, nil, 5)
			r.send(&wamp.Invocation{Request: 1, Registration: 5, Details: wamp.Dict{"caller": int64(77)},
				Payload: wamp.Payload{Args: wamp.List{int64(21)}}})
			m := r.next()
			tt.check(t, m)
			if got := requestOf(m); got != 1 {
				t.Errorf("answer to request %d, want 1", got)
			}
		})
	}
}

func requestOf(m wamp.Message) wamp.ID {
	switch m := m.(type) {
	case *wamp.Yield:
		return m.Request
	case *wamp.ErrorMessage:
		return m.Request
	}
	return 0
}

func TestInvocationPatternProcedure(t *testing.T) {
	c, r := joined(t, Config{})
	register(t, c, r, "com.example.", func(ctx context.Context, inv *Invocation) (wamp.Payload, error) {
		return wamp.Payload{Args: wamp.List{string(inv.Procedure)}}, nil
	}, &RegisterOptions{Match: "prefix"}, 5)
	r.send(&wamp.Invocation{Request: 3, Registration: 5, Details: wamp.Dict{"procedure": "com.example.x.y"}})
	if y := expect[*wamp.Yield](r); y.Args[0] != "com.example.x.y" {
		t.Errorf("procedure = %v", y.Args[0])
	}
}

func TestInvocationUnknownRegistration(t *testing.T) {
	_, r := joined(t, Config{})
	r.send(&wamp.Invocation{Request: 1, Registration: 99, Details: wamp.Dict{}})
	if e := expect[*wamp.ErrorMessage](r); e.Error != wamp.ErrNoSuchRegistration.URI {
		t.Errorf("ERROR = %+v", e)
	}
}

func TestInvocationProgress(t *testing.T) {
	c, r := joined(t, Config{})
	register(t, c, r, "count", func(ctx context.Context, inv *Invocation) (wamp.Payload, error) {
		for i := range 3 {
			if err := inv.Progress(ctx, wamp.Payload{Args: wamp.List{i}}); err != nil {
				return wamp.Payload{}, err
			}
		}
		return wamp.Payload{Args: wamp.List{"done"}}, nil
	}, nil, 5)
	r.send(&wamp.Invocation{Request: 1, Registration: 5, Details: wamp.Dict{"receive_progress": true}})
	for i := range 3 {
		y := expect[*wamp.Yield](r)
		if y.Options["progress"] != true || y.Args[0] != int64(i) {
			t.Errorf("YIELD %d = %+v", i, y)
		}
	}
	if y := expect[*wamp.Yield](r); y.Options["progress"] == true || y.Args[0] != "done" {
		t.Errorf("final YIELD = %+v", y)
	}
}

func TestInterruptCancelsHandler(t *testing.T) {
	c, r := joined(t, Config{})
	cause := make(chan error, 1)
	register(t, c, r, "slow", func(ctx context.Context, inv *Invocation) (wamp.Payload, error) {
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return wamp.Payload{}, ctx.Err()
	}, nil, 5)
	r.send(&wamp.Invocation{Request: 1, Registration: 5, Details: wamp.Dict{}})
	r.send(&wamp.Interrupt{Request: 1, Options: wamp.Dict{"mode": "kill"}})
	if err := recvWithin(t, cause); !errors.Is(err, errInterrupted) {
		t.Errorf("cause = %v", err)
	}
	if e := expect[*wamp.ErrorMessage](r); e.Error != wamp.ErrCanceled.URI || e.Request != 1 {
		t.Errorf("ERROR = %+v, want canceled for request 1", e)
	}
	// INTERRUPT for an invocation already answered is ignored.
	r.send(&wamp.Interrupt{Request: 1, Options: wamp.Dict{}})
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
}

func TestSessionEndCancelsHandlers(t *testing.T) {
	c, r := joined(t, Config{})
	cause := make(chan error, 1)
	register(t, c, r, "slow", func(ctx context.Context, inv *Invocation) (wamp.Payload, error) {
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return wamp.Payload{}, nil
	}, nil, 5)
	started := make(chan struct{})
	go func() {
		r.send(&wamp.Invocation{Request: 1, Registration: 5, Details: wamp.Dict{}})
		close(started)
	}()
	<-started
	// Make sure the reader has started the handler, then end the session.
	ch := goCall(context.Background(), c, "sync", wamp.Payload{}, nil)
	m := expect[*wamp.Call](r)
	r.send(&wamp.Result{Request: m.Request, Details: wamp.Dict{}})
	recvWithin(t, ch)
	c.Close()
	if err := recvWithin(t, cause); !errors.Is(err, ErrSessionClosed) {
		t.Errorf("cause = %v", err)
	}
}

func TestMaxConcurrentInvocations(t *testing.T) {
	c, r := joined(t, Config{MaxConcurrentInvocations: 2})
	release := make(chan struct{})
	register(t, c, r, "slow", func(ctx context.Context, inv *Invocation) (wamp.Payload, error) {
		<-release
		return wamp.Payload{}, nil
	}, nil, 5)
	for i := 1; i <= 4; i++ {
		r.send(&wamp.Invocation{Request: wamp.ID(i), Registration: 5, Details: wamp.Dict{}})
	}
	for _, want := range []wamp.ID{3, 4} {
		e := expect[*wamp.ErrorMessage](r)
		if e.Error != wamp.ErrUnavailable.URI || e.Request != want {
			t.Errorf("ERROR = %+v, want unavailable for %d", e, want)
		}
	}
	close(release)
	got := map[wamp.ID]bool{}
	for range 2 {
		got[expect[*wamp.Yield](r).Request] = true
	}
	if !got[1] || !got[2] {
		t.Errorf("yields for %v, want 1 and 2", got)
	}
	if s := c.Stats(); s.InvocationsRejected != 2 || s.Invocations != 2 {
		t.Errorf("stats = %+v", s)
	}
}

func TestUnregister(t *testing.T) {
	c, r := joined(t, Config{})
	reg := register(t, c, r, "p", func(context.Context, *Invocation) (wamp.Payload, error) { return wamp.Payload{}, nil }, nil, 5)
	errc := make(chan error, 1)
	go func() { errc <- reg.Unregister(context.Background()) }()
	m := expect[*wamp.Unregister](r)
	if m.Registration != 5 {
		t.Errorf("UNREGISTER = %+v", m)
	}
	r.send(&wamp.Unregistered{Request: m.Request})
	if err := recvWithin(t, errc); err != nil {
		t.Fatal(err)
	}
	if reg.Active() {
		t.Error("still active")
	}
	r.send(&wamp.Invocation{Request: 1, Registration: 5, Details: wamp.Dict{}})
	if e := expect[*wamp.ErrorMessage](r); e.Error != wamp.ErrNoSuchRegistration.URI {
		t.Errorf("ERROR = %+v", e)
	}
	if err := reg.Unregister(context.Background()); err != nil {
		t.Errorf("second Unregister: %v", err)
	}
}

func TestRouterRevokesRegistration(t *testing.T) {
	c, r := joined(t, Config{})
	reg := register(t, c, r, "p", func(context.Context, *Invocation) (wamp.Payload, error) { return wamp.Payload{}, nil }, nil, 5)
	r.send(&wamp.Unregistered{Request: 0, Details: wamp.Dict{"registration": int64(5), "reason": "wamp.close.killed"}})
	r.send(&wamp.Invocation{Request: 1, Registration: 5, Details: wamp.Dict{}})
	if e := expect[*wamp.ErrorMessage](r); e.Error != wamp.ErrNoSuchRegistration.URI {
		t.Errorf("ERROR = %+v", e)
	}
	if reg.Active() {
		t.Error("revoked registration still active")
	}
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
}

func TestRegisterAbandoned(t *testing.T) {
	c, r := joined(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Register(ctx, "p", func(context.Context, *Invocation) (wamp.Payload, error) { return wamp.Payload{}, nil }, nil)
		errc <- err
	}()
	m := expect[*wamp.Register](r)
	cancel()
	if err := recvWithin(t, errc); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// The late REGISTERED is undone.
	r.send(&wamp.Registered{Request: m.Request, Registration: 8})
	if u := expect[*wamp.Unregister](r); u.Registration != 8 {
		t.Errorf("UNREGISTER = %+v", u)
	}
}
