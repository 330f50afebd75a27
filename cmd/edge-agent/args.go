package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// invocation is one parsed command line: the common flags and the positional words.
type invocation struct {
	url     string
	uri     wamp.URI
	args    wamp.List
	realm   string
	timeout time.Duration
	count   int
	auth    device.Credentials // -authid, -ticket, -secret, -key
	words   []string           // the positional words (of a command without a router)
	stderr  io.Writer          // progress messages ("subscribed to ...")
}

// parseInvocation reads flags wherever they stand among the positional
// arguments (so "subscribe URL TOPIC -n 3" works), stopping at "--".
// minPositional is the number of words before the ARGs (URL and URI).
func parseInvocation(name string, argv []string, minPositional int) (*invocation, error) {
	inv := &invocation{}
	var serializer string
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&inv.realm, "realm", "realm1", "realm to join")
	fs.DurationVar(&inv.timeout, "timeout", 10*time.Second, "time limit for joining and for each request")
	fs.StringVar(&serializer, "serializer", "", "json, msgpack or cbor")
	fs.IntVar(&inv.count, "n", 0, "number of events or calls before exiting (0 = no limit)")
	fs.StringVar(&inv.auth.AuthID, "authid", "", "authid to authenticate as")
	fs.StringVar(&inv.auth.Ticket, "ticket", "", "ticket (ticket authentication)")
	fs.StringVar(&inv.auth.Secret, "secret", "", "secret (WAMP-CRA authentication)")
	fs.StringVar(&inv.auth.CryptosignKeyFile, "key", "", "Ed25519 key file (cryptosign authentication)")

	var words, tail []string
	rest := argv
	for i, w := range argv {
		if w == "--" {
			rest, tail = argv[:i], argv[i+1:]
			break
		}
	}
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return nil, err
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		words = append(words, rest[0])
		rest = rest[1:]
		// Anything that looks like a number (-5, -1.5) is a word, not a flag.
		for len(rest) > 0 && !isFlag(rest[0]) {
			words = append(words, rest[0])
			rest = rest[1:]
		}
	}
	words = append(words, tail...)
	if minPositional == 0 {
		inv.words = words
		return inv, nil // no router: the command reads its words
	}
	if len(words) < minPositional {
		if minPositional == 1 {
			return nil, errors.New("missing URL")
		}
		return nil, errors.New("missing URL or URI")
	}
	if inv.count < 0 {
		return nil, errors.New("-n must not be negative")
	}
	u, err := withSerializer(words[0], serializer)
	if err != nil {
		return nil, err
	}
	inv.url = u
	if minPositional >= 2 {
		inv.uri = wamp.URI(words[1])
		if !wamp.ValidURI(inv.uri, false, false) {
			return nil, fmt.Errorf("invalid URI %q", words[1])
		}
	}
	for _, w := range words[minPositional:] {
		inv.args = append(inv.args, parseArg(w))
	}
	return inv, nil
}

// isFlag reports whether a word is a flag: a dash followed by a letter.
func isFlag(w string) bool {
	return len(w) > 1 && w[0] == '-' && (w[1] == '-' || (w[1] >= 'a' && w[1] <= 'z') || (w[1] >= 'A' && w[1] <= 'Z'))
}

// withSerializer adds ?serializer=NAME to a URL unless NAME is empty.
func withSerializer(raw, serializer string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("invalid router URL %q (want rs://host:port, rss://host:port or unix:///path)", raw)
	}
	if serializer == "" {
		return raw, nil
	}
	if _, err := (wamp.DialOptions{}).SerializerFor(&url.URL{RawQuery: "serializer=" + url.QueryEscape(serializer)}, nil); err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("serializer", serializer)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// parseArg reads a command-line word as a JSON value (wamp.ParseJSON:
// integers stay integers, int64 or uint64; "\u0000" + base64 is binary), or
// as a string when it is not valid JSON.
func parseArg(w string) any {
	v, err := wamp.ParseJSON([]byte(w))
	if err != nil {
		return w
	}
	return v
}
