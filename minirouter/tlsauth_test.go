package minirouter_test

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/internal/testcert"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestTLSClientCertificateAuth: over rss://, a device whose client
// certificate the listener verified joins as the user named by the
// certificate's common name, with authmethod "tls" and no CHALLENGE; a
// certificate from another CA, none at all, a name that is no such user or
// a user without tls_client_cert, and a mismatched authid are refused.
func TestTLSClientCertificateAuth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ca, err := testcert.NewCA("site CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := testcert.NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	issue := func(ca *testcert.CA, cn string) tls.Certificate {
		c, err := ca.Client(cn)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	server, err := ca.Server()
	if err != nil {
		t.Fatal(err)
	}
	r, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "site", Users: []minirouter.User{
		{AuthID: "dev1", AuthRole: "device", TLSClientCert: true},
		{AuthID: "dev2", AuthRole: "device", Ticket: "t2"}, // no tls_client_cert
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l, err := rawsocket.Listen("tcp", "127.0.0.1:0", rawsocket.ListenConfig{TLS: &tls.Config{
		Certificates: []tls.Certificate{server},
		ClientAuth:   tls.VerifyClientCertIfGiven, ClientCAs: ca.Pool, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			r.Attach(ctx, c, nil)
		}
	}()
	url := "rss://" + l.Addr().String()
	join := func(cert *tls.Certificate, cred auth.Credentials) (*device.Client, error) {
		conf := &tls.Config{RootCAs: ca.Pool, MinVersion: tls.VersionTLS12}
		if cert != nil {
			conf.Certificates = []tls.Certificate{*cert}
		}
		return device.Dial(ctx, url, device.Config{Realm: "site", TLS: conf, Auth: cred, Logger: slog.New(slog.DiscardHandler)})
	}
	dev1 := issue(ca, "dev1")
	c, err := join(&dev1, auth.Credentials{TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := c.RouterDetails(); d["authid"] != "dev1" || d["authrole"] != "device" || d["authmethod"] != "tls" {
		t.Errorf("WELCOME details %v", d)
	}
	c.Close()
	stranger, dev2, nobody := issue(other, "dev1"), issue(ca, "dev2"), issue(ca, "nobody")
	for _, tt := range []struct {
		name string
		cert *tls.Certificate
		cred auth.Credentials
	}{
		{"no certificate", nil, auth.Credentials{TLS: true}},
		{"another CA's certificate", &stranger, auth.Credentials{TLS: true}},
		{"user without tls_client_cert", &dev2, auth.Credentials{TLS: true}},
		{"no such user", &nobody, auth.Credentials{TLS: true}},
		{"another authid", &dev1, auth.Credentials{TLS: true, AuthID: "dev2"}},
	} {
		c, err := join(tt.cert, tt.cred)
		var we *wamp.Error
		if err == nil {
			c.Close()
			t.Errorf("%s: joined", tt.name)
		} else if !errors.As(err, &we) && tt.name != "another CA's certificate" {
			t.Errorf("%s: %v, want an ABORT", tt.name, err)
		}
	}
	// AutobahnPython presents its certificate over rss:// and joins by it.
	if py := autobahnPython(t); py != "" {
		dir := t.TempDir()
		caFile, err := ca.WriteCA(dir, "ca.pem")
		if err != nil {
			t.Fatal(err)
		}
		certFile, keyFile, err := testcert.WritePair(dev1, dir, "dev1")
		if err != nil {
			t.Fatal(err)
		}
		host, port, _ := net.SplitHostPort(l.Addr().String())
		out, err := exec.CommandContext(ctx, py, "testdata/will_peer.py", host, port, "tls", caFile, certFile, keyFile).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "TLS dev1 device tls") {
			t.Errorf("AutobahnPython with a client certificate: %v\n%s", err, out)
		}
	}
	// The certificate does not stop another method: dev2 with its ticket.
	if c, err := join(&dev2, auth.Credentials{AuthID: "dev2", Ticket: "t2", TLS: true}); err != nil {
		t.Errorf("dev2 by ticket over a client-certificate connection: %v", err)
	} else {
		c.Close()
	}
}
