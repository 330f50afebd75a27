package interop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// Roles of the advanced-profile cells (advanced_test.go), which the independent peers play where they
// implement the feature:
//   - stream-callee: registers com.example.add2, whose input a caller streams (progressive call
//     invocations), and answers [sum of the chunks' first arguments, number of chunks];
//   - stream-caller: one call of com.example.add2 whose input is N chunks [i], i = 0..N-1, expecting
//     [N(N-1)/2, N];
//   - revoked-callee, revoked-subscriber: register com.example.add2 (or subscribe com.example.topic) and
//     com.example.add2.alive; the test takes the first away (wamp.registration.remove_callee,
//     wamp.subscription.remove_subscriber) and then calls .alive, which ends the role: OK when the
//     session survived and (for a peer that announced the revocation features) was told.
const (
	StreamCallee      Role = "stream-callee"
	StreamCaller      Role = "stream-caller"
	RevokedCallee     Role = "revoked-callee"
	RevokedSubscriber Role = "revoked-subscriber"
)

// AdvancedRoles lists the roles of the advanced-profile cells.
var AdvancedRoles = []Role{StreamCallee, StreamCaller, RevokedCallee, RevokedSubscriber}

// Alive is the procedure that ends a revoked-callee or revoked-subscriber role.
const Alive = Procedure + ".alive"

// runAdvanced plays one of AdvancedRoles; known is false for another role.
func runAdvanced(ctx context.Context, w io.Writer, c *device.Client, role Role, n int) (res string, known bool, err error) {
	switch role {
	case StreamCallee:
		res, err = runStreamCallee(ctx, w, c)
	case StreamCaller:
		res, err = runStreamCaller(ctx, w, c, n)
	case RevokedCallee, RevokedSubscriber:
		res, err = runRevoked(ctx, w, c, role)
	default:
		return "", false, nil
	}
	return res, true, err
}

func runStreamCallee(ctx context.Context, w io.Writer, c *device.Client) (string, error) {
	done := make(chan string, 1)
	h := func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		var sum, chunks int64
		for p := inv.Payload; ; {
			chunks++
			v, _ := asInt(p.Args, 0)
			sum += v
			var err error
			if p, err = inv.Recv(ctx); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return wamp.Payload{}, err
			}
		}
		done <- fmt.Sprintf("took a call streamed in %d chunks", chunks)
		return wamp.Payload{Args: wamp.List{sum, chunks}}, nil
	}
	if _, err := c.Register(ctx, Procedure, h, nil); err != nil {
		return "", fmt.Errorf("interop: register %s: %w", Procedure, err)
	}
	fmt.Fprintln(w, "READY")
	select {
	case res := <-done:
		time.Sleep(yieldGrace) // see runCallee
		return res, nil
	case <-ctx.Done():
		return "", fmt.Errorf("interop: no streamed call: %w", context.Cause(ctx))
	}
}

func runStreamCaller(ctx context.Context, w io.Writer, c *device.Client, n int) (string, error) {
	fmt.Fprintln(w, "READY")
	cs, err := c.CallStream(ctx, Procedure, nil)
	if err != nil {
		return "", fmt.Errorf("interop: %w", err)
	}
	for i := range n - 1 {
		if err := cs.Send(ctx, wamp.Payload{Args: wamp.List{i}}); err != nil {
			return "", fmt.Errorf("interop: chunk %d: %w", i, err)
		}
	}
	if err := cs.CloseSend(ctx, wamp.Payload{Args: wamp.List{n - 1}}); err != nil {
		return "", fmt.Errorf("interop: last chunk: %w", err)
	}
	res, err := cs.Result(ctx)
	if err != nil {
		return "", fmt.Errorf("interop: streamed call: %w", err)
	}
	sum, ok1 := asInt(res.Args, 0)
	chunks, ok2 := asInt(res.Args, 1)
	if !ok1 || !ok2 || sum != int64(n*(n-1)/2) || chunks != int64(n) {
		return "", fmt.Errorf("interop: streamed call returned %v, want [%d %d]", res.Args, n*(n-1)/2, n)
	}
	return fmt.Sprintf("streamed %d chunks in one call", n), nil
}

func runRevoked(ctx context.Context, w io.Writer, c *device.Client, role Role) (string, error) {
	var (
		mu  sync.Mutex // protects bad
		bad error
	)
	fail := func(what string) {
		mu.Lock()
		bad = errors.New("interop: " + what)
		mu.Unlock()
	}
	var active func() bool
	if role == RevokedCallee {
		reg, err := c.Register(ctx, Procedure, func(context.Context, *device.Invocation) (wamp.Payload, error) {
			fail("the revoked procedure was called")
			return wamp.Payload{}, nil
		}, nil)
		if err != nil {
			return "", fmt.Errorf("interop: register %s: %w", Procedure, err)
		}
		active = reg.Active
	} else {
		sub, err := c.Subscribe(ctx, Topic, func(*device.Event) { fail("an event of the revoked subscription arrived") }, nil)
		if err != nil {
			return "", fmt.Errorf("interop: subscribe %s: %w", Topic, err)
		}
		active = sub.Active
	}
	alive := make(chan bool, 1)
	if _, err := c.Register(ctx, Alive, func(context.Context, *device.Invocation) (wamp.Payload, error) {
		alive <- !active()
		return wamp.Payload{Args: wamp.List{"alive"}}, nil
	}, nil); err != nil {
		return "", fmt.Errorf("interop: register %s: %w", Alive, err)
	}
	fmt.Fprintln(w, "READY")
	select {
	case told := <-alive:
		time.Sleep(yieldGrace)
		mu.Lock()
		defer mu.Unlock()
		if bad != nil {
			return "", bad
		}
		if !told {
			return "", errors.New("interop: alive, but not told of the revocation")
		}
		return "alive after the revocation; told", nil
	case <-ctx.Done():
		return "", fmt.Errorf("interop: %s not called: %w", Alive, context.Cause(ctx))
	}
}
