package device

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/wamp"
)

// testKey is a fixed cryptosign key (the first vector of the WAMP spec).
func testKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	k, err := auth.ParseCryptosignKey([]byte("4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// helloAuth returns the authentication entries of a HELLO.
func helloAuth(t testing.TB, h *wamp.Hello) (methods []string, authid string, extra wamp.Dict) {
	t.Helper()
	methods, _ = wamp.OptStrings(h.Details, "authmethods")
	authid, _ = wamp.OptString(h.Details, "authid")
	extra, _ = wamp.OptDict(h.Details, "authextra")
	return methods, authid, extra
}

func TestJoinAuthMethods(t *testing.T) {
	key := testKey(t)
	pub := auth.CryptosignPublicKey(key)
	tests := []struct {
		name        string
		creds       auth.Credentials
		wantMethods []string
		// router plays the router's side after HELLO: it sends CHALLENGE,
		// checks AUTHENTICATE, and returns an error when it does not verify.
		router func(r *fakeRouter, h *wamp.Hello) error
	}{
		{"ticket", auth.Credentials{AuthID: "joe", Ticket: "secret!!!"}, []string{"ticket"},
			func(r *fakeRouter, h *wamp.Hello) error {
				r.send(&wamp.Challenge{AuthMethod: "ticket", Extra: wamp.Dict{}})
				if a := expect[*wamp.Authenticate](r); !auth.VerifyTicket("secret!!!", a.Signature) {
					return errors.New("ticket " + a.Signature)
				}
				return nil
			}},
		{"wampcra", auth.Credentials{AuthID: "peter", AuthRole: "user", Secret: "secret1"}, []string{"wampcra"},
			func(r *fakeRouter, h *wamp.Hello) error {
				if role, _ := wamp.OptString(h.Details, "authrole"); role != "user" {
					return errors.New("authrole " + role)
				}
				ch := auth.CRAChallenge(42, "peter", "user", "static", auth.NewCRANonce(), time.Now())
				r.send(&wamp.Challenge{AuthMethod: "wampcra", Extra: wamp.Dict{"challenge": ch}})
				if a := expect[*wamp.Authenticate](r); !auth.VerifyCRA("secret1", ch, a.Signature) {
					return errors.New("wampcra signature " + a.Signature)
				}
				return nil
			}},
		{"wampcra salted", auth.Credentials{AuthID: "peter", Secret: "secret1"}, []string{"wampcra"},
			func(r *fakeRouter, h *wamp.Hello) error {
				// The router stores only the derived key.
				stored, err := auth.DeriveCRAKey("secret1", "salt123", 100, 32)
				if err != nil {
					return err
				}
				ch := auth.CRAChallenge(42, "peter", "user", "static", auth.NewCRANonce(), time.Now())
				r.send(&wamp.Challenge{AuthMethod: "wampcra", Extra: wamp.Dict{
					"challenge": ch, "salt": "salt123", "iterations": 100, "keylen": 32}})
				if a := expect[*wamp.Authenticate](r); !auth.VerifyCRA(stored, ch, a.Signature) {
					return errors.New("salted wampcra signature " + a.Signature)
				}
				return nil
			}},
		{"cryptosign", auth.Credentials{CryptosignKey: key}, []string{"cryptosign"},
			func(r *fakeRouter, h *wamp.Hello) error {
				_, _, extra := helloAuth(r.t, h)
				s, _ := wamp.OptString(extra, "pubkey")
				pk, err := auth.ParseCryptosignPublicKey(s)
				if err != nil {
					return err
				}
				challenge, cextra := auth.NewCryptosignChallenge()
				r.send(&wamp.Challenge{AuthMethod: "cryptosign", Extra: cextra})
				return auth.VerifyCryptosign(pk, challenge, nil, expect[*wamp.Authenticate](r).Signature)
			}},
		{"router picks wampcra of three", auth.Credentials{AuthID: "dev", Ticket: "t", Secret: "s", CryptosignKey: key},
			[]string{"cryptosign", "wampcra", "ticket"},
			func(r *fakeRouter, h *wamp.Hello) error {
				_, _, extra := helloAuth(r.t, h)
				if extra["pubkey"] != pub {
					return errors.New("pubkey missing")
				}
				r.send(&wamp.Challenge{AuthMethod: "wampcra", Extra: wamp.Dict{"challenge": "c"}})
				if a := expect[*wamp.Authenticate](r); !auth.VerifyCRA("s", "c", a.Signature) {
					return errors.New("wampcra signature " + a.Signature)
				}
				return nil
			}},
		{"no challenge", auth.Credentials{AuthID: "dev", Ticket: "t"}, []string{"ticket"},
			func(r *fakeRouter, h *wamp.Hello) error { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ch := dialScript(t, Config{Auth: tt.creds})
			h := expect[*wamp.Hello](r)
			methods, authid, _ := helloAuth(t, h)
			if !reflect.DeepEqual(methods, tt.wantMethods) || authid != tt.creds.AuthID {
				t.Errorf("HELLO authmethods %q authid %q, want %q %q", methods, authid, tt.wantMethods, tt.creds.AuthID)
			}
			if _, ok := h.Details["roles"]; !ok {
				t.Errorf("HELLO lost its roles: %v", h.Details)
			}
			if err := tt.router(r, h); err != nil {
				r.send(&wamp.Abort{Details: wamp.Dict{"message": err.Error()}, Reason: wamp.ErrAuthenticationFailed.URI})
				wait(t, ch)
				t.Fatalf("router: %v", err)
			}
			r.send(&wamp.Welcome{Session: 42, Details: wamp.Dict{"authid": tt.creds.AuthID}})
			c, err := wait(t, ch)
			if err != nil {
				t.Fatal(err)
			}
			if c.ID() != 42 {
				t.Errorf("session %d", c.ID())
			}
		})
	}
}

func TestJoinAuthRefused(t *testing.T) {
	ticketOnly := auth.Credentials{AuthID: "joe", Ticket: "t"}
	tests := []struct {
		name      string
		cfg       Config
		challenge *wamp.Challenge
		afterAuth bool // the client answers, then the router sends ABORT
		want      []error
		text      string
	}{
		{"method not offered", Config{Auth: ticketOnly},
			&wamp.Challenge{AuthMethod: "wampcra", Extra: wamp.Dict{"challenge": "c"}}, false,
			[]error{auth.ErrMethodNotOffered}, `asked for "wampcra"`},
		{"channel binding demanded", Config{Auth: auth.Credentials{CryptosignKey: testKey(t)}},
			&wamp.Challenge{AuthMethod: "cryptosign", Extra: wamp.Dict{
				"challenge": strings.Repeat("ab", 32), "channel_binding": "tls-unique"}}, false,
			[]error{auth.ErrChannelBinding}, "tls-unique"},
		{"malformed challenge", Config{Auth: auth.Credentials{AuthID: "joe", Secret: "s"}},
			&wamp.Challenge{AuthMethod: "wampcra", Extra: wamp.Dict{}}, false,
			[]error{auth.ErrBadChallenge}, "challenge"},
		{"abort after authenticate", Config{Auth: ticketOnly},
			&wamp.Challenge{AuthMethod: "ticket", Extra: wamp.Dict{}}, true,
			[]error{wamp.ErrAuthenticationFailed}, "wrong ticket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ch := dialScript(t, tt.cfg)
			expect[*wamp.Hello](r)
			r.send(tt.challenge)
			if tt.afterAuth {
				expect[*wamp.Authenticate](r)
				r.send(&wamp.Abort{Details: wamp.Dict{"message": "wrong ticket"}, Reason: wamp.ErrAuthenticationFailed.URI})
			} else {
				a := expect[*wamp.Abort](r)
				if a.Reason != wamp.ErrAuthenticationFailed.URI {
					t.Errorf("ABORT reason %q", a.Reason)
				}
				if msg, _ := wamp.OptString(a.Details, "message"); !strings.Contains(msg, tt.text) {
					t.Errorf("ABORT message %q, want it to mention %q", msg, tt.text)
				}
			}
			c, err := wait(t, ch)
			if c != nil || err == nil {
				t.Fatalf("join = %v, %v; want an error", c, err)
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, want errors.Is %v", err, w)
				}
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("err %q does not mention %q", err, tt.text)
			}
			if tt.afterAuth {
				var we *wamp.Error
				if !errors.As(err, &we) || we.URI != wamp.ErrAuthenticationFailed.URI {
					t.Errorf("err = %v, want a *wamp.Error with the ABORT reason", err)
				}
			}
		})
	}
}

