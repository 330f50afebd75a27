// Command edge-agent is the edgewamp device agent. In this first cut it offers
// the debugging subcommands that talk to any WAMP router over RawSocket:
//
//	edge-agent call      [flags] URL PROCEDURE [ARG...]
//	edge-agent publish   [flags] URL TOPIC [ARG...]
//	edge-agent subscribe [flags] URL TOPIC [-n N]
//	edge-agent register  [flags] URL PROCEDURE [-n N]
//
// URL is rs://host:port (RawSocket over TCP), rss://host:port (over TLS) or
// unix:///path, optionally with ?serializer=json|msgpack. Each ARG is read as
// a JSON value (42, true, "text", [1,2], {"a":1}); an ARG that is not valid
// JSON is taken as a string. Results and events are printed as one JSON line
// each. Errors go to standard error and the exit status is non-zero.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: edge-agent COMMAND [flags] URL ...

commands:
  call      URL PROCEDURE [ARG...]   call a procedure, print its result
  publish   URL TOPIC [ARG...]       publish an event (acknowledged)
  subscribe URL TOPIC [-n N]         print events as JSON lines (N of them, 0 = until interrupted)
  register  URL PROCEDURE [-n N]     register a procedure that echoes its arguments

flags (any command): -realm NAME (default realm1), -timeout DURATION (default 10s),
  -serializer json|msgpack (default: the URL's, else msgpack)
URL: rs://host:port, rss://host:port, unix:///path
ARG: a JSON value; anything that is not valid JSON is sent as a string.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one subcommand and returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "edge-agent: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	inv, err := parseInvocation(args[0], args[1:], cmd.positional)
	if err != nil {
		fmt.Fprintf(stderr, "edge-agent %s: %v\n\n%s", args[0], err, usage)
		return 2
	}
	inv.stderr = stderr
	if err := cmd.run(ctx, inv, stdout); err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return 130
		}
		fmt.Fprintf(stderr, "edge-agent %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
