// Command edge-agent is the edgewamp device agent. Run with a configuration
// file, it publishes sensors and serves actuators over WAMP, reconnecting by
// itself; with -demo it runs a simulated device that needs no hardware:
//
//	edge-agent -config /etc/edge-agent.json [-router URL] [-realm REALM]
//	edge-agent -demo [-router URL] [-realm REALM]
//
// It also offers debugging subcommands that talk to any WAMP router:
//
//	edge-agent call      [flags] URL PROCEDURE [ARG...]
//	edge-agent publish   [flags] URL TOPIC [ARG...]
//	edge-agent subscribe [flags] URL TOPIC [-n N]
//	edge-agent register  [flags] URL PROCEDURE [-n N]
//	edge-agent list      [flags] URL
//	edge-agent keygen    FILE
//
// URL is rs://host:port (RawSocket over TCP), rss://host:port (over TLS),
// unix:///path or serial:///dev/ttyUSB0?baud=115200 (a gateway over a UART),
// optionally with ?serializer=json|msgpack|cbor. Each ARG is read as
// a JSON value (42, true, "text", [1,2], {"a":1}); an ARG that is not valid
// JSON is taken as a string. Results and events are printed as one JSON line
// each. Errors go to standard error and the exit status is non-zero. The
// configuration keys are documented in the README.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/edgewamp/edgewamp/serialtransport"
	"github.com/edgewamp/edgewamp/wamp"
)

// dialers returns the transports edge-agent plugs into the device client
// besides its built-in RawSocket: serial://. WebSocket is left out on
// purpose: it links net/http (about 1.6 MB on arm).
func dialers() map[string]wamp.Dialer {
	return map[string]wamp.Dialer{"serial": serialtransport.DialURL}
}

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

const usage = `usage: edge-agent -config FILE [-router URL] [-realm REALM]
       edge-agent -demo [-router URL] [-realm REALM]
       edge-agent COMMAND [flags] URL ...

agent flags:
  -config FILE   run the agent described by FILE (JSON; keys in the README)
  -demo          run the simulated device (temperature sensor, light) without hardware
  -router URL    router to connect to (overrides the file's "router")
  -realm REALM   realm to join (overrides the file's "realm")
  -check         validate the configuration and exit
  -version       print the version and exit

commands:
  call      URL PROCEDURE [ARG...]   call a procedure, print its result
  publish   URL TOPIC [ARG...]       publish an event (acknowledged)
  subscribe URL TOPIC [-n N]         print events as JSON lines (N of them, 0 = until interrupted)
  register  URL PROCEDURE [-n N]     register a procedure that echoes its arguments
  list      URL                      list the router's procedures and topics (needs the router's meta API)
  keygen    FILE                     write a new Ed25519 key for cryptosign to FILE, print its public key

flags (any command): -realm NAME (default realm1), -timeout DURATION (default 10s),
  -serializer json|msgpack|cbor (default: the URL's, else msgpack),
  -authid ID with -ticket T, -secret S (WAMP-CRA) or -key FILE (cryptosign) to authenticate
URL: rs://host:port, rss://host:port, unix:///path
ARG: a JSON value; anything that is not valid JSON is sent as a string.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the agent or one subcommand and returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if isFlag(args[0]) {
		return runAgent(ctx, args, stdout, stderr)
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
