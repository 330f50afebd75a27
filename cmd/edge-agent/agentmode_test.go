package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/agent"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
)

// startBareRouter serves an empty router on a Unix socket and returns its URL.
func startBareRouter(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	serveBareRouter(t, l)
	return "unix://" + path
}

// serveBareRouter serves an empty router on l until the test ends.
func serveBareRouter(t *testing.T, l net.Listener) {
	t.Helper()
	r, err := minirouter.New(minirouter.Config{})
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { listen.Serve(r, l, listen.Config{}); close(done) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.Shutdown(ctx)
		<-done
	})
}

// syncBuffer is a bytes.Buffer safe for the agent's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDemoAgent(t *testing.T) {
	url := startBareRouter(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs syncBuffer
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"-demo", "-router", url}, &out, &logs) }()

	// The demo device answers like the quick start's.
	var res bytes.Buffer
	for i := 0; ; i++ {
		res.Reset()
		var errb bytes.Buffer
		if run(context.Background(), []string{"call", url, "agent.light.set", "true"}, &res, &errb) == 0 {
			break
		}
		if i == 500 {
			t.Fatalf("light.set never answered: %s\nlogs: %s", errb.String(), logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if strings.TrimSpace(res.String()) != "[true]" {
		t.Errorf("light.set -> %q", res.String())
	}
	for _, c := range []struct {
		argv []string
		want string
		code int
	}{
		{[]string{"call", url, "agent.light.get"}, "[true]", 0},
		{[]string{"call", url, "agent.light.set", "5"}, "", 1},
		{[]string{"subscribe", url, "agent.temperature", "-n", "1"}, `"unit":"C"`, 0},
		{[]string{"call", url, "agent.status"}, `"version":"dev"`, 0},
	} {
		var o, e bytes.Buffer
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		got := run(cctx, c.argv, &o, &e)
		ccancel()
		if got != c.code || !strings.Contains(o.String(), c.want) {
			t.Errorf("%v: exit %d, out %q, err %q", c.argv, got, o.String(), e.String())
		}
	}

	// SIGINT/SIGTERM cancel the context: the agent leaves and exits 0, quickly.
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("agent exited %d: %s", c, logs.String())
		}
	case <-time.After(6 * time.Second):
		t.Fatal("agent did not stop within 6s")
	}
	if !strings.Contains(logs.String(), "edge-agent stopped") {
		t.Errorf("logs: %s", logs.String())
	}
}

func TestAgentFlags(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"sensors":[{"name":"t","kind":"simulated","intervl":"1s"}]}`), 0o644)
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`{"log":{"format":"json"},"sensors":[{"name":"t","kind":"simulated","interval":"1s"}]}`), 0o644)
	tests := []struct {
		name    string
		argv    []string
		code    int
		wantOut string
		wantErr string
	}{
		{"version", []string{"-version"}, 0, "edge-agent dev", ""},
		{"no mode", []string{"-router", "rs://h:1"}, 2, "", "-config FILE or -demo is required"},
		{"both modes", []string{"-demo", "-config", good}, 2, "", "exclude each other"},
		{"bad key", []string{"-config", bad}, 2, "", `sensors[0].intervl: unknown key`},
		{"missing file", []string{"-config", filepath.Join(dir, "none.json")}, 2, "", "none.json"},
		{"bad router flag", []string{"-config", good, "-router", "nohost"}, 2, "", "router: invalid URL"},
		{"bad realm flag", []string{"-demo", "-realm", "a b"}, 2, "", "realm: invalid"},
		{"unknown flag", []string{"-frob"}, 2, "", "flag provided but not defined"},
		{"check", []string{"-config", good, "-check"}, 0, "configuration ok", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o, e bytes.Buffer
			got := run(context.Background(), tt.argv, &o, &e)
			if got != tt.code || !strings.Contains(o.String(), tt.wantOut) || !strings.Contains(e.String(), tt.wantErr) {
				t.Errorf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", got, tt.code, o.String(), tt.wantOut, e.String(), tt.wantErr)
			}
		})
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	cfg, err := agent.Load("testdata/example.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Sensors) == 0 || len(cfg.Actuators) == 0 {
		t.Error("the example should show sensors and actuators")
	}
}
