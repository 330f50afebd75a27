package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// localRouter is a minirouter serving one loopback listener.
type localRouter struct {
	r    *minirouter.Router
	l    *listen.Listener
	url  string // the URL clients dial
	done chan error
	tmp  string // temporary directory of a unix socket, removed on close
}

// startRouter starts minirouter listening on listenURL (rs://, tcp://,
// unix:// or ws://; port 0 picks a free one; "unix://" alone a socket in a
// temporary directory) with room for maxSessions sessions.
func startRouter(listenURL string, maxSessions int) (*localRouter, error) {
	u, err := url.Parse(listenURL)
	if err != nil {
		return nil, err
	}
	r, err := minirouter.New(minirouter.Config{MaxSessions: maxSessions, MaxPendingCalls: 4096})
	if err != nil {
		return nil, err
	}
	lr := &localRouter{r: r, done: make(chan error, 1)}
	switch scheme := strings.ToLower(u.Scheme); scheme {
	case "rs", "tcp", "ws":
		u.Scheme = scheme
	case "unix":
		u.Scheme = scheme
		if u.Path == "" {
			if lr.tmp, err = os.MkdirTemp("", "wampbench"); err == nil {
				u.Path = filepath.Join(lr.tmp, "router.sock")
			}
		}
	default:
		err = fmt.Errorf("scheme %q not supported (want rs, tcp, unix or ws)", u.Scheme)
	}
	if err == nil {
		lr.l, err = listen.Open(u.String(), listen.Config{
			WebSocket: wstransport.ServerConfig{Serializers: []wamp.Serializer{wamp.MsgPack, wamp.JSON}}})
	}
	if err != nil {
		r.Close()
		lr.removeTmp()
		return nil, fmt.Errorf("router listen %s: %w", listenURL, err)
	}
	switch u.Scheme {
	case "ws":
		lr.url = "ws://" + lr.l.Addr() + cmp.Or(u.Path, "/ws")
	case "unix":
		lr.url = "unix://" + lr.l.Addr()
	default:
		lr.url = "rs://" + lr.l.Addr()
	}
	go func() { lr.done <- lr.l.Serve(r) }()
	return lr, nil
}

// close stops the router and its listener.
func (lr *localRouter) close() {
	lr.l.Close()
	lr.r.Close()
	<-lr.done
	lr.removeTmp()
}

func (lr *localRouter) removeTmp() {
	if lr.tmp != "" {
		os.RemoveAll(lr.tmp)
	}
}

// startProfile starts a CPU profile into file; the returned func stops it.
func startProfile(file string) (func() error, error) {
	if file == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// writeHeapProfile writes the heap profile (after a GC) to file, if any.
func writeHeapProfile(file string) error {
	if file == "" {
		return nil
	}
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}

// runServe is the serve subcommand: minirouter on one listener in this
// process (to pin it with taskset, profile it, and hold more sessions than
// sensorbridge's default limit) until ctx is done or -for passes.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("wampbench serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "rs://127.0.0.1:8081", "listener: rs://host:port, unix:///path, ws://host:port/path")
	maxSess := fs.Int("max-sessions", 20000, "most sessions joined at once")
	cpuProfile := fs.String("cpuprofile", "", "write the router's CPU profile to FILE (stopped on exit)")
	forDur := fs.Duration("for", 0, "stop after this long (0: until SIGINT/SIGTERM)")
	allowRemote := fs.Bool("allow-remote", false, "allow a listener that is not on loopback")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := checkTarget(*listen, *allowRemote, "rs", "tcp", "unix", "ws"); err != nil {
		return err
	}
	stopProf, err := startProfile(*cpuProfile)
	if err != nil {
		return err
	}
	lr, err := startRouter(*listen, *maxSess)
	if err != nil {
		stopProf()
		return err
	}
	fmt.Fprintf(stdout, "wampbench serve: minirouter on %s (realm1), pid %d\n", lr.url, os.Getpid())
	var timeout <-chan time.Time
	if *forDur > 0 {
		tm := time.NewTimer(*forDur)
		defer tm.Stop()
		timeout = tm.C
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case <-timeout:
	case serveErr = <-lr.done:
		lr.done <- serveErr
	}
	lr.close()
	if err := stopProf(); err != nil {
		return err
	}
	if serveErr != nil && !errors.Is(serveErr, minirouter.ErrRouterClosed) && !errors.Is(serveErr, http.ErrServerClosed) &&
		!errors.Is(serveErr, net.ErrClosed) {
		return serveErr
	}
	return nil
}
