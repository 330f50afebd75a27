package main

import (
	"context"
	"fmt"
	"io"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// command is one subcommand: how many positional words precede its ARGs
// (0: a command that talks to no router reads its words itself), and what
// it does.
type command struct {
	positional int
	run        func(ctx context.Context, inv *invocation, out io.Writer) error
}

var commands = map[string]command{
	"call":      {positional: 2, run: runCall},
	"publish":   {positional: 2, run: runPublish},
	"subscribe": {positional: 2, run: runSubscribe},
	"register":  {positional: 2, run: runRegister},
	"list":      {positional: 1, run: runList},
}

// connect dials the router and joins the realm within the invocation's timeout.
func connect(ctx context.Context, inv *invocation) (*device.Client, error) {
	jctx, cancel := context.WithTimeout(ctx, inv.timeout)
	defer cancel()
	c, err := device.Dial(jctx, inv.url, device.Config{Realm: wamp.URI(inv.realm), Dialers: dialers(), Auth: inv.auth})
	if err != nil {
		return nil, fmt.Errorf("join %s on %s: %w", inv.realm, inv.url, err)
	}
	return c, nil
}

// leave ends the session politely, within a short bound.
func leave(c *device.Client, inv *invocation) {
	ctx, cancel := context.WithTimeout(context.Background(), inv.timeout)
	defer cancel()
	_ = c.Leave(ctx)
}

func runCall(ctx context.Context, inv *invocation, out io.Writer) error {
	c, err := connect(ctx, inv)
	if err != nil {
		return err
	}
	defer leave(c, inv)
	cctx, cancel := context.WithTimeout(ctx, inv.timeout)
	defer cancel()
	res, err := c.Call(cctx, inv.uri, wamp.Payload{Args: inv.args}, &device.CallOptions{
		Progress: func(p wamp.Payload) { printPayload(out, p) },
	})
	if err != nil {
		return err
	}
	printPayload(out, res)
	return nil
}

func runPublish(ctx context.Context, inv *invocation, out io.Writer) error {
	c, err := connect(ctx, inv)
	if err != nil {
		return err
	}
	defer leave(c, inv)
	pctx, cancel := context.WithTimeout(ctx, inv.timeout)
	defer cancel()
	return c.Publish(pctx, inv.uri, wamp.Payload{Args: inv.args}, &device.PublishOptions{Acknowledge: true})
}

func runSubscribe(ctx context.Context, inv *invocation, out io.Writer) error {
	c, err := connect(ctx, inv)
	if err != nil {
		return err
	}
	defer leave(c, inv)
	done := make(chan struct{})
	seen := 0
	sctx, cancel := context.WithTimeout(ctx, inv.timeout)
	defer cancel()
	// Events reach the handler one at a time, in order, on the client's dispatcher.
	_, err = c.Subscribe(sctx, inv.uri, func(ev *device.Event) {
		if inv.count > 0 && seen >= inv.count {
			return
		}
		printPayload(out, ev.Payload)
		seen++
		if inv.count > 0 && seen == inv.count {
			close(done)
		}
	}, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(inv.stderr, "subscribed to %s\n", inv.uri)
	return waitDone(ctx, c, done)
}

func runRegister(ctx context.Context, inv *invocation, out io.Writer) error {
	c, err := connect(ctx, inv)
	if err != nil {
		return err
	}
	defer leave(c, inv)
	done := make(chan struct{})
	calls := make(chan struct{}, 1)
	rctx, cancel := context.WithTimeout(ctx, inv.timeout)
	defer cancel()
	_, err = c.Register(rctx, inv.uri, func(_ context.Context, in *device.Invocation) (wamp.Payload, error) {
		calls <- struct{}{}
		return in.Payload, nil
	}, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(inv.stderr, "registered %s\n", inv.uri)
	go func() {
		for n := 1; ; n++ {
			select {
			case <-calls:
			case <-c.Done():
				return
			}
			if inv.count > 0 && n == inv.count {
				close(done)
				return
			}
		}
	}()
	return waitDone(ctx, c, done)
}

// waitDone blocks until done closes, the session ends, or ctx is cancelled.
func waitDone(ctx context.Context, c *device.Client, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	case <-c.Done():
		return fmt.Errorf("session ended: %w", c.Err())
	case <-ctx.Done():
		return ctx.Err()
	}
}

// printPayload writes a payload as one JSON line: the arguments list, or an
// object {"args": [...], "kwargs": {...}} when keyword arguments are present.
// The JSON is what a JSON peer receives (wamp.AppendJSON): keys sorted, a
// float with a fraction or an exponent (22.0), binary values as "\u0000" +
// base64. A payload JSON cannot carry (NaN, say) prints as a quoted Go string.
func printPayload(out io.Writer, p wamp.Payload) {
	var v any = p.Args // nil prints as []
	if len(p.Kwargs) > 0 {
		v = wamp.Dict{"args": p.Args, "kwargs": p.Kwargs}
	}
	b, err := wamp.AppendJSON(nil, v)
	if err != nil {
		fmt.Fprintf(out, "%q\n", fmt.Sprint(v))
		return
	}
	out.Write(append(b, '\n'))
}
