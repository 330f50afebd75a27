package minirouter_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// authUsers returns a user for each method and the matching client
// credentials, by method name.
func authUsers(t *testing.T) ([]minirouter.User, map[string]auth.Credentials) {
	t.Helper()
	key, err := auth.GenerateCryptosignKey()
	if err != nil {
		t.Fatal(err)
	}
	users := []minirouter.User{
		{AuthID: "tic", AuthRole: "gateway", Ticket: "t1cket"},
		{AuthID: "cra", Secret: "s3cret"},
		{AuthID: "salted", Secret: "pa55", Salt: "salt123", Iterations: 100, KeyLen: 32},
		{AuthID: "cs", AuthRole: "gateway", CryptosignKeys: []string{auth.CryptosignPublicKey(key)}},
	}
	creds := map[string]auth.Credentials{
		"ticket":        {AuthID: "tic", Ticket: "t1cket"},
		"wampcra":       {AuthID: "cra", Secret: "s3cret"},
		"wampcra-salt":  {AuthID: "salted", Secret: "pa55"},
		"cryptosign":    {AuthID: "cs", CryptosignKey: key},
		"cryptosign-id": {CryptosignKey: key},
	}
	return users, creds
}

// join returns an in-process device client of r's realm.
func join(t *testing.T, ctx context.Context, r *minirouter.Router, realm wamp.URI) *device.Client {
	t.Helper()
	tr, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := device.NewClient(ctx, tr, device.Config{Realm: realm})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRealmAuth joins a realm with users by each method, and checks the
// refusals: wrong ticket, wrong secret, an unknown key, no credentials.
func TestRealmAuth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	users, creds := authUsers(t)
	r, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "cloud", Users: users}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	other, _ := auth.GenerateCryptosignKey()
	tests := []struct {
		name            string
		cred            auth.Credentials
		authid, role    string
		method, wantErr string
	}{
		{"ticket", creds["ticket"], "tic", "gateway", "ticket", ""},
		{"wampcra", creds["wampcra"], "cra", "user", "wampcra", ""},
		{"wampcra-salt", creds["wampcra-salt"], "salted", "user", "wampcra", ""},
		{"cryptosign", creds["cryptosign"], "cs", "gateway", "cryptosign", ""},
		{"cryptosign-no-authid", creds["cryptosign-id"], "cs", "gateway", "cryptosign", ""},
		{"bad ticket", auth.Credentials{AuthID: "tic", Ticket: "nope"}, "", "", "", "wamp.error.authentication_failed"},
		{"bad secret", auth.Credentials{AuthID: "cra", Secret: "nope"}, "", "", "", "wamp.error.authentication_failed"},
		{"unknown key", auth.Credentials{CryptosignKey: other}, "", "", "", "wamp.error.authentication_failed"}, // a decoy challenge
		{"unknown authid", auth.Credentials{AuthID: "nobody", Ticket: "t1cket"}, "", "", "", "wamp.error.authentication_failed"},
		{"unknown authid, CRA", auth.Credentials{AuthID: "nobody", Secret: "s"}, "", "", "", "wamp.error.authentication_failed"},
		{"anonymous", auth.Credentials{}, "", "", "", "wamp.error.no_auth_method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := r.Connect(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c, err := device.NewClient(ctx, tr, device.Config{Realm: "cloud", Auth: tt.cred, Logger: slog.New(slog.DiscardHandler)})
			if tt.wantErr != "" {
				var we *wamp.Error
				if err == nil || !errors.As(err, &we) || string(we.URI) != tt.wantErr {
					t.Fatalf("join: %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			d := c.RouterDetails()
			if d["authid"] != tt.authid || d["authrole"] != tt.role || d["authmethod"] != tt.method {
				t.Errorf("WELCOME details %v", d)
			}
		})
	}
	if _, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "x",
		Users: []minirouter.User{{AuthID: "k", CryptosignKeys: []string{"zz"}}}}}}); err == nil {
		t.Error("a bad public key was accepted")
	}
}

// TestAuthFailuresThrottled: after the burst of failures from one source,
// even the right ticket is refused unchecked (with the same ABORT URI)
// until a token comes back. In-process sources are throttled only with
// LimitLocal.
func TestAuthFailuresThrottled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	users, creds := authUsers(t)
	const interval = 300 * time.Millisecond
	r, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "cloud", Users: users}},
		AuthFailureBurst: 3, AuthFailureInterval: interval, LimitLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	try := func(cred auth.Credentials) error {
		tr, err := r.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := device.NewClient(ctx, tr, device.Config{Realm: "cloud", Auth: cred, Logger: slog.New(slog.DiscardHandler)})
		if err == nil {
			c.Close()
		}
		return err
	}
	wrong := auth.Credentials{AuthID: "tic", Ticket: "nope"}
	for i := range 3 {
		if err := try(wrong); !errors.Is(err, wamp.ErrAuthenticationFailed) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	start := time.Now()
	if err := try(creds["ticket"]); !errors.Is(err, wamp.ErrAuthenticationFailed) {
		t.Fatalf("right ticket right after the burst: %v, want refused", err)
	}
	if st := r.Stats(); st.AuthFailures != 3 || st.AuthThrottled != 1 {
		t.Errorf("AuthFailures %d, AuthThrottled %d; want 3, 1", st.AuthFailures, st.AuthThrottled)
	}
	time.Sleep(interval - time.Since(start) + 20*time.Millisecond) // a token comes back
	if err := try(creds["ticket"]); err != nil {
		t.Errorf("right ticket after the interval: %v", err)
	}
}

func TestAuthFailuresLocalNotThrottled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	users, creds := authUsers(t)
	r, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "cloud", Users: users}},
		AuthFailureBurst: 1, AuthFailureInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i, cred := range []auth.Credentials{{AuthID: "tic", Ticket: "a"}, {AuthID: "tic", Ticket: "b"}, creds["ticket"]} {
		tr, err := r.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := device.NewClient(ctx, tr, device.Config{Realm: "cloud", Auth: cred, Logger: slog.New(slog.DiscardHandler)})
		if (err == nil) != (i == 2) {
			t.Fatalf("attempt %d: %v", i, err)
		}
		if err == nil {
			c.Close()
		}
	}
	if st := r.Stats(); st.AuthFailures != 2 || st.AuthThrottled != 0 {
		t.Errorf("AuthFailures %d, AuthThrottled %d; want 2, 0", st.AuthFailures, st.AuthThrottled)
	}
}
