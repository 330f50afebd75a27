package device

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// fakeRouter is the router end of a wire-script test: the test expects the
// messages the client sends and sends the router's answers.
type fakeRouter struct {
	t    testing.TB
	conn *peer.Conn
	in   chan wamp.Message
}

// scriptTimeout bounds every expectation of a wire-script test.
const scriptTimeout = 5 * time.Second

func newFakeRouter(t testing.TB, tr wamp.Transport) *fakeRouter {
	t.Helper()
	r := &fakeRouter{t: t, conn: peer.New(tr, peer.Config{}), in: make(chan wamp.Message, 1024)}
	go func() {
		defer close(r.in)
		for {
			m, err := r.conn.Recv()
			if err != nil {
				return
			}
			r.in <- m
		}
	}()
	t.Cleanup(func() { r.conn.Close(nil) })
	return r
}

// send sends m to the client.
func (r *fakeRouter) send(m wamp.Message) {
	r.t.Helper()
	if err := r.conn.Send(m); err != nil {
		r.t.Fatalf("router send %v: %v", m.Type(), err)
	}
}

// next returns the next message from the client, failing the test after
// scriptTimeout or when the connection ends.
func (r *fakeRouter) next() wamp.Message {
	r.t.Helper()
	select {
	case m, ok := <-r.in:
		if !ok {
			r.t.Fatalf("router: connection closed while expecting a message")
		}
		return m
	case <-time.After(scriptTimeout):
		r.t.Fatalf("router: no message within %v", scriptTimeout)
	}
	return nil
}

// expectClosed waits for the client to close the connection.
func (r *fakeRouter) expectClosed() {
	r.t.Helper()
	for {
		select {
		case m, ok := <-r.in:
			if !ok {
				return
			}
			r.t.Fatalf("router: got %v, want the connection closed", m.Type())
		case <-time.After(scriptTimeout):
			r.t.Fatalf("router: connection still open after %v", scriptTimeout)
		}
	}
}

// expect returns the next message from the client, which must be a T.
func expect[T wamp.Message](r *fakeRouter) T {
	r.t.Helper()
	m := r.next()
	v, ok := m.(T)
	if !ok {
		var zero T
		r.t.Fatalf("router: got %v %+v, want %T", m.Type(), m, zero)
	}
	return v
}

// quietLogger discards logs.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// dialScript starts NewClient over a pipe and returns the router end before
// the join; the client arrives on the returned channel.
func dialScript(t testing.TB, cfg Config) (*fakeRouter, <-chan joinResult) {
	t.Helper()
	a, b := peer.Pipe(wamp.JSON, 0)
	r := newFakeRouter(t, b)
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	ch := make(chan joinResult, 1)
	go func() {
		c, err := NewClient(context.Background(), a, cfg)
		ch <- joinResult{c, err}
	}()
	return r, ch
}

type joinResult struct {
	c   *Client
	err error
}

// wait returns the join's result.
func wait(t testing.TB, ch <-chan joinResult) (*Client, error) {
	t.Helper()
	select {
	case res := <-ch:
		if res.c != nil {
			t.Cleanup(func() { res.c.Close() })
		}
		return res.c, res.err
	case <-time.After(scriptTimeout):
		t.Fatal("join did not finish")
	}
	return nil, nil
}

// joined returns a client joined to a fake router as session 42.
func joined(t testing.TB, cfg Config) (*Client, *fakeRouter) {
	t.Helper()
	r, ch := dialScript(t, cfg)
	expect[*wamp.Hello](r)
	r.send(&wamp.Welcome{Session: 42, Details: routerDetails})
	c, err := wait(t, ch)
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	return c, r
}

// recvWithin receives from ch or fails the test.
func recvWithin[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(scriptTimeout):
		t.Fatalf("nothing received within %v", scriptTimeout)
	}
	var zero T
	return zero
}

// routerDetails are the WELCOME details of the fake router: a dealer with
// call canceling, and a broker.
var routerDetails = wamp.Dict{"roles": wamp.Dict{
	"dealer": wamp.Dict{"features": wamp.Dict{wamp.FeatureCallCanceling: true}},
	"broker": wamp.Dict{},
}}
