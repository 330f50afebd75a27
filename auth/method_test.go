package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// customMethod is a test Method with a fixed answer.
type customMethod struct{ name, answer string }

func (m customMethod) Name() string         { return m.name }
func (m customMethod) AuthExtra() wamp.Dict { return wamp.Dict{"x_" + m.name: true} }
func (m customMethod) Respond(context.Context, *wamp.Challenge) (*wamp.Authenticate, error) {
	return &wamp.Authenticate{Signature: m.answer, Extra: wamp.Dict{}}, nil
}

func TestCredentialsZero(t *testing.T) {
	var c Credentials
	if !c.IsZero() {
		t.Error("zero Credentials not IsZero")
	}
	if a, err := c.Authenticator(); a != nil || err != nil {
		t.Errorf("Authenticator() = %v, %v; want nil, nil", a, err)
	}
	// An authid alone configures no method.
	c = Credentials{AuthID: "joe", AuthRole: "user"}
	if a, err := c.Authenticator(); a != nil || err != nil {
		t.Errorf("authid only: Authenticator() = %v, %v; want nil, nil", a, err)
	}
}

func TestCredentialsHelloDetails(t *testing.T) {
	key := ed25519.NewKeyFromSeed(mustHex(t, cryptosignVectors[0].privateKey))
	pub := CryptosignPublicKey(key)
	tests := []struct {
		name  string
		creds Credentials
		want  wamp.Dict
	}{
		{"ticket", Credentials{AuthID: "joe", Ticket: "secret!!!"},
			wamp.Dict{"authmethods": wamp.List{"ticket"}, "authid": "joe"}},
		{"wampcra with role", Credentials{AuthID: "peter", AuthRole: "user", Secret: "s"},
			wamp.Dict{"authmethods": wamp.List{"wampcra"}, "authid": "peter", "authrole": "user"}},
		{"cryptosign without authid", Credentials{CryptosignKey: key},
			wamp.Dict{"authmethods": wamp.List{"cryptosign"}, "authextra": wamp.Dict{"pubkey": pub}}},
		{"all, strongest first", Credentials{AuthID: "dev", Ticket: "t", Secret: "s", CryptosignKey: key,
			AuthExtra: wamp.Dict{"pubkey": "ignored", "site": int64(7)},
			Custom:    []Method{customMethod{"magic", "m"}}},
			wamp.Dict{"authmethods": wamp.List{"cryptosign", "wampcra", "ticket", "magic"}, "authid": "dev",
				"authextra": wamp.Dict{"pubkey": pub, "site": int64(7), "x_magic": true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := tt.creds.Authenticator()
			if err != nil {
				t.Fatal(err)
			}
			if got := a.HelloDetails(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("HelloDetails = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCredentialsErrors(t *testing.T) {
	tests := []struct {
		name  string
		creds Credentials
		want  error
	}{
		{"ticket without authid", Credentials{Ticket: "t"}, ErrBadCredentials},
		{"wampcra without authid", Credentials{Secret: "s"}, ErrBadCredentials},
		{"bad key size", Credentials{CryptosignKey: make(ed25519.PrivateKey, 10)}, ErrBadKey},
		{"custom duplicate", Credentials{AuthID: "a", Ticket: "t", Custom: []Method{customMethod{"ticket", ""}}}, ErrBadCredentials},
		{"custom nil", Credentials{Custom: []Method{nil}}, ErrBadCredentials},
		{"custom unnamed", Credentials{Custom: []Method{customMethod{"", ""}}}, ErrBadCredentials},
		{"missing key file", Credentials{CryptosignKeyFile: filepath.Join(t.TempDir(), "none")}, os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if a, err := tt.creds.Authenticator(); !errors.Is(err, tt.want) || a != nil {
				t.Errorf("Authenticator() = %v, %v; want %v", a, err, tt.want)
			}
		})
	}
}

func TestCredentialsKeyFile(t *testing.T) {
	key, err := GenerateCryptosignKey()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := MarshalCryptosignKey(key)
	path := filepath.Join(t.TempDir(), "k")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := (&Credentials{CryptosignKeyFile: path}).Authenticator()
	if err != nil {
		t.Fatal(err)
	}
	extra, _ := a.HelloDetails()["authextra"].(wamp.Dict)
	if extra["pubkey"] != CryptosignPublicKey(key) {
		t.Errorf("authextra = %v, want the file's public key", extra)
	}
}

func TestAuthenticatorAuthenticate(t *testing.T) {
	key := ed25519.NewKeyFromSeed(mustHex(t, cryptosignVectors[0].privateKey))
	a, err := (&Credentials{AuthID: "dev", Ticket: "tkt", Secret: abSecret, CryptosignKey: key,
		Custom: []Method{customMethod{"magic", "abracadabra"}}}).Authenticator()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method string
		extra  wamp.Dict
		want   string
	}{
		{"ticket", wamp.Dict{}, "tkt"},
		{"wampcra", wamp.Dict{"challenge": "[1, 2, 3]"}, abWCS},
		{"cryptosign", wamp.Dict{"challenge": cryptosignVectors[0].challenge}, cryptosignVectors[0].signature},
		{"magic", wamp.Dict{}, "abracadabra"},
	}
	for _, tt := range tests {
		if !a.Offers(tt.method) {
			t.Errorf("Offers(%q) = false", tt.method)
		}
		got, err := a.Authenticate(context.Background(), &wamp.Challenge{AuthMethod: tt.method, Extra: tt.extra})
		if err != nil || got.Signature != tt.want {
			t.Errorf("Authenticate(%s) = %+v, %v; want %q", tt.method, got, err, tt.want)
		}
	}
	_, err = a.Authenticate(context.Background(), &wamp.Challenge{AuthMethod: "scram", Extra: wamp.Dict{}})
	if !errors.Is(err, ErrMethodNotOffered) || !strings.Contains(err.Error(), `"scram"`) || !strings.Contains(err.Error(), "cryptosign") {
		t.Errorf("unoffered method: err = %v", err)
	}
	if a.Offers("scram") {
		t.Error(`Offers("scram") = true`)
	}
}

func TestCredentialsJSON(t *testing.T) {
	// What a binary's config file holds.
	const config = `{"authid": "dev7", "authrole": "device", "secret": "s3cret", "ticket": "t",
		"cryptosign_key_file": "/etc/edge-agent/device.key", "authextra": {"site": "north"}}`
	var c Credentials
	if err := json.Unmarshal([]byte(config), &c); err != nil {
		t.Fatal(err)
	}
	want := Credentials{AuthID: "dev7", AuthRole: "device", Secret: "s3cret", Ticket: "t",
		CryptosignKeyFile: "/etc/edge-agent/device.key", AuthExtra: wamp.Dict{"site": "north"}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("decoded %+v, want %+v", c, want)
	}
	// The key itself never goes into JSON.
	c.CryptosignKey = ed25519.NewKeyFromSeed(make([]byte, 32))
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "CryptosignKey") || strings.Contains(string(out), "Custom") {
		t.Errorf("marshalled %s", out)
	}
}
