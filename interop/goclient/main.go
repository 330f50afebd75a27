// Command goclient is the Go peer of the interop tests: it plays one role of the interop scenario
// (see package interop) with edgewamp's device client, with the same command line as the peers in
// interop/peers, so that it can be driven by hand against any router.
//
//	usage: goclient URL REALM SERIALIZER ROLE [N] [-timeout D]
//
// URL is rs://host:port or unix:///path, SERIALIZER json, msgpack or cbor, ROLE callee, caller, subscriber or
// publisher, N defaults to 5. It prints "READY" and then "OK ..." or "FAIL ..."; exit status 0 ok,
// 1 failure, 2 usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/edgewamp/edgewamp/interop"
	"github.com/edgewamp/edgewamp/wamp"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(argv []string) int {
	fs := flag.NewFlagSet("goclient", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 15*time.Second, "bound for the whole run")
	usage := func(msg string) int {
		fmt.Println("FAIL usage:", msg)
		fmt.Println("usage: goclient URL REALM json|msgpack|cbor callee|caller|subscriber|publisher [N] [-timeout D]")
		return 2
	}
	// flags may come after the positional arguments, as for the other peers
	var pos []string
	for len(argv) > 0 {
		if err := fs.Parse(argv); err != nil {
			return usage(err.Error())
		}
		argv = fs.Args()
		if len(argv) > 0 {
			pos = append(pos, argv[0])
			argv = argv[1:]
		}
	}
	if len(pos) < 4 || len(pos) > 5 {
		return usage("wrong number of arguments")
	}
	rawURL, realm, ser, roleName := pos[0], pos[1], pos[2], pos[3]
	if ser != "json" && ser != "msgpack" && ser != "cbor" {
		return usage("serializer must be json, msgpack or cbor")
	}
	role, err := interop.ParseRole(roleName)
	if err != nil {
		return usage(err.Error())
	}
	n := 5
	if len(pos) == 5 {
		if n, err = strconv.Atoi(pos[4]); err != nil || n < 1 {
			return usage("N must be an integer >= 1")
		}
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "rs" && u.Scheme != "unix") {
		return usage("URL must be rs://host:port or unix:///path")
	}
	q := u.Query()
	q.Set("serializer", ser)
	u.RawQuery = q.Encode()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := interop.RunRole(ctx, os.Stdout, u.String(), wamp.URI(realm), role, n); err != nil {
		return 1
	}
	return 0
}
