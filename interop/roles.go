// Package interop holds edgewamp's interoperability tests and the Go side of them: [RunRole] plays one
// role of the interop scenario with the device client, exactly as the independent peers in peers/
// (AutobahnPython, AutobahnJS, Autobahn|C++) do, so that every implementation can face every other one.
//
// The scenario, shared by all peers:
//   - callee: registers com.example.add2(a, b) -> a + b and answers N calls;
//   - caller: calls com.example.add2(i+2, 3) for i = 0..N-1 and checks each result is i+5;
//   - subscriber: subscribes com.example.topic and expects N events in order, args [i], kwargs {seq: i};
//   - publisher: publishes those N events, each acknowledged.
//
// Every peer prints "READY" once registered or subscribed (callee, subscriber) or joined (caller,
// publisher), and ends with one line "OK ..." or "FAIL ...".
//
// The test itself (interop_test.go) needs the peers installed by scripts/install-peers.sh.
package interop

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// Procedure and Topic are the URIs of the interop scenario.
const (
	Procedure wamp.URI = "com.example.add2"
	Topic     wamp.URI = "com.example.topic"
)

// yieldGrace is how long a callee lingers after its last call before leaving.
const yieldGrace = 100 * time.Millisecond

// Role is one side of the interop scenario.
type Role string

// The roles of the interop scenario.
const (
	Callee     Role = "callee"
	Caller     Role = "caller"
	Subscriber Role = "subscriber"
	Publisher  Role = "publisher"
)

// Roles lists every role, servers (callee, subscriber) first.
var Roles = []Role{Callee, Caller, Subscriber, Publisher}

