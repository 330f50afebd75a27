package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// Authentication against the sensorbridge binary, with AutobahnPython and AutobahnJS as the clients: their
// signatures (WAMP-CRA HMAC, PBKDF2 key derivation, Ed25519 cryptosign) are independent implementations of
// the ones the router checks with auth/. A replay client (Go, RawSocket) answers a fresh CHALLENGE with the
// signature an Autobahn client computed for an earlier one.

// The realm's principals. The secrets are test values only.
const (
	authRealm    = "site.auth"
	ticketID     = "browser1"
	ticketSecret = "ticket-7f3a1c"
	craID        = "backend1"
	craSecret    = "cra-secret-91b2"
	saltedID     = "backend2"
	saltedSecret = "salted-secret-42c7"
	craSalt      = "pepper-and-salt"
	cryptosignID = "device7"
)

var (
	cryptosignSeed  = strings.Repeat("07", 32) // the device's Ed25519 seed (hex)
	wrongSeed       = strings.Repeat("08", 32) // a key the realm does not know
	cryptosignKey   = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	cryptosignPubID = hex.EncodeToString(cryptosignKey.Public().(ed25519.PublicKey))
)

// authRealmConfig is the realm of the auth tests in sensorbridge's config file syntax.
func authRealmConfig() map[string]any {
	return map[string]any{"name": authRealm, "users": []map[string]any{
		{"authid": ticketID, "authrole": "browser", "ticket": ticketSecret},
		{"authid": craID, "authrole": "backend", "secret": craSecret},
		{"authid": saltedID, "authrole": "archiver", "secret": saltedSecret, "salt": craSalt, "iterations": 1000, "keylen": 32},
		{"authid": cryptosignID, "authrole": "device", "cryptosign_pubkeys": []string{cryptosignPubID}},
	}}
}

// authMethodCase is one way to authenticate to authRealm.
type authMethodCase struct {
	name   string // ticket, wampcra, wampcra-salted, cryptosign
	method string // as in HELLO.authmethods
	authid string
	secret string // what the peer script takes: ticket, CRA secret or hex seed
	wrong  string // a wrong secret of the same kind
	role   string // the authrole the realm gives
}

var authMethods = []authMethodCase{
	{"ticket", auth.MethodTicket, ticketID, ticketSecret, "ticket-guessed", "browser"},
	{"wampcra", auth.MethodWAMPCRA, craID, craSecret, "cra-guessed", "backend"},
	{"wampcra-salted", auth.MethodWAMPCRA, saltedID, saltedSecret, "salted-guessed", "archiver"},
	{"cryptosign", auth.MethodCryptosign, cryptosignID, cryptosignSeed, wrongSeed, "device"},
}

// The ABORT reasons that refuse credentials. The WAMP spec (rfc/text/advanced/ap_48_uris.md) names
// wamp.error.authentication_failed for a client that "does not provide valid informations in CHALLENGE"
// and, in its newer list, authentication_denied for a wrong password and no_such_principal for an unknown
// authid; not_authorized is what routers such as Crossbar send. A cryptosign key the router does not
// know may also be answered without a CHALLENGE, as "no acceptable method for this client":
// no_auth_method (AutobahnPython's ApplicationError.NO_AUTH_METHOD) or the spec's
// no_matching_auth_method. Either way the test also requires an unknown authid to be answered exactly as
// a wrong secret (see TestAuthenticationAutobahn).
var (
	refusedWrongSecret = []string{"wamp.error.authentication_failed", "wamp.error.authentication_denied", "wamp.error.not_authorized"}
	refusedUnknown     = append(slices.Clone(refusedWrongSecret), "wamp.error.no_such_principal",
		"wamp.error.no_auth_method", "wamp.error.no_matching_auth_method")
)

// authAttempt is one line of auth_peer.py / auth_peer.js.
type authAttempt struct {
	Method    string `json:"method"`
	AuthID    string `json:"authid"`
	Secret    string `json:"secret"`
	wantOK    bool
	wantAbort []string
	label     string // method case / outcome, for messages
	mc        authMethodCase
}

type authReport struct {
	Case       int    `json:"case"`
	Result     string `json:"result"` // welcome, abort, error
	AuthID     string `json:"authid"`
	AuthRole   string `json:"authrole"`
	AuthMethod string `json:"authmethod"`
	Reason     string `json:"reason"`
	Signature  string `json:"signature"`
	Why        string `json:"why"`
}

// authAttempts lists, per method: success, then (after every success, so that a router throttling failed
// attempts per address cannot refuse a right one for the failures before it) a wrong secret and an
// unknown authid.
func authAttempts() []authAttempt {
	var ok, bad []authAttempt
	for _, m := range authMethods {
		// A cryptosign key the realm does not know is an unknown principal to the router: there is
		// nothing it could challenge.
		wrongWant := refusedWrongSecret
		if m.method == auth.MethodCryptosign {
			wrongWant = refusedUnknown
		}
		ok = append(ok, authAttempt{Method: m.method, AuthID: m.authid, Secret: m.secret, wantOK: true, label: m.name + "/ok", mc: m})
		bad = append(bad,
			authAttempt{Method: m.method, AuthID: m.authid, Secret: m.wrong, wantAbort: wrongWant, label: m.name + "/wrong-secret", mc: m},
			authAttempt{Method: m.method, AuthID: "nobody-" + m.name, Secret: m.secret, wantAbort: refusedUnknown, label: m.name + "/unknown-authid", mc: m},
		)
	}
	return append(ok, bad...)
}

