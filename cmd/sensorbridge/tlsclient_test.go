package main

import (
	"context"
	"crypto/tls"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/internal/testcert"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestUplinkTLSClientCertificate: the upstream sensorbridge's rss://
// listener verifies client certificates against its client_ca, and its
// realm has a user authenticated by certificate; the gateway's uplink
// presents a certificate for that user (cert, key) and authenticates with
// the "tls" method. An upstream client then calls the gateway's demo
// light.
func TestUplinkTLSClientCertificate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	ca, err := testcert.NewCA("site CA")
	if err != nil {
		t.Fatal(err)
	}
	caFile, err := ca.WriteCA(dir, "ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	server, err := ca.Server()
	if err != nil {
		t.Fatal(err)
	}
	serverCert, serverKey, err := testcert.WritePair(server, dir, "server")
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.Client("site7")
	if err != nil {
		t.Fatal(err)
	}
	clientCert, clientKey, err := testcert.WritePair(client, dir, "site7")
	if err != nil {
		t.Fatal(err)
	}
	var rssAddr, rsAddr string
	for try := 1; ; try++ {
		rssAddr, rsAddr = freePort(t), freePort(t)
		_, err := startSensorbridge(t, map[string]any{
			"listeners": []any{
				map[string]any{"url": "rss://" + rssAddr, "cert": serverCert, "key": serverKey, "client_ca": caFile},
				map[string]any{"url": "rs://" + rsAddr},
			},
			"realms": []any{map[string]any{"name": "cloud", "users": []any{
				map[string]any{"authid": "site7", "authrole": "gateway", "tls_client_cert": true},
				map[string]any{"authid": "viewer", "ticket": "v1ewer"},
			}}},
		})
		if err == nil {
			break
		}
		if try == 5 || !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatalf("upstream sensorbridge: %v", err)
		}
	}
	// A client with the certificate joins as site7 by the "tls" method.
	c := dialRetry(t, ctx, "rss://"+rssAddr, device.Config{Realm: "cloud", Auth: auth.Credentials{TLS: true},
		TLS: &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{client}, MinVersion: tls.VersionTLS12}})
	if d := c.RouterDetails(); d["authid"] != "site7" || d["authmethod"] != "tls" {
		t.Errorf("WELCOME details %v", d)
	}
	c.Close()

	mustStart(t, map[string]any{
		"listeners":     []any{map[string]any{"url": "unix://" + filepath.Join(dir, "gw.sock")}},
		"demo":          true,
		"demo_interval": "50ms",
		"uplink": map[string]any{
			"url": "rss://" + rssAddr, "realm": "cloud", "ca_file": caFile, "cert": clientCert, "key": clientKey,
			"auth": map[string]any{"tls": true}, "min_backoff": "20ms", "max_backoff": "200ms",
			"export": []any{map[string]any{"local": "light.", "upstream": "com.acme.site7.light."}},
		},
	})
	x := dialRetry(t, ctx, "rs://"+rsAddr, device.Config{Realm: "cloud", Auth: auth.Credentials{AuthID: "viewer", Ticket: "v1ewer"}})
	for {
		res, err := x.Call(ctx, "com.acme.site7.light.set", wamp.Payload{Args: wamp.List{true}}, nil)
		if err == nil {
			if len(res.Args) != 1 || res.Args[0] != true {
				t.Fatalf("light.set returned %v", res.Args)
			}
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("light.set never callable upstream: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