// ParseRole returns the Role named s.
func ParseRole(s string) (Role, error) {
	for _, r := range append(Roles, AdvancedRoles...) {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("interop: unknown role %q", s)
}

// RunRole joins realm at url with the device client and plays role for n calls or events, writing the
// "READY" line and then one "OK ..." or "FAIL ..." line to w. It returns nil when the role succeeded and
// the failure otherwise; it ends when ctx does (a callee or subscriber waits for its n calls or events
// until then). url is a device URL such as "rs://127.0.0.1:8080?serializer=json",
// "unix:///run/r.sock?serializer=msgpack" or "ws://127.0.0.1:8080/ws?serializer=msgpack" (WebSocket,
// through wstransport.DialURL). RunRole is safe for concurrent use; w must accept concurrent
// writes only if it is shared with someone else.
func RunRole(ctx context.Context, w io.Writer, url string, realm wamp.URI, role Role, n int) (err error) {
	defer func() {
		if err != nil {
			fmt.Fprintln(w, "FAIL", err)
		}
	}()
	if n < 1 {
		return fmt.Errorf("interop: n must be >= 1, got %d", n)
	}
	c, err := device.Dial(ctx, url, device.Config{Realm: realm, Dialers: map[string]wamp.Dialer{"ws": wstransport.DialURL, "wss": wstransport.DialURL}})
	if err != nil {
		return fmt.Errorf("interop: %w", err)
	}
	defer func() {
		_ = c.Leave(context.WithoutCancel(ctx))
		_ = c.Close()
	}()

	var ok string
	switch role {
	case Callee:
		ok, err = runCallee(ctx, w, c, n)
	case Caller:
		ok, err = runCaller(ctx, w, c, n)
	case Subscriber:
		ok, err = runSubscriber(ctx, w, c, n)
	case Publisher:
		ok, err = runPublisher(ctx, w, c, n)
	default:
		var known bool
		if ok, known, err = runAdvanced(ctx, w, c, role, n); !known {
			err = fmt.Errorf("interop: unknown role %q", role)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "OK", ok)
	return nil
}

// waitDone waits for done, for the session to end or for ctx, whichever comes first.
func waitDone(ctx context.Context, c *device.Client, done <-chan struct{}, what string) error {
	select {
	case <-done:
		return nil
	case <-c.Done():
		return fmt.Errorf("interop: session ended while waiting for %s: %w", what, c.Err())
	case <-ctx.Done():
		return fmt.Errorf("interop: waiting for %s: %w", what, context.Cause(ctx))
	}
}

func runCallee(ctx context.Context, w io.Writer, c *device.Client, n int) (string, error) {
	var (
		mu    sync.Mutex // protects calls and bad
		calls int
		bad   error
	)
	done := make(chan struct{})
	h := func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
		a, aok := asInt(inv.Args, 0)
		b, bok := asInt(inv.Args, 1)
		mu.Lock()
		defer mu.Unlock()
		calls++
		if !aok || !bok || len(inv.Args) != 2 {
			if bad == nil {
				bad = fmt.Errorf("interop: call #%d has args %v, want two integers", calls, inv.Args)
			}
			return wamp.Payload{}, &wamp.Error{URI: wamp.ErrInvalidArgument.URI}
		}
		if calls == n {
			close(done)
		}
		return wamp.Payload{Args: wamp.List{a + b}}, nil
	}
	if _, err := c.Register(ctx, Procedure, h, nil); err != nil {
		return "", fmt.Errorf("interop: register %s: %w", Procedure, err)
	}
	fmt.Fprintln(w, "READY")
	if err := waitDone(ctx, c, done, fmt.Sprintf("%d calls", n)); err != nil {
		return "", err
	}
	// done closes inside the last handler, before the client has queued its YIELD, and
	// device.Client.Leave does not wait for running handlers: a GOODBYE sent now could overtake the
	// YIELD and the router would cancel the call ("callee left"). Give the YIELD a moment, as the
	// other peers do.
	select {
	case <-time.After(yieldGrace):
	case <-ctx.Done():
	}
	mu.Lock()
	defer mu.Unlock()
	if bad != nil {
		return "", bad
	}
	return fmt.Sprintf("answered %d calls", n), nil
}

func runCaller(ctx context.Context, w io.Writer, c *device.Client, n int) (string, error) {
	fmt.Fprintln(w, "READY")
	for i := range n {
		res, err := c.Call(ctx, Procedure, wamp.Payload{Args: wamp.List{i + 2, 3}}, nil)
		if err != nil {
			return "", fmt.Errorf("interop: call #%d: %w", i, err)
		}
		got, ok := asInt(res.Args, 0)
		if !ok || len(res.Args) != 1 || got != int64(i+5) {
			return "", fmt.Errorf("interop: add2(%d, 3) returned %v, want [%d]", i+2, res.Args, i+5)
		}
	}
	return fmt.Sprintf("%d calls", n), nil
}

func runSubscriber(ctx context.Context, w io.Writer, c *device.Client, n int) (string, error) {
	var (
		mu  sync.Mutex // protects got and bad
		got int
		bad error
	)
	done := make(chan struct{})
	h := func(ev *device.Event) {
		mu.Lock()
		defer mu.Unlock()
		if got >= n || bad != nil {
			return
		}
		a, aok := asInt(ev.Args, 0)
		seq, sok := ev.Kwargs["seq"]
		s, sok2 := asInt(wamp.List{seq}, 0)
		if !aok || !sok || !sok2 || len(ev.Args) != 1 || len(ev.Kwargs) != 1 || a != int64(got) || s != int64(got) {
			bad = fmt.Errorf("interop: event #%d has args=%v kwargs=%v, want [%d] {seq: %d}", got, ev.Args, ev.Kwargs, got, got)
			close(done)
			return
		}
		got++
		if got == n {
			close(done)
		}
	}
	if _, err := c.Subscribe(ctx, Topic, h, nil); err != nil {
		return "", fmt.Errorf("interop: subscribe %s: %w", Topic, err)
	}
	fmt.Fprintln(w, "READY")
	if err := waitDone(ctx, c, done, fmt.Sprintf("%d events", n)); err != nil {
		return "", err
	}
	mu.Lock()
	defer mu.Unlock()
	if bad != nil {
		return "", bad
	}
	return fmt.Sprintf("received %d events", n), nil
}

func runPublisher(ctx context.Context, w io.Writer, c *device.Client, n int) (string, error) {
	fmt.Fprintln(w, "READY")
	for i := range n {
		p := wamp.Payload{Args: wamp.List{i}, Kwargs: wamp.Dict{"seq": i}}
		if err := c.Publish(ctx, Topic, p, &device.PublishOptions{Acknowledge: true}); err != nil {
			return "", fmt.Errorf("interop: publish #%d: %w", i, err)
		}
	}
	return fmt.Sprintf("published %d", n), nil
}

// asInt returns l[i] as an int64 when it is an integer of any Go type a decoder may produce (JSON
// numbers may come as float64 with no fraction).
func asInt(l wamp.List, i int) (int64, bool) {
	if i >= len(l) {
		return 0, false
	}
	switch v := l[i].(type) {
	case int:
		return int64(v), true
	case int8:
		return int64(v), true
	case int16:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case uint:
		return int64(v), true
	case uint8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint64:
		if v > 1<<63-1 {
			return 0, false
		}
		return int64(v), true
	case float64:
		if v != float64(int64(v)) {
			return 0, false
		}
		return int64(v), true
	case float32:
		if v != float32(int64(v)) {
			return 0, false
		}
		return int64(v), true
	}
	return 0, false
}