// authClient is an independent client running the attempts.
type authClient struct {
	name   string // py.rs.json, ...
	prog   string
	script string
	url    func(b *bridge) string
	ser    string
}

// runAuthPeer runs the attempts through the client's peer script and returns one report per attempt.
func runAuthPeer(t *testing.T, c authClient, b *bridge, as []authAttempt) []authReport {
	t.Helper()
	js, err := json.Marshal(as)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.prog, filepath.Join("peers", c.script), c.url(b), authRealm, c.ser, string(js), "--timeout", "10")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	reps := make([]authReport, len(as))
	got := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte(`{"`)) { // AutobahnJS prints debugging noise on stdout
			continue
		}
		var r authReport
		if json.Unmarshal(line, &r) != nil || r.Case < 0 || r.Case >= len(as) {
			t.Errorf("%s: unexpected line %q", c.name, line)
			continue
		}
		reps[r.Case] = r
		got++
	}
	if got != len(as) {
		t.Fatalf("%s: %d of %d attempts reported (exit: %v)\nstdout:\n%s\nstderr:\n%s", c.name, got, len(as), err, out, stderr.String())
	}
	return reps
}

// TestAuthenticationAutobahn checks each method of a realm configured in sensorbridge's config file against
// AutobahnPython (RawSocket and WebSocket) and AutobahnJS (WebSocket): a WELCOME with the configured authid,
// authrole and authmethod for the right credentials; an ABORT with a refusing reason for a wrong secret,
// an unknown authid and a replayed signature; and the gateway serving on throughout. Each client gets a
// fresh gateway, and the replays and the final check come from their own loopback addresses (127.0.0.2,
// 127.0.0.3), so that the outcome does not depend on how many failures the router tolerates per address.
func TestAuthenticationAutobahn(t *testing.T) {
	needAuthPeers(t)
	const rsURL, wsURL = "rs://127.0.0.1:0", "ws://127.0.0.1:0/ws"
	bin := buildBridge(t)
	rs := func(b *bridge) string { return "rs://" + b.addr(rsURL) }
	ws := func(b *bridge) string { return "ws://" + b.addr(wsURL) + "/ws" }
	clients := []authClient{
		{"py.rs.json", "/usr/bin/python3", "auth_peer.py", rs, "json"},
		{"py.rs.msgpack", "/usr/bin/python3", "auth_peer.py", rs, "msgpack"},
		{"py.ws.json", "/usr/bin/python3", "auth_peer.py", ws, "json"},
		{"js.ws.json", "node", "auth_peer.js", ws, "json"},
		{"js.ws.msgpack", "node", "auth_peer.js", ws, "msgpack"},
	}
	as := authAttempts()
	var table strings.Builder
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			b := startBridge(t, bin, map[string]any{
				"listeners": []map[string]any{{"url": rsURL}, {"url": wsURL}},
				"realms":    []map[string]any{authRealmConfig()},
			})
			reps := runAuthPeer(t, c, b, as)
			for i, a := range as {
				r := reps[i]
				fmt.Fprintf(&table, "%-14s %-34s %-8s %s%s\n", c.name, a.label, r.Result, r.Reason, r.AuthRole)
				switch {
				case a.wantOK && r.Result != "welcome":
					t.Errorf("%s: %s %s %s, want WELCOME", a.label, r.Result, r.Reason, r.Why)
				case a.wantOK && (r.AuthID != a.AuthID || r.AuthRole != a.mc.role || r.AuthMethod != a.Method):
					t.Errorf("%s: WELCOME as %s/%s/%s, want %s/%s/%s", a.label, r.AuthID, r.AuthRole, r.AuthMethod, a.AuthID, a.mc.role, a.Method)
				case !a.wantOK && (r.Result != "abort" || !slices.Contains(a.wantAbort, r.Reason)):
					t.Errorf("%s: %s %s %s, want ABORT with one of %v", a.label, r.Result, r.Reason, r.Why, a.wantAbort)
				}
			}
			// An unknown authid (or cryptosign key) is answered exactly as a wrong secret: a CHALLENGE, then
			// the same ABORT, so that a client cannot tell which principals exist.
			for i, a := range as {
				if !strings.HasSuffix(a.label, "/wrong-secret") {
					continue
				}
				w, u := reps[i], reps[i+1] // the unknown-authid attempt follows
				if w.Reason != u.Reason || (w.Signature == "") != (u.Signature == "") {
					t.Errorf("%s: a wrong secret got %s (challenged: %v), an unknown authid %s (challenged: %v): the router tells them apart",
						a.mc.name, w.Reason, w.Signature != "", u.Reason, u.Signature != "")
				}
			}
			// Replay: the signature Autobahn computed for its successful challenge, answered to a new one.
			for i, a := range as {
				if !a.wantOK || a.Method == auth.MethodTicket {
					continue
				}
				sig := reps[i].Signature
				if sig == "" {
					t.Errorf("%s: no signature captured", a.label)
					continue
				}
				res, err := rawAuth(b.addr(rsURL), "127.0.0.2", a.mc, func(*wamp.Challenge) (string, error) { return sig, nil })
				fmt.Fprintf(&table, "%-14s %-34s %s\n", c.name, a.mc.name+"/replayed-signature", res)
				if err != nil {
					t.Errorf("%s replayed: %v", a.mc.name, err)
				} else if !strings.HasPrefix(res, "ABORT ") || !slices.Contains(refusedWrongSecret, strings.TrimPrefix(res, "ABORT ")) {
					t.Errorf("%s: a replayed signature got %s, want ABORT with one of %v", a.mc.name, res, refusedWrongSecret)
				}
			}
			// The gateway still serves, and the replay client itself is right: answering its own
			// challenge correctly gets a WELCOME.
			for _, m := range authMethods {
				res, err := rawAuth(b.addr(rsURL), "127.0.0.3", m, func(ch *wamp.Challenge) (string, error) { return respond(m, ch) })
				if want := "WELCOME " + m.authid + "/" + m.role + "/" + m.method; err != nil || res != want {
					t.Errorf("%s: raw client with a fresh signature: %s %v, want %s", m.name, res, err, want)
				}
			}
			if !b.alive() {
				t.Fatalf("sensorbridge exited:\n%s", b.logs())
			}
			// No secret, right or wrong, in the gateway's log.
			logs := b.logs()
			for _, m := range authMethods {
				for _, s := range []string{m.secret, m.wrong} {
					if strings.Contains(logs, s) {
						t.Errorf("the gateway logged the %s secret %q", m.name, s)
					}
				}
			}
		})
	}
	t.Logf("client         attempt                            result\n%s", table.String())
}