func TestJoinAuthBadCredentials(t *testing.T) {
	tests := []struct {
		name  string
		creds auth.Credentials
		want  error
	}{
		{"ticket without authid", auth.Credentials{Ticket: "t"}, auth.ErrBadCredentials},
		{"missing key file", auth.Credentials{CryptosignKeyFile: filepath.Join(t.TempDir(), "none.key")}, os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ch := dialScript(t, Config{Auth: tt.creds})
			r.expectClosed() // no HELLO is sent
			c, err := wait(t, ch)
			if c != nil || !errors.Is(err, tt.want) {
				t.Errorf("join = %v, %v; want %v", c, err, tt.want)
			}
		})
	}
}

func TestJoinAuthWithCustomHook(t *testing.T) {
	var hooked []string
	cfg := Config{
		Auth: auth.Credentials{AuthID: "dev", Ticket: "tkt"},
		// A custom method is announced through HelloDetails, which wins
		// over the list Auth makes.
		HelloDetails: wamp.Dict{"authmethods": wamp.List{"magic", "ticket"}},
		Authenticate: func(ctx context.Context, c *wamp.Challenge) (*wamp.Authenticate, error) {
			hooked = append(hooked, c.AuthMethod)
			return &wamp.Authenticate{Signature: "abracadabra"}, nil
		},
	}
	for _, method := range []string{"magic", "ticket"} {
		t.Run(method, func(t *testing.T) {
			r, ch := dialScript(t, cfg)
			h := expect[*wamp.Hello](r)
			if methods, authid, _ := helloAuth(t, h); !reflect.DeepEqual(methods, []string{"magic", "ticket"}) || authid != "dev" {
				t.Errorf("HELLO authmethods %q authid %q", methods, authid)
			}
			r.send(&wamp.Challenge{AuthMethod: method, Extra: wamp.Dict{}})
			want := map[string]string{"magic": "abracadabra", "ticket": "tkt"}[method]
			if a := expect[*wamp.Authenticate](r); a.Signature != want {
				t.Errorf("signature %q, want %q", a.Signature, want)
			}
			r.send(&wamp.Welcome{Session: 5, Details: wamp.Dict{}})
			if _, err := wait(t, ch); err != nil {
				t.Fatal(err)
			}
		})
	}
	if !reflect.DeepEqual(hooked, []string{"magic"}) {
		t.Errorf("hook called for %q, want only magic", hooked)
	}
}

func TestJoinAuthKeyFile(t *testing.T) {
	key := testKey(t)
	data, err := auth.MarshalCryptosignKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "device.key")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	r, ch := dialScript(t, Config{Auth: auth.Credentials{AuthID: "dev7", CryptosignKeyFile: path}})
	_, _, extra := helloAuth(t, expect[*wamp.Hello](r))
	if extra["pubkey"] != auth.CryptosignPublicKey(key) {
		t.Errorf("authextra %v, want the key file's public key", extra)
	}
	challenge, cextra := auth.NewCryptosignChallenge()
	r.send(&wamp.Challenge{AuthMethod: "cryptosign", Extra: cextra})
	if err := auth.VerifyCryptosign(key.Public().(ed25519.PublicKey), challenge, nil, expect[*wamp.Authenticate](r).Signature); err != nil {
		t.Error(err)
	}
	r.send(&wamp.Welcome{Session: 3, Details: wamp.Dict{}})
	if _, err := wait(t, ch); err != nil {
		t.Fatal(err)
	}
}
