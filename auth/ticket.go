package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"

	"github.com/edgewamp/edgewamp/wamp"
)

// Ticket is the "ticket" method: the AUTHENTICATE signature is the ticket
// itself, sent in clear (use it over TLS only). It is immutable and safe for
// concurrent use.
type Ticket struct {
	Ticket string
}

// Name returns "ticket".
func (Ticket) Name() string { return MethodTicket }

// AuthExtra returns nil: ticket adds nothing to HELLO.
func (Ticket) AuthExtra() wamp.Dict { return nil }

// Respond answers with the ticket.
func (t Ticket) Respond(_ context.Context, _ *wamp.Challenge) (*wamp.Authenticate, error) {
	return &wamp.Authenticate{Signature: t.Ticket, Extra: wamp.Dict{}}, nil
}

// VerifyTicket reports whether got equals want, in time independent of
// their contents and of the length of the common prefix (both are hashed
// first, so not even the lengths leak through timing). It is for the router.
func VerifyTicket(want, got string) bool {
	w := sha256.Sum256([]byte(want))
	g := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(w[:], g[:]) == 1
}
