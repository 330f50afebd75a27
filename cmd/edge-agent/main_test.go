package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/agent/demo"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// startRouter serves a router with the demo device on a Unix socket and
// returns its URL; everything stops when the test ends.
func startRouter(t *testing.T) string {
	t.Helper()
	r, err := minirouter.New(minirouter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "router.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); listen.Serve(r, l, listen.Config{}) }()
	tr, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := device.NewClient(ctx, tr, device.Config{})
	if err != nil {
		t.Fatal(err)
	}
	go func() { defer wg.Done(); demo.Run(ctx, c, demo.Config{Interval: 20 * time.Millisecond}) }()
	t.Cleanup(func() {
		cancel()
		sctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		r.Shutdown(sctx)
		l.Close()
		wg.Wait()
	})
	url := "unix://" + path
	// Wait until the demo device has registered its procedures.
	for i := 0; ; i++ {
		var out, errb bytes.Buffer
		if run(context.Background(), []string{"call", url, "light.get"}, &out, &errb) == 0 {
			return url
		}
		if i == 200 {
			t.Fatalf("demo device never registered: %s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCommandsAgainstRouter(t *testing.T) {
	url := startRouter(t)
	tests := []struct {
		name     string
		argv     []string
		wantCode int
		wantOut  string // each line of stdout, joined by "|"
		wantErr  string // a substring of stderr
	}{
		{name: "call", argv: []string{"call", url, "light.set", "true"}, wantOut: "[true]"},
		{name: "call json serializer", argv: []string{"call", "-serializer", "json", url, "light.get"}, wantOut: "[true]"},
		{name: "call error uri", argv: []string{"call", url, "light.set", "5"}, wantCode: 1, wantErr: "wamp.error.invalid_argument"},
		{name: "no such procedure", argv: []string{"call", url, "no.such"}, wantCode: 1, wantErr: "wamp.error.no_such_procedure"},
		{name: "subscribe", argv: []string{"subscribe", url, "temperature", "-n", "2"}, wantOut: "temperature"},
		{name: "publish", argv: []string{"publish", url, "some.topic", "1", `{"a":1}`}},
		{name: "no realm", argv: []string{"call", "-realm", "nope", url, "light.get"}, wantCode: 1, wantErr: "wamp.error.no_such_realm"},
		{name: "no router", argv: []string{"call", "-timeout", "1s", "rs://127.0.0.1:1", "light.get"}, wantCode: 1, wantErr: "join realm1"},
		{name: "usage", argv: []string{"frobnicate"}, wantCode: 2, wantErr: "unknown command"},
		{name: "no args", argv: nil, wantCode: 2, wantErr: "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			code := run(ctx, tt.argv, &out, &errb)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, errb.String())
			}
			got := strings.Join(strings.Fields(out.String()), "|")
			switch {
			case tt.name == "subscribe":
				if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 2 || !strings.Contains(lines[0], `"unit":"C"`) {
					t.Errorf("stdout %q: want two temperature events", out.String())
				}
			case got != tt.wantOut:
				t.Errorf("stdout %q, want %q", got, tt.wantOut)
			}
			if !strings.Contains(errb.String(), tt.wantErr) {
				t.Errorf("stderr %q, want it to contain %q", errb.String(), tt.wantErr)
			}
		})
	}
}

func TestRegisterEchoes(t *testing.T) {
	url := startRouter(t)
	done := make(chan int, 1)
	var out, errb bytes.Buffer
	go func() {
		done <- run(context.Background(), []string{"register", url, "echo.it", "-n", "1"}, &out, &errb)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := device.Dial(ctx, url, device.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for {
		res, err := c.Call(ctx, "echo.it", wampArgs("hi", 2), nil)
		if err == nil {
			if len(res.Args) != 2 || res.Args[0] != "hi" {
				t.Fatalf("echo returned %v", res.Args)
			}
			break
		}
		if ctx.Err() != nil || !errors.Is(err, errNoProc) {
			t.Fatalf("call: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("register exited %d: %s", code, errb.String())
		}
	case <-ctx.Done():
		t.Fatal("register did not exit after -n 1 calls")
	}
}

var errNoProc = wamp.ErrNoSuchProcedure

func wampArgs(v ...any) wamp.Payload { return wamp.Payload{Args: wamp.List(v)} }
