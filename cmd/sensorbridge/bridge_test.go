package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startSensorbridge writes fc as a config file and runs sensorbridge with
// it until the test ends. It returns once every listener (and the
// dashboard, when configured) is up, with the address each listener URL
// and "dashboard" listens on (from its JSON log), or the error that
// stopped sensorbridge from starting.
func startSensorbridge(t *testing.T, fc map[string]any) (map[string]string, error) {
	t.Helper()
	cfg, logs, done, cancel := launch(t, fc)
	want := len(cfg.listeners)
	if cfg.dashboard != nil {
		want++
	}
	addrs := map[string]string{}
	for len(addrs) < want {
		select {
		case err := <-done:
			cancel()
			if err == nil {
				err = errors.New("sensorbridge stopped before listening")
			}
			return nil, err
		case <-time.After(5 * time.Millisecond):
		}
		for l := range strings.Lines(logs.String()) {
			var rec struct{ Msg, URL, Addr string }
			if json.Unmarshal([]byte(l), &rec) != nil {
				continue
			}
			switch rec.Msg {
			case "listening":
				addrs[rec.URL] = rec.Addr
			case "dashboard":
				addrs["dashboard"] = rec.Addr
			}
		}
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("sensorbridge did not stop")
		}
		if t.Failed() || testing.Verbose() {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	return addrs, nil
}

// launch writes fc as a config file and runs sensorbridge with it, its
// logs (JSON) going to logs, until cancel; run's result arrives on done.
func launch(t *testing.T, fc map[string]any) (cfg *config, logs *syncBuffer, done chan error, cancel context.CancelFunc) {
	t.Helper()
	b, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sb.json")
	os.WriteFile(path, b, 0o600)
	cfg, err = parseFlags([]string{"-config", path}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	logs = &syncBuffer{}
	cfg.logger, _ = newLogger("debug", "json", logs)
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan error, 1)
	go func() { done <- run(ctx, cfg) }()
	return cfg, logs, done, cancel
}

// mustStart starts sensorbridge or fails the test; it returns the
// listening addresses as startSensorbridge does.
func mustStart(t *testing.T, fc map[string]any) map[string]string {
	t.Helper()
	addrs, err := startSensorbridge(t, fc)
	if err != nil {
		t.Fatalf("sensorbridge: %v", err)
	}
	return addrs
}

// dialRetry dials until the listener is up or ctx ends.
func dialRetry(t *testing.T, ctx context.Context, url string, cfg device.Config) *device.Client {
	t.Helper()
	for {
		c, err := device.Dial(ctx, url, cfg)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return c
		}
		select {
		case <-ctx.Done():
			t.Fatalf("dial %s: %v", url, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestBridgeToSensorbridge runs two sensorbridges from config files: a
// gateway with the demo device, and its upstream, joined over RawSocket
// and WebSocket, with TLS (wss://, rss://) and on one unisocket port; the
// upstream realm demands authentication of the gateway (ticket, and
// cryptosign with a key file). An upstream client switches the demo light
// (an exported procedure) and receives temperatures (published up).
func TestBridgeToSensorbridge(t *testing.T) {
	cert, key := writeCert(t, t.TempDir())
	keyFile := filepath.Join(t.TempDir(), "gateway.key")
	csKey, err := auth.GenerateCryptosignKey()
	if err != nil {
		t.Fatal(err)
	}
	kb, err := auth.MarshalCryptosignKey(csKey)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(keyFile, kb, 0o600)
	users := []any{
		map[string]any{"authid": "site7", "authrole": "gateway", "ticket": "t1cket"},
		map[string]any{"authid": "viewer", "ticket": "v1ewer"},
		map[string]any{"authid": "site7-cs", "authrole": "gateway", "cryptosign_pubkeys": []any{auth.CryptosignPublicKey(csKey)}},
	}
	for _, via := range []string{"rs", "wss", "rss", "uni-rs", "uni-ws", "rs-cryptosign", "rs-cbor", "uni-ws-cbor"} {
		t.Run(via, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// freePort's ports may be taken again before sensorbridge binds
			// them (other tests run in parallel): try fresh ones then.
			var rsAddr, wssAddr, rssAddr, uniAddr string
			for try := 1; ; try++ {
				rsAddr, wssAddr, rssAddr, uniAddr = freePort(t), freePort(t), freePort(t), freePort(t)
				_, err := startSensorbridge(t, map[string]any{
					"listeners": []any{
						map[string]any{"url": "rs://" + rsAddr},
						map[string]any{"url": "wss://" + wssAddr + "/ws", "cert": cert, "key": key},
						map[string]any{"url": "rss://" + rssAddr, "cert": cert, "key": key},
						map[string]any{"url": "uni://" + uniAddr + "/ws"},
					},
					"realms": []any{map[string]any{"name": "cloud", "users": users}},
				})
				if err == nil {
					break
				}
				if try == 5 || !errors.Is(err, syscall.EADDRINUSE) {
					t.Fatalf("upstream sensorbridge: %v", err)
				}
			}
			upURL := map[string]string{
				"rs":     "rs://" + rsAddr,
				"wss":    "wss://" + wssAddr + "/ws",
				"rss":    "rss://" + rssAddr,
				"uni-rs": "rs://" + uniAddr + "?serializer=json",
				"uni-ws": "ws://" + uniAddr + "/ws?serializer=msgpack",
				// CBOR, which sensorbridge's listeners accept by default.
				"rs-cbor":     "rs://" + rsAddr + "?serializer=cbor",
				"uni-ws-cbor": "ws://" + uniAddr + "/ws?serializer=cbor",
			}[via]
			creds := map[string]any{"authid": "site7", "ticket": "t1cket"}
			if via == "rs-cryptosign" {
				upURL = "rs://" + rsAddr
				creds = map[string]any{"authid": "site7-cs", "cryptosign_key_file": keyFile}
			}
			gwSock := filepath.Join(t.TempDir(), "gw.sock")
			mustStart(t, map[string]any{
				"listeners":     []any{map[string]any{"url": "unix://" + gwSock}},
				"demo":          true,
				"demo_interval": "20ms",
				"uplink": map[string]any{
					"url": upURL, "realm": "cloud", "ca_file": cert, "auth": creds,
					"min_backoff": "20ms", "max_backoff": "200ms",
					"publish": []any{map[string]any{"local": "temperature", "upstream": "com.acme.site7.temperature", "match": "exact"}},
					"export":  []any{map[string]any{"local": "light.", "upstream": "com.acme.site7.light."}},
				},
			})
			x := dialRetry(t, ctx, "rs://"+rsAddr, device.Config{Realm: "cloud", Auth: auth.Credentials{AuthID: "viewer", Ticket: "v1ewer"}})
			temps := make(chan wamp.Payload, 16)
			if _, err := x.Subscribe(ctx, "com.acme.site7.temperature", func(ev *device.Event) {
				select {
				case temps <- ev.Payload:
				default:
				}
			}, nil); err != nil {
				t.Fatal(err)
			}
			for {
				res, err := x.Call(ctx, "com.acme.site7.light.set", wamp.Payload{Args: wamp.List{true}}, nil)
				if err == nil {
					if len(res.Args) != 1 || res.Args[0] != true {
						t.Fatalf("light.set returned %v", res.Args)
					}
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("light.set never callable upstream: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			select {
			case p := <-temps:
				if _, ok := p.Args[0].(float64); !ok || p.Kwargs["unit"] != "C" {
					t.Errorf("temperature %+v", p)
				}
			case <-ctx.Done():
				t.Fatal("no temperature upstream")
			}
			// The gateway's counters, through its stats procedure.
			c := dialRetry(t, ctx, "unix://"+gwSock, device.Config{})
			res, err := c.Call(ctx, statsProcedure, wamp.Payload{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ul, _ := res.Kwargs["uplink"].(wamp.Dict)
			rt, _ := res.Kwargs["router"].(wamp.Dict)
			if exp, _ := wamp.OptInt(ul, "exported"); ul["state"] != "joined" || exp < 1 ||
				fmt.Sprint(ul["calls_in"], rt["sessions"]) != "1 4" {
				t.Errorf("stats %v", res.Kwargs)
			}
		})
	}
}
