package interop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wstransport"
)

// cellTimeout bounds one cell of the matrix (router start, both peers, router shutdown).
const cellTimeout = 20 * time.Second

// cellCount is the number of calls or events exchanged in one cell.
const cellCount = 10

// kind is one half of the matrix: a server role (waits, READY first) and a client role (drives).
type kind struct {
	name           string
	server, client Role
}

var kinds = []kind{
	{name: "rpc", server: Callee, client: Caller},
	{name: "pubsub", server: Subscriber, client: Publisher},
}

// cell is one pairing of the matrix: server config in the server role, client config in the client role.
type cell struct {
	kind           kind
	server, client config
}

func (c cell) name() string {
	return fmt.Sprintf("%s/%s_%s/%s_%s", c.kind.name, c.server, c.kind.server, c.client, c.kind.client)
}

// cells lists every pairing of two configs of different implementations, for both kinds: each
// implementation takes each role against every other implementation over every transport (RawSocket
// over TCP and a Unix socket, WebSocket) and serializer it speaks, so the router also carries the
// messages across transports and serializers.
func cells() []cell {
	var cs []cell
	all := configs()
	for _, k := range kinds {
		for _, s := range all {
			for _, c := range all {
				if s.impl != c.impl {
					cs = append(cs, cell{kind: k, server: s, client: c})
				}
			}
		}
	}
	return cs
}

// result is the outcome of one cell.
type result struct {
	ok   bool
	why  string // first failure, when !ok
	took time.Duration
	logs string // both peers' output, when !ok
}

// TestInteropMatrix runs the interop matrix against our router (minirouter over RawSocket, TCP and Unix
// socket, and over WebSocket, a fresh router per cell) with AutobahnPython, AutobahnJS, Autobahn|C++,
// wampy and our device client.
// It skips when the peers are not installed (scripts/install-peers.sh), unless CI=true or
// EDGEWAMP_INTEROP=1, where it fails instead.
func TestInteropMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("interop matrix skipped in -short mode")
	}
	dir, err := filepath.Abs("peers")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkPeersInstalled(dir); err != nil {
		if interopRequired() {
			t.Fatalf("%v\nrun scripts/install-peers.sh (CI=true or EDGEWAMP_INTEROP=1: the matrix may not be skipped)", err)
		}
		t.Skipf("%v\nrun scripts/install-peers.sh, or set EDGEWAMP_INTEROP=1 to make this a failure", err)
	}
	bctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cpp, err := buildCppPeer(bctx, dir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	env := &peerEnv{peersDir: dir, cppPeer: cpp}
	sockDir := t.TempDir() // short path: Unix socket paths are limited to about 100 bytes

	all := cells()
	var (
		mu      sync.Mutex // protects results
		results = make(map[string]result, len(all))
	)
	t.Run("cells", func(t *testing.T) {
		for i, c := range all {
			t.Run(c.name(), func(t *testing.T) {
				t.Parallel()
				res := runCell(env, c, filepath.Join(sockDir, fmt.Sprintf("r%d.sock", i)))
				mu.Lock()
				results[c.name()] = res
				mu.Unlock()
				if !res.ok {
					t.Errorf("%s: %s\n%s", c.name(), res.why, res.logs)
				}
			})
		}
	})

	table := renderMatrix(all, results)
	t.Log("\n" + table)
	path := filepath.Join(t.ArtifactDir(), "interop-matrix.txt")
	if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
		t.Errorf("writing the matrix: %v", err)
	} else {
		t.Logf("matrix written to %s", path)
	}
	if p := os.Getenv("EDGEWAMP_INTEROP_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(table), 0o644); err != nil {
			t.Errorf("writing the matrix to EDGEWAMP_INTEROP_REPORT: %v", err)
		}
	}
}

