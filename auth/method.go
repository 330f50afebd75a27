package auth

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"

	"github.com/edgewamp/edgewamp/wamp"
)

// Names of the authentication methods (HELLO.Details.authmethods, CHALLENGE.AuthMethod).
const (
	MethodAnonymous  = "anonymous"
	MethodTicket     = "ticket"
	MethodWAMPCRA    = "wampcra"
	MethodCryptosign = "cryptosign"
)

// Errors of this package; match them with errors.Is.
var (
	// ErrMethodNotOffered: the router sent a CHALLENGE for an authmethod the
	// client did not announce in HELLO.
	ErrMethodNotOffered = errors.New("auth: challenge for an authmethod the client did not offer")
	// ErrBadChallenge: the CHALLENGE lacks a field or has one of the wrong form.
	ErrBadChallenge = errors.New("auth: malformed challenge")
	// ErrChannelBinding: the CHALLENGE asks for a channel binding the client
	// cannot provide.
	ErrChannelBinding = errors.New("auth: channel binding not available")
	// ErrBadSignature: a signature does not parse or does not verify.
	ErrBadSignature = errors.New("auth: bad signature")
	// ErrBadKey: a key is malformed or of the wrong size.
	ErrBadKey = errors.New("auth: bad key")
	// ErrBadCredentials: a [Credentials] value cannot be used as it is.
	ErrBadCredentials = errors.New("auth: bad credentials")
)

// Method is one client-side authentication method. Implementations must be
// safe for concurrent use (the built-in ones are immutable).
type Method interface {
	// Name returns the method's name as announced in HELLO.Details.authmethods.
	Name() string
	// AuthExtra returns the entries this method adds to HELLO.Details.authextra,
	// or nil. The caller does not modify the result.
	AuthExtra() wamp.Dict
	// Respond answers a CHALLENGE for this method.
	Respond(ctx context.Context, c *wamp.Challenge) (*wamp.Authenticate, error)
}

// Credentials are what a client authenticates with, in a form a binary loads
// from JSON. The zero value means no authentication (anonymous). Every
// secret given adds its method; see the package doc for the order in which
// they are offered. A Credentials value is only read, so it may be shared.
type Credentials struct {
	// AuthID is the identity to authenticate as (HELLO.Details.authid).
	// Required by ticket and wampcra; optional for cryptosign (the router
	// then picks one, typically from the public key).
	AuthID string `json:"authid,omitempty"`
	// AuthRole, when set, is the role asked for (HELLO.Details.authrole).
	// Default: none, the router decides.
	AuthRole string `json:"authrole,omitempty"`
	// AuthExtra are extra HELLO.Details.authextra entries for the router's
	// authenticator; the methods' own entries (cryptosign's pubkey) win over them.
	AuthExtra wamp.Dict `json:"authextra,omitempty"`

	// Ticket, when set, offers the "ticket" method with this ticket.
	Ticket string `json:"ticket,omitempty"`
	// Secret, when set, offers the "wampcra" method with this secret (the
	// plain secret also for salted WAMP-CRA: the key is derived from it with
	// the salt the router sends).
	Secret string `json:"secret,omitempty"`
	// CryptosignKey, when set, offers the "cryptosign" method with this
	// Ed25519 key (a 64-byte private key or its 32-byte seed).
	CryptosignKey ed25519.PrivateKey `json:"-"`
	// CryptosignKeyFile, when set and CryptosignKey is not, names a key file
	// (formats in the package doc), read by each call to
	// [Credentials.Authenticator], so a rotated key is picked up at the
	// next join.
	CryptosignKeyFile string `json:"cryptosign_key_file,omitempty"`
	// TLS offers the "tls" method: the TLS client certificate of the
	// connection (rss://, wss://) identifies the client. It is offered
	// after the methods above, which a router may prefer.
	TLS bool `json:"tls,omitempty"`

	// Custom methods are offered after the built-in ones, in this order.
	Custom []Method `json:"-"`
}

// IsZero reports whether c configures no method at all.
func (c *Credentials) IsZero() bool {
	return c.Ticket == "" && c.Secret == "" && len(c.CryptosignKey) == 0 &&
		c.CryptosignKeyFile == "" && !c.TLS && len(c.Custom) == 0
}

