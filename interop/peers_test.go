package interop

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// This file knows the implementations of the interop matrix: which transports and serializers each one
// speaks, whether it is installed, and how to start it in one role.

// impl is one WAMP implementation taking part in the matrix.
type impl struct {
	name  string // short name used in cell names: py, js, cpp, go
	label string // what it is, for the table's legend
	// transports and serializers it is run over here (every combination of the two, except that
	// wsSerializers, when set, replaces serializers over "ws")
	transports    []string // "tcp", "unix", "ws"
	serializers   []string // "json", "msgpack", "cbor"
	wsSerializers []string
	// exitCodeCounts is false when the process may crash at exit after doing its work right, so that
	// only its output is judged (Autobahn|C++ 17.5.1 may abort in its destructors).
	exitCodeCounts bool
}

var impls = []*impl{
	{name: "py", label: "AutobahnPython 22.7.1 (Debian python3-autobahn, asyncio; CBOR through python3-cbor2)", transports: []string{"tcp", "unix", "ws"}, serializers: []string{"json", "msgpack", "cbor"}, exitCodeCounts: true},
	{name: "js", label: "AutobahnJS 22.11.1 (npm autobahn, Node; its RawSocket speaks JSON only; CBOR through npm cbor)", transports: []string{"tcp", "unix", "ws"}, serializers: []string{"json"}, wsSerializers: []string{"json", "msgpack", "cbor"}, exitCodeCounts: true},
	{name: "cpp", label: "Autobahn|C++ 17.5.1 (Debian autobahn-cpp-dev; MessagePack only, no CBOR serializer)", transports: []string{"tcp", "unix"}, serializers: []string{"msgpack"}},
	{name: "go", label: "edgewamp device client (in process; WebSocket through wstransport.DialURL)", transports: []string{"tcp", "unix", "ws"}, serializers: []string{"json", "msgpack", "cbor"}, exitCodeCounts: true},
	{name: "wampy", label: "wampy 8.0.2 (npm wampy, Node, package ws; WebSocket only; CBOR through cbor-x)", transports: []string{"ws"}, serializers: []string{"json", "msgpack", "cbor"}, exitCodeCounts: true},
}

// config is one implementation over one transport with one serializer.
type config struct {
	impl       *impl
	transport  string
	serializer string
}

func (c config) String() string { return c.impl.name + "." + c.transport + "." + c.serializer }

// configs lists every config of every implementation.
func configs() []config {
	var cs []config
	for _, im := range impls {
		for _, tr := range im.transports {
			sers := im.serializers
			if tr == "ws" && im.wsSerializers != nil {
				sers = im.wsSerializers
			}
			for _, s := range sers {
				cs = append(cs, config{impl: im, transport: tr, serializer: s})
			}
		}
	}
	return cs
}

// peerEnv is what starting a peer needs: where the scripts are and the compiled C++ peer.
type peerEnv struct {
	peersDir string // interop/peers
	cppPeer  string // the compiled cpp_peer
	// caFile is the PEM file of the CA the peers verify a TLS router's certificate against
	// (py_peer.py --cafile, Node's NODE_EXTRA_CA_CERTS); "" leaves them their default CAs.
	caFile string
}

