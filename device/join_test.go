package device

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

func TestJoin(t *testing.T) {
	r, ch := dialScript(t, Config{Realm: "com.example", HelloDetails: wamp.Dict{"authid": "dev7"}})
	h := expect[*wamp.Hello](r)
	if h.Realm != "com.example" {
		t.Errorf("realm = %q", h.Realm)
	}
	if h.Details["authid"] != "dev7" {
		t.Errorf("authid = %v", h.Details["authid"])
	}
	roles, _ := h.Details["roles"].(wamp.Dict)
	for _, role := range []string{"caller", "callee", "publisher", "subscriber"} {
		if _, ok := roles[role]; !ok {
			t.Errorf("HELLO roles lack %q: %v", role, roles)
		}
	}
	r.send(&wamp.Welcome{Session: 7, Details: wamp.Dict{"roles": wamp.Dict{"broker": wamp.Dict{}}}})
	c, err := wait(t, ch)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID() != 7 {
		t.Errorf("ID = %d, want 7", c.ID())
	}
	if _, ok := c.RouterDetails()["roles"]; !ok {
		t.Errorf("RouterDetails = %v", c.RouterDetails())
	}
	if c.Err() != nil {
		t.Errorf("Err = %v while open", c.Err())
	}
}

func TestJoinDefaultRealm(t *testing.T) {
	r, ch := dialScript(t, Config{})
	if h := expect[*wamp.Hello](r); h.Realm != "realm1" {
		t.Errorf("realm = %q, want realm1", h.Realm)
	}
	r.send(&wamp.Welcome{Session: 1, Details: wamp.Dict{}})
	if _, err := wait(t, ch); err != nil {
		t.Fatal(err)
	}
}

func TestJoinRefused(t *testing.T) {
	tests := []struct {
		name   string
		script func(r *fakeRouter)
		want   error
		text   string
	}{
		{"abort", func(r *fakeRouter) {
			r.send(&wamp.Abort{Details: wamp.Dict{"message": "no realm here"}, Reason: wamp.ErrNoSuchRealm.URI})
		}, wamp.ErrNoSuchRealm, "no realm here"},
		{"challenge without authenticator", func(r *fakeRouter) {
			r.send(&wamp.Challenge{AuthMethod: "ticket", Extra: wamp.Dict{}})
			if a := expect[*wamp.Abort](r); a.Reason != wamp.ErrAuthenticationFailed.URI {
				r.t.Errorf("ABORT reason = %q", a.Reason)
			}
		}, wamp.ErrAuthenticationFailed, "Authenticate is nil"},
		{"message before welcome", func(r *fakeRouter) {
			r.send(&wamp.Result{Request: 1, Details: wamp.Dict{}})
			if a := expect[*wamp.Abort](r); a.Reason != wamp.ErrProtocolViolation.URI {
				r.t.Errorf("ABORT reason = %q", a.Reason)
			}
		}, wamp.ErrProtocolViolation, "RESULT"},
		{"session id zero", func(r *fakeRouter) {
			r.send(&wamp.Welcome{Session: 0, Details: wamp.Dict{}})
			expect[*wamp.Abort](r)
		}, wamp.ErrProtocolViolation, "invalid session"},
		{"connection lost", func(r *fakeRouter) {
			r.conn.Close(nil)
		}, nil, "join"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ch := dialScript(t, Config{})
			expect[*wamp.Hello](r)
			tt.script(r)
			c, err := wait(t, ch)
			if err == nil || c != nil {
				t.Fatalf("join = %v, %v; want an error", c, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("err = %q, want it to mention %q", err, tt.text)
			}
		})
	}
}

func TestJoinAuthenticate(t *testing.T) {
	var got *wamp.Challenge
	cfg := Config{
		HelloDetails: wamp.Dict{"authmethods": wamp.List{"ticket"}, "authid": "joe"},
		Authenticate: func(ctx context.Context, c *wamp.Challenge) (*wamp.Authenticate, error) {
			got = c
			return &wamp.Authenticate{Signature: "secret!"}, nil
		},
	}
	r, ch := dialScript(t, cfg)
	expect[*wamp.Hello](r)
	r.send(&wamp.Challenge{AuthMethod: "ticket", Extra: wamp.Dict{}})
	if a := expect[*wamp.Authenticate](r); a.Signature != "secret!" {
		t.Errorf("signature = %q", a.Signature)
	}
	r.send(&wamp.Welcome{Session: 9, Details: wamp.Dict{"authid": "joe"}})
	c, err := wait(t, ch)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || got.AuthMethod != "ticket" || c.ID() != 9 {
		t.Errorf("challenge = %+v, id = %d", got, c.ID())
	}
}

func TestJoinAuthenticateFails(t *testing.T) {
	boom := errors.New("no key")
	cfg := Config{Authenticate: func(ctx context.Context, c *wamp.Challenge) (*wamp.Authenticate, error) {
		return nil, boom
	}}
	r, ch := dialScript(t, cfg)
	expect[*wamp.Hello](r)
	r.send(&wamp.Challenge{AuthMethod: "cryptosign", Extra: wamp.Dict{}})
	expect[*wamp.Abort](r)
	if _, err := wait(t, ch); !errors.Is(err, boom) {
		t.Errorf("err = %v, want %v", err, boom)
	}
}

func TestJoinTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := peer.Pipe(wamp.JSON, 0)
		defer b.Close()
		start := time.Now()
		_, err := NewClient(context.Background(), a, Config{JoinTimeout: 3 * time.Second, Logger: quietLogger()})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("join failed after %v, want 3s", d)
		}
	})
}

func TestJoinContextCancelled(t *testing.T) {
	a, b := peer.Pipe(wamp.JSON, 0)
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := NewClient(ctx, a, Config{Logger: quietLogger()})
		errc <- err
	}()
	cancel()
	if err := recvWithin(t, errc); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want Canceled", err)
	}
}