// Authenticator returns the authenticator for c, or nil and no error when c
// configures no method. It reads CryptosignKeyFile when that is used, and
// fails with an error wrapping [ErrBadCredentials] (or the file's error)
// when c cannot be used: an authid is missing, a key is malformed, or two
// methods share a name.
func (c *Credentials) Authenticator() (*Authenticator, error) {
	if c.IsZero() {
		return nil, nil
	}
	var methods []Method
	key := c.CryptosignKey
	if len(key) == 0 && c.CryptosignKeyFile != "" {
		k, err := LoadCryptosignKey(c.CryptosignKeyFile)
		if err != nil {
			return nil, err
		}
		key = k
	}
	if len(key) > 0 {
		m, err := NewCryptosign(key)
		if err != nil {
			return nil, fmt.Errorf("%w: cryptosign key: %w", ErrBadCredentials, err)
		}
		methods = append(methods, m)
	}
	if c.Secret != "" {
		methods = append(methods, WAMPCRA{Secret: c.Secret})
	}
	if c.Ticket != "" {
		methods = append(methods, Ticket{Ticket: c.Ticket})
	}
	if c.TLS {
		methods = append(methods, TLSClientCert{})
	}
	methods = append(methods, c.Custom...)
	a := &Authenticator{AuthID: c.AuthID, AuthRole: c.AuthRole, AuthExtra: c.AuthExtra, Methods: methods}
	if err := a.check(); err != nil {
		return nil, err
	}
	return a, nil
}

// Authenticator is the client side of authentication with a fixed set of
// methods: it gives the HELLO details and answers CHALLENGEs. It is
// immutable once made (do not modify its fields after first use) and safe
// for concurrent use.
type Authenticator struct {
	AuthID    string
	AuthRole  string
	AuthExtra wamp.Dict
	// Methods in the order announced (the router picks among them).
	Methods []Method
}

// check validates a: names unique and non-empty, authid present for the
// methods that need it.
func (a *Authenticator) check() error {
	seen := make([]string, 0, len(a.Methods))
	for _, m := range a.Methods {
		if m == nil {
			return fmt.Errorf("%w: nil method", ErrBadCredentials)
		}
		name := m.Name()
		if name == "" || slices.Contains(seen, name) {
			return fmt.Errorf("%w: method name %q empty or given twice", ErrBadCredentials, name)
		}
		seen = append(seen, name)
		if a.AuthID == "" && (name == MethodTicket || name == MethodWAMPCRA) {
			return fmt.Errorf("%w: authmethod %q needs an authid", ErrBadCredentials, name)
		}
	}
	return nil
}

// Names returns the method names in the order offered.
func (a *Authenticator) Names() []string {
	names := make([]string, len(a.Methods))
	for i, m := range a.Methods {
		names[i] = m.Name()
	}
	return names
}

// Offers reports whether a offers the method named name.
func (a *Authenticator) Offers(name string) bool { return a.method(name) != nil }

func (a *Authenticator) method(name string) Method {
	for _, m := range a.Methods {
		if m.Name() == name {
			return m
		}
	}
	return nil
}

// HelloDetails returns the authentication entries of HELLO.Details:
// "authmethods" (always), "authid" and "authrole" (when set) and
// "authextra" (when any). The result is a new map the caller may modify.
func (a *Authenticator) HelloDetails() wamp.Dict {
	methods := make(wamp.List, len(a.Methods))
	for i, m := range a.Methods {
		methods[i] = m.Name()
	}
	d := wamp.Dict{"authmethods": methods}
	if a.AuthID != "" {
		d["authid"] = a.AuthID
	}
	if a.AuthRole != "" {
		d["authrole"] = a.AuthRole
	}
	extra := wamp.Dict{}
	for k, v := range a.AuthExtra {
		extra[k] = v
	}
	for _, m := range a.Methods {
		for k, v := range m.AuthExtra() {
			extra[k] = v
		}
	}
	if len(extra) > 0 {
		d["authextra"] = extra
	}
	return d
}

// Authenticate answers c with the method it names. It fails with an error
// wrapping [ErrMethodNotOffered] when that method was not offered, and
// otherwise with the method's error. Its signature fits
// device.Config.Authenticate.
func (a *Authenticator) Authenticate(ctx context.Context, c *wamp.Challenge) (*wamp.Authenticate, error) {
	m := a.method(c.AuthMethod)
	if m == nil {
		return nil, fmt.Errorf("%w: router asked for %q, client offered %q", ErrMethodNotOffered, c.AuthMethod, a.Names())
	}
	return m.Respond(ctx, c)
}
