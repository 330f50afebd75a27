package auth

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

func TestTLSMethod(t *testing.T) {
	c := Credentials{TLS: true}
	if c.IsZero() {
		t.Fatal("TLS alone counts as no credentials")
	}
	a, err := c.Authenticator()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Names(), []string{MethodTLS}) {
		t.Errorf("methods %v", a.Names())
	}
	if d := a.HelloDetails(); d["authid"] != nil {
		t.Errorf("HELLO details %v: no authid needed", d)
	}
	b, _ := (&Credentials{AuthID: "dev", Ticket: "t", TLS: true}).Authenticator()
	if !slices.Equal(b.Names(), []string{MethodTicket, MethodTLS}) {
		t.Errorf("with a ticket: %v, want the ticket first", b.Names())
	}
	if _, err := (TLSClientCert{}).Respond(context.Background(), &wamp.Challenge{AuthMethod: MethodTLS}); !errors.Is(err, ErrBadChallenge) {
		t.Errorf("Respond = %v", err)
	}
}
