package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/internal/testcert"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
)

// TestTLSFilesPrivateCA: a router behind a private CA, whose certificate
// names localhost, is reached from the agent's configuration (tls.ca_file,
// tls.server_name, and a client certificate authenticating the device with
// the "tls" method) and from the CLI's flags; without the CA, or with a
// name the certificate does not carry, the join is refused.
func TestTLSFilesPrivateCA(t *testing.T) {
	dir := t.TempDir()
	ca, caFile := siteCA(t, dir)
	serverCert, serverKey := writePair(t, dir, "server")(ca.Server())
	clientCert, clientKey := writePair(t, dir, "dev1")(ca.Client("dev1"))
	r, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "site", Users: []minirouter.User{
		{AuthID: "dev1", AuthRole: "device", TLSClientCert: true},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l, err := listen.Open("rss://127.0.0.1:0", listen.Config{Cert: serverCert, Key: serverKey, ClientCA: caFile})
	if err != nil {
		t.Fatal(err)
	}
	go l.Serve(r)
	defer l.Close()
	url := "rss://" + l.Addr()

	// The agent joins as dev1 by its certificate and registers its status.
	conf := filepath.Join(dir, "agent.json")
	writeFile(t, conf, `{"router": "`+url+`", "realm": "site", "prefix": "dev1",
		"tls": {"ca_file": "`+caFile+`", "server_name": "localhost", "cert": "`+clientCert+`", "key": "`+clientKey+`"},
		"auth": {"authid": "dev1", "tls": true},
		"sensors": [{"name": "t", "kind": "simulated", "interval": "1s"}]}`)
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs syncBuffer
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"-config", conf}, &out, &logs) }()
	defer func() {
		cancel()
		select {
		case <-code:
		case <-time.After(10 * time.Second):
			t.Error("agent did not stop")
		}
	}()
	tlsFlags := []string{"-ca-file", caFile, "-server-name", "localhost", "-cert", clientCert, "-cert-key", clientKey, "-tls-auth", "-realm", "site"}
	var res, errb bytes.Buffer
	for i := 0; ; i++ {
		res.Reset()
		errb.Reset()
		if run(context.Background(), append([]string{"call", url, "dev1.status"}, tlsFlags...), &res, &errb) == 0 {
			break
		}
		if i == 500 {
			t.Fatalf("dev1.status never answered: %s\nagent logs: %s", errb.String(), logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "joined") {
		t.Errorf("agent logs: %s", logs.String())
	}

	// The CLI without the CA, or verifying a name the certificate lacks.
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"-realm", "site", "-cert", clientCert, "-cert-key", clientKey}, "certificate signed by unknown authority"},
		{[]string{"-realm", "site", "-ca-file", caFile, "-server-name", "gateway.example", "-cert", clientCert, "-cert-key", clientKey}, "gateway.example"},
		{[]string{"-realm", "site", "-ca-file", filepath.Join(dir, "none.pem")}, "TLS: CA file: open"},
		{[]string{"-realm", "site", "-ca-file", caFile, "-cert", clientCert}, "both its certificate and its key"},
		{[]string{"-realm", "site", "-ca-file", caFile, "-url", "rs://127.0.0.1:1"}, "TLS: set, but router rs://127.0.0.1:1 does not use TLS"},
	} {
		var o, e bytes.Buffer
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		target := url
		if i := slices.Index(c.flags, "-url"); i >= 0 { // a URL other than the router's
			target, c.flags = c.flags[i+1], c.flags[:i]
		}
		got := run(cctx, append([]string{"call", target, "dev1.status"}, c.flags...), &o, &e)
		ccancel()
		if got == 0 || !strings.Contains(e.String(), c.want) || strings.Count(strings.TrimSpace(e.String()), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", c.flags, got, e.String(), c.want)
		}
	}
}

// TestTLSFilesConfigErrors: the agent's tls keys are checked at start
// (and by -check), each problem one line naming the key.
func TestTLSFilesConfigErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	writeFile(t, notPEM, "not a certificate\n")
	for _, c := range []struct {
		config, want string
	}{
		{`{"router": "rss://127.0.0.1:1", "tls": {"ca_file": "` + filepath.Join(dir, "none.pem") + `"}}`, "config: tls: CA file: open"},
		{`{"router": "rss://127.0.0.1:1", "tls": {"ca_file": "` + notPEM + `"}}`, "no PEM certificate in it"},
		{`{"router": "rs://127.0.0.1:1", "tls": {"server_name": "gw"}}`, "config: tls: set, but router rs://127.0.0.1:1 does not use TLS"},
		{`{"router": "rss://127.0.0.1:1", "tls": {"cert": "/x.pem"}}`, "both its certificate and its key"},
		{`{"router": "rss://127.0.0.1:1", "tls": {"ca": "/x.pem"}}`, "tls.ca"},
	} {
		conf := filepath.Join(dir, "agent.json")
		writeFile(t, conf, c.config)
		var o, e bytes.Buffer
		got := run(context.Background(), []string{"-check", "-config", conf}, &o, &e)
		if got == 0 || !strings.Contains(e.String(), c.want) || strings.Count(strings.TrimSpace(e.String()), "\n") > 0 {
			t.Errorf("%s: exit %d, stderr %q, want one line with %q", c.config, got, e.String(), c.want)
		}
	}
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTLSFilesInBoardBuilds: a board build refuses a client certificate
// (left out for size) and keeps the private CA and the name; the minimal
// build, without TLS, refuses the tls object; each says what to do.
func TestTLSFilesInBoardBuilds(t *testing.T) {
	dir := t.TempDir()
	_, caFile := siteCA(t, dir)
	for _, c := range []struct {
		tags, tls string
		code      int
		want      string
	}{
		{"edgewamp_board", `{"ca_file": "` + caFile + `", "server_name": "gw"}`, 0, "configuration ok"},
		{"edgewamp_board", `{"cert": "/c.pem", "key": "/k.pem"}`, 1, "client certificates are left out of the board build"},
		{"edgewamp_board,edgewamp_notls", `{"ca_file": "` + caFile + `"}`, 2, "tls: this build has no TLS (edgewamp_notls); use the full edge-agent"},
	} {
		conf := filepath.Join(dir, "agent.json")
		writeFile(t, conf, `{"router": "rss://127.0.0.1:1", "tls": `+c.tls+`}`)
		code, out, errOut := runBinary(t, edgeAgentBinary(t, c.tags), "", "-check", "-config", conf)
		if code != c.code || !strings.Contains(out+errOut, c.want) {
			t.Errorf("tags %s, tls %s: exit %d, stdout %q, stderr %q; want exit %d and %q", c.tags, c.tls, code, out, errOut, c.code, c.want)
		}
	}
}

// siteCA makes a CA and writes its certificate into dir.
func siteCA(t *testing.T, dir string) (*testcert.CA, string) {
	t.Helper()
	ca, err := testcert.NewCA("site CA")
	if err != nil {
		t.Fatal(err)
	}
	caFile, err := ca.WriteCA(dir, "ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	return ca, caFile
}

// writePair returns a function writing an issued certificate and its key
// into dir as name.*, for writePair(t, dir, name)(ca.Server()).
func writePair(t *testing.T, dir, name string) func(tls.Certificate, error) (string, string) {
	return func(c tls.Certificate, err error) (string, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		certFile, keyFile, err := testcert.WritePair(c, dir, name)
		if err != nil {
			t.Fatal(err)
		}
		return certFile, keyFile
	}
}
