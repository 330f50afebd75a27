package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/edgewamp/edgewamp/agent"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// invocation is one parsed command line: the common flags and the positional words.
type invocation struct {
	url        string
	uri        wamp.URI   // the first URI
	uris       []wamp.URI // every URI (subscribe takes several topics)
	args       wamp.List
	kwargs     wamp.Dict
	realm      string
	timeout    time.Duration
	count      int
	auth       device.Credentials // -authid, -authrole, -ticket, -secret, -key
	tls        agent.TLSFiles     // -ca-file, -cert, -cert-key, -server-name
	match      wamp.MatchPolicy   // -match (subscribe, register)
	noAck      bool               // -acknowledge=false (publish)
	includeMe  bool               // -include-me (publish)
	discloseMe bool               // -disclose-me (call, publish)
	verbose    bool               // -v: subscribe prints the topic with each event
	command    []string           // register PROC -- COMMAND ARGS...
	words      []string           // the positional words (of a command without a router)
	stderr     io.Writer          // progress messages ("subscribed to ...")
}

// stdin is where an ARG "-" (and a piped payload) is read from; tests swap it.
var stdin io.Reader = os.Stdin

// stdinPiped reports whether standard input is a pipe or a file rather
// than a terminal (or /dev/null): then call and publish without ARGs read
// their payload from it; tests swap it.
var stdinPiped = func() bool {
	fi, err := os.Stdin.Stat()
	return err == nil && (fi.Mode()&os.ModeNamedPipe != 0 || fi.Mode().IsRegular())
}

// env names the environment variables that stand in for flags, so that
// secrets stay off the command line (and out of ps).
var env = []struct{ name, flag string }{
	{"EDGEWAMP_REALM", "realm"},
	{"EDGEWAMP_AUTHID", "authid"},
	{"EDGEWAMP_AUTHROLE", "authrole"},
	{"EDGEWAMP_TICKET", "ticket"},
	{"EDGEWAMP_SECRET", "secret"},
	{"EDGEWAMP_KEY", "key"},
}

// durationFlag is -timeout: a positive Go duration, with an error that
// names the unit a bare number lacks.
type durationFlag time.Duration

func (f *durationFlag) String() string { return time.Duration(*f).String() }

func (f *durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if _, nerr := strconv.ParseFloat(s, 64); err != nil && nerr == nil {
		return errors.New(strconv.Quote(s) + " needs a unit: " + s + "s, " + s + "ms or " + s + "m")
	}
	if err != nil || d <= 0 {
		return errors.New(strconv.Quote(s) + ": want a positive duration such as 10s, 500ms or 1m")
	}
	*f = durationFlag(d)
	return nil
}

// kwFlag is -k KEY=VALUE, repeatable: one keyword argument, VALUE read as an ARG.
type kwFlag struct{ d *wamp.Dict }

func (f kwFlag) String() string { return "" }

func (f kwFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q: want KEY=VALUE", s)
	}
	if *f.d == nil {
		*f.d = wamp.Dict{}
	}
	(*f.d)[k] = parseArg(v)
	return nil
}

// matchFlag is -match exact|prefix|wildcard.
type matchFlag struct{ m *wamp.MatchPolicy }

func (f matchFlag) String() string { return "" }

func (f matchFlag) Set(s string) error {
	switch s {
	case "exact":
		*f.m = ""
	case "prefix", "wildcard":
		*f.m = wamp.MatchPolicy(s)
	default:
		return fmt.Errorf("%q: want exact, prefix or wildcard", s)
	}
	return nil
}

// commandFlags declares the flags every router command takes.
func commandFlags(name string, inv *invocation, serializer *string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&inv.realm, "realm", "realm1", "realm to join (env EDGEWAMP_REALM)")
	inv.timeout = 10 * time.Second
	fs.Var((*durationFlag)(&inv.timeout), "timeout", "time limit for joining and for each request, with a unit (10s, 500ms)")
	fs.StringVar(serializer, "serializer", "", "json, msgpack or cbor (default: the URL's, else the transport's)")
	fs.StringVar(&inv.auth.AuthID, "authid", "", "authid to authenticate as (env EDGEWAMP_AUTHID)")
	fs.StringVar(&inv.auth.AuthRole, "authrole", "", "authrole to ask for (env EDGEWAMP_AUTHROLE)")
	fs.StringVar(&inv.auth.Ticket, "ticket", "", "ticket authentication (env EDGEWAMP_TICKET)")
	fs.StringVar(&inv.auth.Secret, "secret", "", "WAMP-CRA secret (env EDGEWAMP_SECRET)")
	fs.StringVar(&inv.auth.CryptosignKeyFile, "key", "", "Ed25519 key FILE, cryptosign authentication (env EDGEWAMP_KEY)")
	fs.IntVar(&inv.count, "n", 0, "subscribe, register: exit after N events or calls (0 = until interrupted)")
	if boardBuild == "" {
		extraFlags(fs, name, inv)
	}
	return fs
}