// runCell starts a router on TCP 127.0.0.1:0 and on the Unix socket sock, runs the server peer until
// READY, then the client peer, and waits for both; the whole cell is bounded by cellTimeout.
func runCell(env *peerEnv, c cell, sock string) (res result) {
	start := time.Now()
	defer func() { res.took = time.Since(start) }()
	ctx, cancel := context.WithTimeoutCause(context.Background(), cellTimeout, errors.New("cell timeout"))
	defer cancel()

	addrs, stop, err := startRouter(sock)
	if err != nil {
		return result{why: err.Error()}
	}
	defer func() {
		if err := stop(); err != nil && res.ok {
			res = result{why: "router shutdown: " + err.Error()}
		}
	}()
	return runCellAt(ctx, env, c, addrs)
}

// runCellAt runs the server peer of c against the router at addrs until READY, then the client peer,
// and waits for both, within ctx.
func runCellAt(ctx context.Context, env *peerEnv, c cell, addrs routerAddrs) result {
	ctx, cancel := context.WithCancel(ctx) // ends the server peer when the cell fails early
	defer cancel()
	srv, err := env.start(ctx, c.server, addrs, c.kind.server, cellCount)
	if err != nil {
		return result{why: err.Error()}
	}
	var cli *running
	logs := func() string {
		var b strings.Builder
		fmt.Fprintf(&b, "--- %s (%s) output:\n%s", c.server, c.kind.server, indent(srv.out.String()))
		if cli != nil {
			fmt.Fprintf(&b, "--- %s (%s) output:\n%s", c.client, c.kind.client, indent(cli.out.String()))
		}
		return b.String()
	}
	if err := waitReady(ctx, srv); err != nil {
		cancel()
		_ = waitEnd(context.Background(), srv)
		return result{why: err.Error(), logs: logs()}
	}
	cli, err = env.start(ctx, c.client, addrs, c.kind.client, cellCount)
	if err != nil {
		cancel()
		_ = waitEnd(context.Background(), srv)
		return result{why: err.Error(), logs: logs()}
	}
	errC := waitEnd(ctx, cli)
	errS := waitEnd(ctx, srv)
	for _, r := range []*running{srv, cli} {
		if ok, why := r.ok(); !ok {
			return result{why: why, logs: logs()}
		}
	}
	if err := errors.Join(errS, errC); err != nil {
		return result{why: err.Error(), logs: logs()}
	}
	return result{ok: true}
}

// startRouter starts a minirouter with its defaults (realm "realm1") serving RawSocket on 127.0.0.1:0
// and on the Unix socket sock, and WebSocket (wstransport.Handler on path /ws, JSON and MessagePack) on
// another 127.0.0.1:0. stop shuts it down gracefully within a few seconds.
func startRouter(sock string) (routerAddrs, func() error, error) {
	return startRouterConfig(sock, minirouter.Config{})
}

// startRouterConfig is startRouter with the router's configuration.
func startRouterConfig(sock string, cfg minirouter.Config) (routerAddrs, func() error, error) {
	r, err := minirouter.New(cfg)
	if err != nil {
		return routerAddrs{}, nil, fmt.Errorf("minirouter.New: %w", err)
	}
	var ls []net.Listener
	closeAll := func() {
		for _, l := range ls {
			l.Close()
		}
	}
	for _, a := range [][2]string{{"tcp", "127.0.0.1:0"}, {"unix", sock}, {"tcp", "127.0.0.1:0"}} {
		l, err := net.Listen(a[0], a[1])
		if err != nil {
			closeAll()
			return routerAddrs{}, nil, err
		}
		ls = append(ls, l)
	}
	tl, ul, wl := ls[0], ls[1], ls[2]
	mux := http.NewServeMux()
	mux.Handle("/ws", listen.Handler(r, wstransport.ServerConfig{}))
	srv := wstransport.NewServer("", mux)
	served := make(chan error, 3)
	// As sensorbridge accepts (listen.Open): outside Go's network poller.
	go func() { served <- listen.Serve(r, rawsocket.FDListener(tl), listen.Config{}) }()
	go func() { served <- listen.Serve(r, rawsocket.FDListener(ul), listen.Config{}) }()
	go func() { served <- srv.Serve(wl) }()
	stop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := r.Shutdown(ctx) // ends the WebSocket sessions too
		srv.Close()
		for range 3 {
			select {
			case <-served: // Serve's error after Shutdown/Close says only that it was shut down
			case <-ctx.Done():
				return errors.Join(err, errors.New("Serve did not return after Shutdown"))
			}
		}
		closeAll()
		return err
	}
	return routerAddrs{tcp: tl.Addr().String(), unix: sock, ws: "ws://" + wl.Addr().String() + "/ws"}, stop, nil
}

