//go:build !edgewamp_noauth

package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestAuthenticatedCommands: keygen makes a key whose public key a realm
// accepts for cryptosign; call authenticates with -key, -ticket and
// -secret, and fails cleanly with a wrong ticket.
func TestAuthenticatedCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "dev1.key")
	var o, e bytes.Buffer
	if code := run(ctx, []string{"keygen", keyFile}, &o, &e); code != 0 {
		t.Fatalf("keygen: exit %d: %s", code, e.String())
	}
	pub := strings.TrimSpace(o.String())
	if len(pub) != 64 {
		t.Fatalf("keygen printed %q, want 64 hex characters", pub)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, fi.Mode())
	}
	e.Reset()
	if code := run(ctx, []string{"keygen", keyFile}, &o, &e); code != 1 || !strings.Contains(e.String(), "exists") {
		t.Errorf("keygen over an existing file: exit %d, %q", code, e.String())
	}

	r, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "site", Users: []minirouter.User{
		{AuthID: "dev1", CryptosignKeys: []string{pub}},
		{AuthID: "ui", Ticket: "t1"},
		{AuthID: "ops", Secret: "s3"},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	path := filepath.Join(dir, "r.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	go listen.Serve(r, l, listen.Config{})
	url := "unix://" + path
	tr, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	callee, err := device.NewClient(ctx, tr, device.Config{Realm: "site", Auth: device.Credentials{AuthID: "ui", Ticket: "t1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer callee.Close()
	if _, err := callee.Register(ctx, "whoami", func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
		return wamp.Payload{Args: wamp.List{inv.Details["caller_authid"]}}, nil
	}, &device.RegisterOptions{DiscloseCaller: true}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		flags []string
		code  int
		out   string
	}{
		{[]string{"-authid", "dev1", "-key", keyFile}, 0, `["dev1"]`},
		{[]string{"-key", keyFile}, 0, `["dev1"]`}, // found by its public key
		{[]string{"-authid", "ui", "-ticket", "t1"}, 0, `["ui"]`},
		{[]string{"-authid", "ops", "-secret", "s3"}, 0, `["ops"]`},
		{[]string{"-authid", "ui", "-ticket", "wrong"}, 1, "wamp.error.authentication_failed"},
		{nil, 1, "wamp.error.no_auth_method"},
	} {
		o.Reset()
		e.Reset()
		argv := append([]string{"call", "-realm", "site"}, tt.flags...)
		argv = append(argv, url, "whoami")
		code := run(ctx, argv, &o, &e)
		if code != tt.code || !strings.Contains(o.String()+e.String(), tt.out) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d and %q", tt.flags, code, o.String(), e.String(), tt.code, tt.out)
		}
	}
}