// checkPeersInstalled reports what scripts/install-peers.sh should have installed and has not.
func checkPeersInstalled(peersDir string) error {
	var missing []string
	if out, err := exec.Command("/usr/bin/python3", "-c", "import autobahn, msgpack, cbor2, txaio").CombinedOutput(); err != nil {
		missing = append(missing, fmt.Sprintf("AutobahnPython with msgpack and cbor2 for /usr/bin/python3 (%v: %s)", err, bytes.TrimSpace(out)))
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(filepath.Join(peersDir, "..", "node", "node_modules", "autobahn", "package.json")); err != nil {
		missing = append(missing, "AutobahnJS in interop/node/node_modules")
	}
	if _, err := os.Stat(filepath.Join(peersDir, "..", "node", "node_modules", "wampy", "package.json")); err != nil {
		missing = append(missing, "wampy in interop/node/node_modules")
	}
	if _, err := exec.LookPath("g++"); err != nil {
		missing = append(missing, "g++")
	}
	if _, err := os.Stat("/usr/include/autobahn/autobahn.hpp"); err != nil {
		missing = append(missing, "Autobahn|C++ headers (autobahn-cpp-dev)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("interop peers missing: %s", strings.Join(missing, "; "))
	}
	return nil
}

// buildCppPeer compiles peers/cpp_peer.cpp into dir with the flags Autobahn|C++ 17.5.1 needs on Debian.
func buildCppPeer(ctx context.Context, peersDir, dir string) (string, error) {
	bin := filepath.Join(dir, "cpp_peer")
	cmd := exec.CommandContext(ctx, "g++", "-std=c++14", "-O1", "-DMSGPACK_DEFAULT_API_VERSION=1",
		"-o", bin, filepath.Join(peersDir, "cpp_peer.cpp"),
		"-lboost_thread", "-lboost_chrono", "-lboost_system", "-lpthread")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("interop: compiling cpp_peer.cpp: %w\n%s", err, out)
	}
	return bin, nil
}

// output collects a peer's output (safe for concurrent use) and notices its READY line.
type output struct {
	mu    sync.Mutex // protects buf and seen
	buf   bytes.Buffer
	seen  bool
	ready chan struct{} // closed at the first "READY" line
}

func newOutput() *output { return &output{ready: make(chan struct{})} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if !o.seen && hasLine(o.buf.String(), "READY") {
		o.seen = true
		close(o.ready)
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// hasLine reports whether s has a complete line equal to line.
func hasLine(s, line string) bool {
	for l := range strings.Lines(s) {
		if strings.TrimRight(l, "\r\n") == line && strings.HasSuffix(l, "\n") {
			return true
		}
	}
	return false
}

// verdict returns the peer's last "OK ..." or "FAIL ..." line, or "" when there is none.
func verdict(s string) string {
	last := ""
	for l := range strings.Lines(s) {
		l = strings.TrimSpace(l)
		if l == "OK" || strings.HasPrefix(l, "OK ") || l == "FAIL" || strings.HasPrefix(l, "FAIL ") {
			last = l
		}
	}
	return last
}

// running is a peer started in one role.
type running struct {
	cfg  config
	role Role
	out  *output
	done chan struct{} // closed when the peer has ended; then err is set
	err  error         // exit status (subprocess) or RunRole's error (go)
}

// ok reports whether the ended peer succeeded, and why not.
func (r *running) ok() (bool, string) {
	v := verdict(r.out.String())
	switch {
	case !strings.HasPrefix(v, "OK"):
		if v == "" {
			return false, fmt.Sprintf("%s %s: no OK/FAIL line (exit: %v)", r.cfg, r.role, r.err)
		}
		return false, fmt.Sprintf("%s %s: %s", r.cfg, r.role, v)
	case r.err != nil && r.cfg.impl.exitCodeCounts:
		return false, fmt.Sprintf("%s %s: said %q but exited with %v", r.cfg, r.role, v, r.err)
	}
	return true, ""
}

// routerAddrs are the addresses of the router of one cell.
type routerAddrs struct {
	tcp  string // 127.0.0.1:port (RawSocket)
	unix string // socket path (RawSocket)
	ws   string // ws://127.0.0.1:port/ws (WebSocket)
	wss  string // wss://127.0.0.1:port/ws (WebSocket over TLS), when served
	rss  string // 127.0.0.1:port (RawSocket over TLS), when served
}

// peerTimeout bounds a peer process by itself, a little under the cell's bound.
const peerTimeout = 17 * time.Second

// start starts cfg in role against the router at addrs; the peer ends by itself or when ctx is done.
func (e *peerEnv) start(ctx context.Context, cfg config, addrs routerAddrs, role Role, n int) (*running, error) {
	r := &running{cfg: cfg, role: role, out: newOutput(), done: make(chan struct{})}
	url := "rs://" + addrs.tcp
	switch cfg.transport {
	case "unix":
		url = "unix://" + addrs.unix
	case "ws":
		url = addrs.ws
	case "wss":
		url = addrs.wss
	case "rss":
		url = "rss://" + addrs.rss
	}
	if cfg.impl.name == "go" {
		rctx, cancel := context.WithTimeout(ctx, peerTimeout)
		go func() {
			defer close(r.done)
			defer cancel()
			r.err = RunRole(rctx, r.out, url+"?serializer="+cfg.serializer, "realm1", role, n)
		}()
		return r, nil
	}
	args := []string{url, "realm1", cfg.serializer, string(role), fmt.Sprint(n), "--timeout", fmt.Sprint(peerTimeout.Seconds())}
	var cmd *exec.Cmd
	switch cfg.impl.name {
	case "py":
		if e.caFile != "" {
			args = append(args, "--cafile", e.caFile)
		}
		cmd = exec.CommandContext(ctx, "/usr/bin/python3", append([]string{filepath.Join(e.peersDir, "py_peer.py")}, args...)...)
		cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	case "js":
		cmd = exec.CommandContext(ctx, "node", append([]string{filepath.Join(e.peersDir, "js_peer.js")}, args...)...)
		if e.caFile != "" {
			cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+e.caFile)
		}
	case "wampy":
		cmd = exec.CommandContext(ctx, "node", append([]string{filepath.Join(e.peersDir, "wampy_peer.js")}, args...)...)
	case "cpp":
		cmd = exec.CommandContext(ctx, e.cppPeer, args...)
	default:
		return nil, fmt.Errorf("interop: unknown implementation %q", cfg.impl.name)
	}
	cmd.Stdout = r.out
	cmd.Stderr = r.out
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("interop: starting %s: %w", cfg, err)
	}
	go func() {
		defer close(r.done)
		r.err = cmd.Wait()
	}()
	return r, nil
}

// waitReady waits for r's READY line; it fails when r ends first or ctx is done.
func waitReady(ctx context.Context, r *running) error {
	select {
	case <-r.out.ready:
		return nil
	case <-r.done:
		select {
		case <-r.out.ready:
			return nil
		default:
		}
		return fmt.Errorf("%s %s ended before READY", r.cfg, r.role)
	case <-ctx.Done():
		return fmt.Errorf("%s %s not READY: %w", r.cfg, r.role, context.Cause(ctx))
	}
}

// waitEnd waits until r has ended or ctx is done.
func waitEnd(ctx context.Context, r *running) error {
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		// the process is being killed by ctx; wait for that (bounded by WaitDelay)
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
		}
		return fmt.Errorf("%s %s did not end: %w", r.cfg, r.role, context.Cause(ctx))
	}
}

// interopRequired reports whether the matrix must run (CI, or asked for) instead of skipping when the
// peers are not installed.
func interopRequired() bool {
	return os.Getenv("CI") == "true" || os.Getenv("EDGEWAMP_INTEROP") == "1"
}