func indent(s string) string {
	if s == "" {
		return "    (no output)\n"
	}
	var b strings.Builder
	for l := range strings.Lines(s) {
		b.WriteString("    | ")
		b.WriteString(strings.TrimRight(l, "\n"))
		b.WriteByte('\n')
	}
	return b.String()
}

// renderMatrix draws, for each kind, a table with one row per server config and one column per client
// config ("ok", "FAIL", or "-" for the same implementation on both sides), then a tally per
// implementation and role, the failures, and a last line "interop: N passed, M failed".
func renderMatrix(all []cell, results map[string]result) string {
	var b strings.Builder
	cfgs := configs()
	fmt.Fprintf(&b, "interop matrix: minirouter over RawSocket (tcp 127.0.0.1, unix socket) and WebSocket (ws://127.0.0.1), realm1, %d calls/events per cell, %s per cell at most\n", cellCount, cellTimeout)
	b.WriteString("  configs are implementation.transport.serializer\n")
	for _, im := range impls {
		fmt.Fprintf(&b, "  %-4s %s\n", im.name, im.label)
	}
	const w = 19
	for _, k := range kinds {
		fmt.Fprintf(&b, "\n%s: rows = %s, columns = %s\n", k.name, k.server, k.client)
		fmt.Fprintf(&b, "%-*s", w, "")
		for _, c := range cfgs {
			fmt.Fprintf(&b, "%-*s", w, c)
		}
		b.WriteByte('\n')
		for _, s := range cfgs {
			fmt.Fprintf(&b, "%-*s", w, s)
			for _, c := range cfgs {
				mark := "-"
				if s.impl != c.impl {
					res, ran := results[cell{kind: k, server: s, client: c}.name()]
					switch {
					case !ran:
						mark = "not run"
					case res.ok:
						mark = fmt.Sprintf("ok %.1fs", res.took.Seconds())
					default:
						mark = "FAIL"
					}
				}
				fmt.Fprintf(&b, "%-*s", w, mark)
			}
			b.WriteByte('\n')
		}
	}

	type tally struct{ pass, total int }
	byRole := map[string]*tally{}
	count := func(im *impl, r Role, ok bool) {
		key := im.name + " " + string(r)
		if byRole[key] == nil {
			byRole[key] = &tally{}
		}
		byRole[key].total++
		if ok {
			byRole[key].pass++
		}
	}
	pass, fail := 0, 0
	var failures []string
	for _, c := range all {
		res, ran := results[c.name()]
		ok := ran && res.ok
		count(c.server.impl, c.kind.server, ok)
		count(c.client.impl, c.kind.client, ok)
		if ok {
			pass++
		} else {
			fail++
			why := "not run"
			if ran {
				why = res.why
			}
			failures = append(failures, fmt.Sprintf("  %s: %s", c.name(), why))
		}
	}
	b.WriteString("\nper implementation and role (cells passed / cells):\n")
	fmt.Fprintf(&b, "%-6s", "")
	for _, r := range Roles {
		fmt.Fprintf(&b, "%-12s", r)
	}
	b.WriteByte('\n')
	for _, im := range impls {
		fmt.Fprintf(&b, "%-6s", im.name)
		for _, r := range Roles {
			t := byRole[im.name+" "+string(r)]
			if t == nil {
				t = &tally{}
			}
			fmt.Fprintf(&b, "%-12s", fmt.Sprintf("%d/%d", t.pass, t.total))
		}
		b.WriteByte('\n')
	}
	if len(failures) > 0 {
		slices.Sort(failures)
		b.WriteString("\nfailed cells:\n")
		b.WriteString(strings.Join(failures, "\n"))
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "\ninterop: %d passed, %d failed\n", pass, fail)
	return b.String()
}