// respond computes the right answer to ch for m with auth/.
func respond(m authMethodCase, ch *wamp.Challenge) (string, error) {
	switch m.method {
	case auth.MethodTicket:
		return m.secret, nil
	case auth.MethodWAMPCRA:
		a, err := auth.WAMPCRA{Secret: m.secret}.Respond(context.Background(), ch)
		if err != nil {
			return "", err
		}
		return a.Signature, nil
	default:
		c, _, err := auth.ParseCryptosignChallenge(ch.Extra)
		if err != nil {
			return "", err
		}
		return auth.SignCryptosign(cryptosignKey, c, nil)
	}
}

// rawAuth joins authRealm over RawSocket (JSON) at addr, from the local address from, as m's principal,
// answers the CHALLENGE with what answer returns, and describes the outcome: "WELCOME
// authid/authrole/authmethod" or "ABORT reason".
func rawAuth(addr, from string, m authMethodCase, answer func(*wamp.Challenge) (string, error)) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ser, _ := wamp.SerializerByName("json")
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	c, err := rawsocket.Client(ctx, nc, rawsocket.ClientConfig{Serializer: ser})
	if err != nil {
		return "", err
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	c.SetReadDeadline(deadline)
	c.SetWriteDeadline(deadline)
	send := func(msg wamp.Message) error {
		b, err := ser.AppendMessage(nil, msg)
		if err != nil {
			return err
		}
		return c.WriteMessages([][]byte{b})
	}
	recv := func() (wamp.Message, error) {
		b, err := c.ReadMessage()
		if err != nil {
			return nil, err
		}
		return ser.DecodeMessage(b)
	}
	details := wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}}, "authmethods": wamp.List{m.method}, "authid": m.authid}
	if m.method == auth.MethodCryptosign {
		details["authextra"] = wamp.Dict{"pubkey": cryptosignPubID}
	}
	if err := send(&wamp.Hello{Realm: authRealm, Details: details}); err != nil {
		return "", err
	}
	for {
		msg, err := recv()
		if err != nil {
			return "", err
		}
		switch msg := msg.(type) {
		case *wamp.Challenge:
			if msg.AuthMethod != m.method {
				return "", fmt.Errorf("CHALLENGE for %s, want %s", msg.AuthMethod, m.method)
			}
			sig, err := answer(msg)
			if err != nil {
				return "", err
			}
			if err := send(&wamp.Authenticate{Signature: sig, Extra: wamp.Dict{}}); err != nil {
				return "", err
			}
		case *wamp.Welcome:
			id, _ := wamp.OptString(msg.Details, "authid")
			role, _ := wamp.OptString(msg.Details, "authrole")
			method, _ := wamp.OptString(msg.Details, "authmethod")
			send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: "wamp.close.close_realm"})
			return "WELCOME " + id + "/" + role + "/" + method, nil
		case *wamp.Abort:
			return "ABORT " + string(msg.Reason), nil
		default:
			return "", fmt.Errorf("unexpected %s", msg.Type())
		}
	}
}
