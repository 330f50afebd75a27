package auth

import (
	"context"
	"fmt"

	"github.com/edgewamp/edgewamp/wamp"
)

// MethodTLS is the "tls" authmethod: the client is who its TLS client
// certificate says, as checked by the router's listener; no CHALLENGE is
// exchanged.
const MethodTLS = "tls"

// TLSClientCert offers the "tls" authmethod. The certificate itself is the
// transport's (the TLS configuration of the dial), not this method's.
type TLSClientCert struct{}

// Name returns "tls".
func (TLSClientCert) Name() string { return MethodTLS }

// AuthExtra returns nil.
func (TLSClientCert) AuthExtra() wamp.Dict { return nil }

// Respond fails: the "tls" method has no CHALLENGE.
func (TLSClientCert) Respond(context.Context, *wamp.Challenge) (*wamp.Authenticate, error) {
	return nil, fmt.Errorf("%w: the tls method has no challenge", ErrBadChallenge)
}
