package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		argv    []string
		listen  string
		realm   string
		wantErr string
	}{
		{argv: nil, listen: defaultListen + "," + defaultListenWS, realm: "realm1"},
		{argv: []string{"-listen", "rs://0.0.0.0:9000", "-listen", "unix:///tmp/x.sock", "-realm", "site7"}, listen: "rs://0.0.0.0:9000,unix:///tmp/x.sock", realm: "site7"},
		{argv: []string{"-log-level", "loud"}, wantErr: "-log-level"},
		{argv: []string{"-log-format", "xml"}, wantErr: "-log-format"},
		{argv: []string{"-demo-interval", "0s"}, wantErr: "-demo-interval"},
		{argv: []string{"extra"}, wantErr: "unexpected argument"},
		{argv: []string{"-version", "-realm", "x"}, wantErr: "-version"}, // errShowVersion: main prints the version
	}
	for _, tt := range tests {
		cfg, err := parseFlags(tt.argv, io.Discard)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseFlags(%q) error %v, want one about %q", tt.argv, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseFlags(%q): %v", tt.argv, err)
			continue
		}
		var urls []string
		for _, l := range cfg.listeners {
			urls = append(urls, l.URL)
		}
		if got := strings.Join(urls, ","); got != tt.listen || len(cfg.realms) != 1 || string(cfg.realms[0].Name) != tt.realm {
			t.Errorf("parseFlags(%q) = listen %q realms %v, want %q %q", tt.argv, got, cfg.realms, tt.listen, tt.realm)
		}
	}
}

func TestListenURLs(t *testing.T) {
	dir := t.TempDir()
	for _, bad := range []string{"http://127.0.0.1:0/ws", "rs://", "ws://127.0.0.1", "wss://127.0.0.1:0/ws", "rss://127.0.0.1:0", "unix://relative/x", "::bad"} {
		if l, err := openListener(listenSpec{URL: bad}, limitsSpec{}, nil); err == nil {
			l.Close()
			t.Errorf("listen(%q) succeeded, want an error", bad)
		}
	}
	if l, err := openListener(listenSpec{URL: "rs://127.0.0.1:0", ClientCA: "ca.pem"}, limitsSpec{}, nil); err == nil {
		l.Close()
		t.Error("client_ca on a listener without TLS accepted")
	}
	// A stale socket file from an earlier run is replaced; a live one is not.
	path := filepath.Join(dir, "s.sock")
	g1, err := openListener(listenSpec{URL: "unix://" + path}, limitsSpec{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := openListener(listenSpec{URL: "unix://" + path}, limitsSpec{}, nil); err == nil {
		l.Close()
		t.Fatal("listen on a socket another listener serves succeeded")
	}
	g1.Close()
	stale, err := net.Listen("unix", path) // and closed without removing its file
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	l2, err := openListener(listenSpec{URL: "unix://" + path}, limitsSpec{}, nil)
	if err != nil {
		t.Fatalf("listen over a stale socket: %v", err)
	}
	l2.Close()
	// A regular file in the way is left alone.
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("keep"), 0o600)
	if l, err := openListener(listenSpec{URL: "unix://" + file}, limitsSpec{}, nil); err == nil {
		l.Close()
		t.Fatal("listen over a regular file succeeded")
	}
}

// TestRunDemo runs the gateway with its demo device, switches the light and
// reads temperatures through a RawSocket client, then shuts it down.
func TestRunDemo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sb.sock")
	var logs syncBuffer
	cfg, err := parseFlags([]string{"-demo", "-demo-interval", "20ms", "-listen", "unix://" + path, "-log-format", "json"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.logger, _ = newLogger("info", "json", &logs)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg) }()

	cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer ccancel()
	var c *device.Client
	for c == nil {
		c, err = device.Dial(cctx, "unix://"+path, device.Config{})
		if err != nil {
			if cctx.Err() != nil {
				t.Fatalf("dial: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	events := make(chan wamp.Payload, 8)
	if _, err := c.Subscribe(cctx, "temperature", func(ev *device.Event) {
		select {
		case events <- ev.Payload:
		default:
		}
	}, nil); err != nil {
		t.Fatal(err)
	}
	for {
		res, err := c.Call(cctx, "light.set", wamp.Payload{Args: wamp.List{true}}, nil)
		if err == nil {
			if len(res.Args) != 1 || res.Args[0] != true {
				t.Fatalf("light.set returned %v", res.Args)
			}
			break
		}
		if cctx.Err() != nil {
			t.Fatalf("light.set: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case p := <-events:
		if v, ok := p.Args[0].(float64); !ok || v < 18 || v > 25 || p.Kwargs["unit"] != "C" {
			t.Fatalf("temperature event %+v", p)
		}
	case <-cctx.Done():
		t.Fatal("no temperature event")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("client session still open after the gateway shut down")
	}
	if !strings.Contains(logs.String(), "demo light switched") {
		t.Errorf("logs lack the light switch: %s", logs.String())
	}
}
