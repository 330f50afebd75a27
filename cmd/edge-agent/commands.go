package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/edgewamp/edgewamp/agent"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// command is one subcommand: how many positional words precede its ARGs
// (0: a command that talks to no router reads its words itself), what it
// does, and its help (synopsis after the name, and what it does).
type command struct {
	name       string
	positional int
	run        func(ctx context.Context, inv *invocation, out io.Writer) error
	synopsis   string
	about      string
}

// commands are the subcommands, in the order of the help: a table the
// linker lays out as data, with no code to build it.
var commands = []command{
	{name: "call", positional: 2, run: runCall, synopsis: "[flags] URL PROCEDURE [ARG...]",
		about: "call a procedure, print its result (and progressive results) as JSON lines"},
	{name: "publish", positional: 2, run: runPublish, synopsis: "[flags] URL TOPIC [ARG...]",
		about: "publish an event, acknowledged by the router"},
	{name: "subscribe", positional: 2, run: runSubscribe, synopsis: "[flags] URL TOPIC [TOPIC...]",
		about: "print events as JSON lines, N of them with -n N (0 = until interrupted)"},
	{name: "register", positional: 2, run: runRegister, synopsis: "[flags] URL PROCEDURE" + registerCommand,
		about: "register a procedure, print each call's arguments as a JSON line; the result is\n" +
			"      the arguments (an echo)" + registerCommandAbout},
	{name: "list", positional: 1, run: runList, synopsis: "[flags] URL",
		about: "list the router's procedures and topics (needs the router's meta API)"},
}

// lookup returns the subcommand called name.
func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// errUsage marks a command line that cannot run: exit status 2.
var errUsage = errors.New("usage")

// connect dials the router and joins the realm within the invocation's timeout.
func connect(ctx context.Context, inv *invocation) (*device.Client, error) {
	jctx, cancel := context.WithTimeout(ctx, inv.timeout)
	defer cancel()
	var conf *rawsocket.TLSConfig // a board build has no TLS flags
	if boardBuild == "" {
		var err error
		if conf, err = inv.tls.LoadFor(inv.url); err != nil {
			return nil, fmt.Errorf("TLS: %w", err)
		}
	}
	// The agent's log format, at warn: the CLI's own output is its results.
	log, err := agent.NewLogger(agent.LogConfig{Level: "warn"}, inv.stderr)
	if err != nil {
		return nil, err
	}
	c, err := device.Dial(jctx, inv.url, device.Config{Realm: wamp.URI(inv.realm), Dialers: dialers(), Auth: inv.auth, TLS: conf, Logger: log})
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
	res, err := c.Call(cctx, inv.uri, wamp.Payload{Args: inv.args, Kwargs: inv.kwargs}, &device.CallOptions{
		Progress:   func(p wamp.Payload) { printPayload(out, p) },
		DiscloseMe: inv.discloseMe,
	})
	if errors.Is(err, wamp.ErrNoSuchProcedure) {
		return fmt.Errorf("no procedure %s is registered in realm %s (%w)", inv.uri, inv.realm, err)
	}
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
	return c.Publish(pctx, inv.uri, wamp.Payload{Args: inv.args, Kwargs: inv.kwargs}, &device.PublishOptions{
		Acknowledge: !inv.noAck, IncludeMe: inv.includeMe, DiscloseMe: inv.discloseMe,
	})
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
	var mu sync.Mutex // several subscriptions: their events may come on one dispatcher or more
	for _, topic := range inv.uris {
		_, err = c.Subscribe(sctx, topic, func(ev *device.Event) {
			mu.Lock()
			defer mu.Unlock()
			if inv.count > 0 && seen >= inv.count {
				return
			}
			if boardBuild == "" && inv.verbose { // -v is not in the board builds
				t := topic
				if ev.Topic != "" {
					t = ev.Topic
				}
				io.WriteString(out, string(t)+" ")
			}
			printPayload(out, ev.Payload)
			seen++
			if inv.count > 0 && seen == inv.count {
				close(done)
			}
		}, &device.SubscribeOptions{Match: inv.match})
		if err != nil {
			return fmt.Errorf("subscribe %s: %w", topic, err)
		}
		fmt.Fprintf(inv.stderr, "subscribed to %s\n", topic)
	}
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
	_, err = c.Register(rctx, inv.uri, func(ictx context.Context, in *device.Invocation) (wamp.Payload, error) {
		defer func() { calls <- struct{}{} }()
		printPayload(out, in.Payload)
		if boardBuild != "" || len(inv.command) == 0 {
			return in.Payload, nil
		}
		return runInvocation(ictx, inv, in.Payload)
	}, &device.RegisterOptions{Match: inv.match})
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

// runInvocation runs register's command for one call: the call's
// arguments follow the command's own, one JSON word each (keyword
// arguments as one JSON object last); its standard output, read as an
// ARG, is the result. A command that fails is an error to the caller.
func runInvocation(ctx context.Context, inv *invocation, p wamp.Payload) (wamp.Payload, error) {
	argv := append([]string(nil), inv.command...)
	for _, a := range p.Args {
		b, err := wamp.AppendJSON(nil, a)
		if err != nil {
			return wamp.Payload{}, wamp.NewError(wamp.ErrInvalidArgument.URI, err.Error())
		}
		argv = append(argv, string(b))
	}
	if len(p.Kwargs) > 0 {
		b, err := wamp.AppendJSON(nil, p.Kwargs)
		if err != nil {
			return wamp.Payload{}, wamp.NewError(wamp.ErrInvalidArgument.URI, err.Error())
		}
		argv = append(argv, string(b))
	}
	stdout, err := agent.RunCommand(ctx, argv, inv.timeout)
	if err != nil {
		fmt.Fprintf(inv.stderr, "edge-agent register: %s: %v\n", inv.uri, err)
		return wamp.Payload{}, wamp.NewError(wamp.ErrRuntimeError.URI, err.Error())
	}
	s := strings.TrimRight(string(stdout), "\r\n")
	if s == "" {
		return wamp.Payload{}, nil
	}
	return wamp.Payload{Args: wamp.List{parseArg(s)}}, nil
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