// extraFlags declares the flags a board build leaves out (boardBuild):
// TLS files, options, keyword arguments, -v, and the environment.
func extraFlags(fs *flag.FlagSet, name string, inv *invocation) {
	fs.StringVar(&inv.tls.CAFile, "ca-file", "", "PEM FILE of the CA that signed the router's certificate (rss://, wss://)")
	fs.StringVar(&inv.tls.Cert, "cert", "", "PEM FILE of a client certificate (with -cert-key)")
	fs.StringVar(&inv.tls.Key, "cert-key", "", "PEM FILE of the client certificate's key")
	fs.StringVar(&inv.tls.ServerName, "server-name", "", "name to verify in the router's certificate instead of the URL's host")
	fs.BoolVar(&inv.auth.TLS, "tls-auth", false, "authenticate with the client certificate (-cert; the router's \"tls\" method)")
	switch name {
	case "call", "publish":
		fs.Var(kwFlag{&inv.kwargs}, "k", "keyword argument KEY=VALUE (repeatable; VALUE as an ARG)")
		fs.BoolVar(&inv.discloseMe, "disclose-me", false, "ask the router to disclose this session to the callee or subscribers")
	}
	switch name {
	case "subscribe", "register":
		fs.Var(matchFlag{&inv.match}, "match", "exact, prefix or wildcard (default exact)")
	}
	switch name {
	case "publish":
		fs.BoolFunc("acknowledge", "wait for the router's acknowledgement (default true; -acknowledge=false)", func(s string) error {
			v, err := strconv.ParseBool(s)
			inv.noAck = !v
			return err
		})
		fs.BoolVar(&inv.includeMe, "include-me", false, "deliver the event to this session's own subscriptions too")
		fs.BoolFunc("exclude-me", "the default: not to this session (-exclude-me=false is -include-me)", func(s string) error {
			v, err := strconv.ParseBool(s)
			inv.includeMe = !v
			return err
		})
	case "subscribe":
		fs.BoolVar(&inv.verbose, "v", false, "print each event's topic before it")
	}
	for _, e := range env {
		if v := os.Getenv(e.name); v != "" {
			_ = fs.Set(e.flag, v)
		}
	}
}

// parseInvocation reads flags wherever they stand among the positional
// arguments (so "subscribe URL TOPIC -n 3" works), stopping at "--" (after
// which come ARGs, or register's command). minPositional is the number of
// words before the ARGs (URL and URI). The URL may come from EDGEWAMP_URL.
func parseInvocation(name string, argv []string, minPositional int) (*invocation, error) {
	inv := &invocation{}
	var serializer string
	fs := commandFlags(name, inv, &serializer)

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
	if name == "register" && boardBuild == "" {
		inv.command = tail
	} else {
		words = append(words, tail...)
	}
	if minPositional == 0 {
		inv.words = words
		return inv, nil // no router: the command reads its words
	}
	if u := os.Getenv("EDGEWAMP_URL"); boardBuild == "" && u != "" && (len(words) == 0 || !strings.Contains(words[0], "://")) {
		words = append([]string{u}, words...)
	}
	if len(words) < minPositional {
		if minPositional == 1 {
			return nil, errors.New("missing URL (or set EDGEWAMP_URL)")
		}
		return nil, errors.New("missing URL or URI (the URL may come from EDGEWAMP_URL)")
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
		n := minPositional
		if name == "subscribe" {
			n = len(words) // every word after the URL is a topic
		}
		for _, w := range words[1:n] {
			uri := wamp.URI(w)
			if !wamp.ValidURI(uri, inv.match != "", inv.match == "wildcard") {
				return nil, fmt.Errorf("invalid URI %q", w)
			}
			inv.uris = append(inv.uris, uri)
		}
		inv.uri = inv.uris[0]
	}
	for _, w := range words[min(minPositional, len(words)):] {
		if name == "subscribe" {
			break
		}
		if w == "-" && boardBuild == "" {
			a, err := readStdin()
			if err != nil {
				return nil, err
			}
			inv.args = append(inv.args, a)
			continue
		}
		inv.args = append(inv.args, parseArg(w))
	}
	if boardBuild == "" && len(inv.args) == 0 && inv.kwargs == nil && (name == "call" || name == "publish") && stdinPiped() {
		a, err := readStdin()
		if err != nil {
			return nil, err
		}
		if a != "" {
			inv.args = wamp.List{a}
		}
	}
	if name == "register" && inv.count == 0 && len(inv.command) == 0 && len(words) > minPositional {
		return nil, fmt.Errorf("register takes no ARG; to run a command per call: register URL PROCEDURE -- COMMAND [ARG...]")
	}
	if boardBuild == "" { // a board build has no TLS flags
		if _, err := inv.tls.LoadFor(inv.url); err != nil {
			return nil, fmt.Errorf("TLS: %w", err)
		}
	}
	return inv, nil
}

// readStdin reads standard input as one ARG: a JSON value, or the text
// without its final newline; empty input is "".
func readStdin() (any, error) {
	b, err := io.ReadAll(io.LimitReader(stdin, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("read standard input: %w", err)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", nil
	}
	return parseArg(s), nil
}

// isFlag reports whether a word is a flag: a dash followed by a letter.
func isFlag(w string) bool {
	return len(w) > 1 && w[0] == '-' && (w[1] == '-' || (w[1] >= 'a' && w[1] <= 'z') || (w[1] >= 'A' && w[1] <= 'Z'))
}

// withSerializer checks the router URL (checkURL) and adds
// ?serializer=NAME to it unless NAME is empty.
func withSerializer(raw, serializer string) (string, error) {
	if serializer != "" {
		sep := "?"
		if strings.Contains(raw, "?") {
			sep = "&"
		}
		raw += sep + "serializer=" + serializer
	}
	if err := checkURL(raw); err != nil {
		return "", err
	}
	return raw, nil
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
