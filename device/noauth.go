//go:build edgewamp_noauth

package device

import (
	"context"
	"errors"

	"github.com/edgewamp/edgewamp/wamp"
)

// Credentials is the type of [Config.Auth]. This build has the
// edgewamp_noauth tag and links none of package auth: the fields are those
// of auth.Credentials that a configuration file can set, and a join with any
// of them set fails, saying the build lacks authentication.
// Config.Authenticate still answers a CHALLENGE.
type Credentials struct {
	AuthID            string    `json:"authid,omitempty"`
	AuthRole          string    `json:"authrole,omitempty"`
	AuthExtra         wamp.Dict `json:"authextra,omitempty"`
	Ticket            string    `json:"ticket,omitempty"`
	Secret            string    `json:"secret,omitempty"`
	CryptosignKeyFile string    `json:"cryptosign_key_file,omitempty"`
	TLS               bool      `json:"tls,omitempty"`
}

// ErrNoAuthInBuild is the error for credentials in a build without
// authentication (the edgewamp_noauth tag).
var ErrNoAuthInBuild = errors.New("authentication is not in this build (built with the edgewamp_noauth tag)")

// Empty reports whether no credential is set.
func (c *Credentials) Empty() bool {
	return c.AuthID == "" && c.AuthRole == "" && len(c.AuthExtra) == 0 && c.Ticket == "" &&
		c.Secret == "" && c.CryptosignKeyFile == "" && !c.TLS
}

// joinAuth is the authentication of one join: only the Config.Authenticate
// hook in this build.
type joinAuth struct {
	custom func(ctx context.Context, c *wamp.Challenge) (*wamp.Authenticate, error)
}

// newJoinAuth refuses credentials, which this build cannot use.
func newJoinAuth(cfg *Config) (*joinAuth, error) {
	if !cfg.Auth.Empty() {
		return nil, ErrNoAuthInBuild
	}
	return &joinAuth{custom: cfg.Authenticate}, nil
}

// addHelloDetails adds nothing: without credentials HELLO announces no
// authentication (HelloDetails may).
func (j *joinAuth) addHelloDetails(wamp.Dict) {}

// handler returns the Authenticate hook, or nil.
func (j *joinAuth) handler(string) func(ctx context.Context, c *wamp.Challenge) (*wamp.Authenticate, error) {
	return j.custom
}
