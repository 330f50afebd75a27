// Command edge-agent is the edgewamp device agent. Run with a configuration
// file, it publishes sensors and serves actuators over WAMP, reconnecting by
// itself; with -demo it runs a simulated device that needs no hardware:
//
//	edge-agent -config /etc/edge-agent.json [-router URL] [-realm REALM]
//	edge-agent -demo [-demo-name NAME] [-router URL] [-realm REALM]
//
// It also offers debugging subcommands that talk to any WAMP router:
//
//	edge-agent call      [flags] URL PROCEDURE [ARG...]
//	edge-agent publish   [flags] URL TOPIC [ARG...]
//	edge-agent subscribe [flags] URL TOPIC [TOPIC...] [-n N]
//	edge-agent register  [flags] URL PROCEDURE [-n N] [-- COMMAND [ARG...]]
//	edge-agent list      [flags] URL
//	edge-agent keygen    FILE
//
// URL is rs://host:port (RawSocket over TCP), rss://host:port (over TLS),
// unix:///path, serial:///dev/ttyUSB0?baud=115200 (a gateway over a UART),
// and in a default build ws:// and wss:// (the board builds, tag
// edgewamp_board, leave WebSocket out), optionally with
// ?serializer=json|msgpack|cbor. Each ARG is read as a JSON value (42, true,
// "text", [1,2], {"a":1}); an ARG that is not valid JSON is taken as a
// string, and - reads standard input. Results and events are printed as
// one JSON line each. Errors go to standard error; the exit status is 0
// ok, 1 a runtime failure, 2 a usage or configuration error. The
// configuration keys are documented in the README.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/edgewamp/edgewamp/agent"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/serialtransport"
	"github.com/edgewamp/edgewamp/wamp"
)

// dialers returns the transports edge-agent plugs into the device client
// besides its built-in RawSocket: serial://, and ws:// and wss:// unless
// built with edgewamp_board (see wsDialers).
func dialers() map[string]wamp.Dialer {
	m := map[string]wamp.Dialer{"serial": serialtransport.DialURL}
	wsDialers(m)
	return m
}

// schemes lists the URL forms this binary accepts, for help texts.
func schemes() string {
	s := "rs://host:port (RawSocket over TCP), rss://host:port (over TLS), unix:///path, " +
		"serial:///dev/ttyUSB0?baud=115200"
	if boardBuild == "" {
		s += ", ws://host:port/path, wss://host:port/path (WebSocket)"
	}
	return s + "; optionally ?serializer=json|msgpack|cbor"
}

// checkURL reports a router URL this binary can never dial (see
// device.CheckURL), saying how to get WebSocket when it is left out.
func checkURL(raw string) error {
	err := device.CheckURL(raw, device.Config{Dialers: dialers()})
	if !errors.Is(err, device.ErrUnsupportedScheme) {
		return err
	}
	scheme, _, _ := strings.Cut(raw, ":")
	if boardBuild != "" && (scheme == "ws" || scheme == "wss") {
		return fmt.Errorf("%s: %s", raw, boardBuild)
	}
	return fmt.Errorf("%s: unsupported scheme %q (want %s)", raw, scheme, schemes())
}

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

// usageHead is the top of the help, before the commands (from the table
// of commands) and usageTail.
const usageHead = `usage: edge-agent -config FILE [-router URL] [-realm REALM]
       edge-agent -demo [-demo-name NAME] [-router URL] [-realm REALM]
       edge-agent COMMAND [flags] URL ...    (edge-agent COMMAND -h: that command's help)

agent flags:
  -config FILE   run the agent described by FILE (JSON; keys in the README)
  -demo          run the simulated device (temperature sensor, light) without hardware
  -demo-name NAME  the demo device's name, put before its URIs (NAME.temperature, NAME.light.set);
                   default "agent", so that it does not clash with sensorbridge -demo's device
  -router URL    router to connect to (overrides the file's "router"; default ` + agent.DefaultRouter + `)
  -realm REALM   realm to join (overrides the file's "realm")
  -check         validate the configuration (and the router URL) and exit
  -version       print the version and exit

commands:
`

// usageTail follows the commands: the flags they share, then the URLs.
const usageTail = `
flags: -realm NAME (default realm1), -timeout DURATION (default 10s), -serializer json|msgpack|cbor,
  -authid ID with -ticket T, -secret S or -key FILE, -n N
URL: `

// helpText returns the top-level help.
func helpText() string {
	var b strings.Builder
	b.WriteString(usageHead)
	for _, c := range commands {
		b.WriteString("  " + commandLine(c))
	}
	b.WriteString(usageTail + schemes() + "\nARG: a JSON value; anything that is not valid JSON is sent as a string")
	if boardBuild == "" {
		b.WriteString("; - reads standard input\nEnvironment: EDGEWAMP_URL (when the first word is not a URL), " +
			"EDGEWAMP_REALM, EDGEWAMP_AUTHID,\n  EDGEWAMP_AUTHROLE, EDGEWAMP_TICKET, EDGEWAMP_SECRET, EDGEWAMP_KEY stand in for the flags")
	}
	b.WriteString(".\nExit status: 0 ok, 1 runtime failure, 2 usage or configuration error.\n")
	return b.String()
}

// commandLine is a command's entry in the help: its synopsis, then what
// it does.
func commandLine(c command) string {
	return c.name + " " + c.synopsis + "\n      " + c.about + "\n"
}

// commandHelp returns the help of one subcommand: synopsis, flags, URLs.
func commandHelp(name string) string {
	c, _ := lookup(name)
	var b strings.Builder
	b.WriteString("usage: edge-agent " + commandLine(c))
	if c.positional > 0 && boardBuild == "" {
		var inv invocation
		var ser string
		fs := commandFlags(name, &inv, &ser)
		b.WriteString("\nflags:\n")
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fmt.Fprintf(&b, "\nURL: %s\n(or EDGEWAMP_URL when the first word is not a URL)\n", schemes())
		if name == "call" || name == "publish" {
			b.WriteString("ARG: a JSON value, else a string; - reads standard input (one JSON value, else text);\n" +
				"  with no ARG and -k, a piped standard input is the one ARG.\n")
		}
	}
	return b.String()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the agent or one subcommand and returns the process exit
// status: 0 ok (also after an interrupt or SIGTERM and a clean leave), 1 a
// runtime failure, 2 a usage or configuration error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		w, code := stdout, 0
		if len(args) == 0 {
			w, code = stderr, 2
		}
		fmt.Fprint(w, helpText())
		return code
	}
	if isFlag(args[0]) {
		return runAgent(ctx, args, stdout, stderr)
	}
	name := args[0]
	cmd, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "edge-agent: unknown command %q (edge-agent -h lists them)\n", name)
		return 2
	}
	inv, err := parseInvocation(name, args[1:], cmd.positional)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, commandHelp(name))
		return 0
	}
	if err != nil {
		if boardBuild != "" && strings.Contains(err.Error(), "flag provided but not defined") {
			err = fmt.Errorf("%w; %s", err, boardBuild)
		}
		fmt.Fprintf(stderr, "edge-agent %s: %v (edge-agent %s -h for help)\n", name, err, name)
		return 2
	}
	inv.stderr = stderr
	if err := cmd.run(ctx, inv, stdout); err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return 0 // interrupted: the session was left politely
		}
		fmt.Fprintf(stderr, "edge-agent %s: %v\n", name, err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}
