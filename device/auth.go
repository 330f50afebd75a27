//go:build !edgewamp_noauth

package device

import (
	"context"
	"maps"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/wamp"
)

// Credentials is the type of [Config.Auth]: package auth's credentials. In
// a build with the edgewamp_noauth tag (the minimal edge-agent, which links
// none of auth's cryptography) it is a plain struct with the same fields,
// and a join with any of them set fails saying the build lacks
// authentication; Config.Authenticate still works there.
type Credentials = auth.Credentials

// joinAuth is the authentication of one join: the authenticator built from
// Config.Auth (nil without credentials) and the Config.Authenticate hook.
type joinAuth struct {
	creds  *auth.Authenticator
	custom func(ctx context.Context, c *wamp.Challenge) (*wamp.Authenticate, error)
}

// newJoinAuth prepares the authentication of a join. It reads
// Config.Auth.CryptosignKeyFile when that is used, so a rotated key is picked
// up at the next join.
func newJoinAuth(cfg *Config) (*joinAuth, error) {
	a, err := cfg.Auth.Authenticator()
	if err != nil {
		return nil, err
	}
	return &joinAuth{creds: a, custom: cfg.Authenticate}, nil
}

// addHelloDetails puts the authentication entries (authmethods, authid,
// authrole, authextra) into the HELLO details d.
func (j *joinAuth) addHelloDetails(d wamp.Dict) {
	if j.creds != nil {
		maps.Copy(d, j.creds.HelloDetails())
	}
}

// handler returns what answers a CHALLENGE for method: the credentials when
// they offer it, else the Authenticate hook, else the credentials again
// (which fail with auth.ErrMethodNotOffered); nil when nothing is configured.
func (j *joinAuth) handler(method string) func(ctx context.Context, c *wamp.Challenge) (*wamp.Authenticate, error) {
	switch {
	case j.creds != nil && j.creds.Offers(method):
		return j.creds.Authenticate
	case j.custom != nil:
		return j.custom
	case j.creds != nil:
		return j.creds.Authenticate
	}
	return nil
}
