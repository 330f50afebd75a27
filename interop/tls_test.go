package interop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/internal/testcert"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
)

// The TLS cells: the independent peers over the router's TLS listeners, wss:// (AutobahnJS, JSON and
// MessagePack; AutobahnPython) and rss:// (AutobahnPython; AutobahnJS 22.11.1's Node RawSocket
// transport has no TLS: lib/transport/rawsocket.js dials with net.connect). Each peer verifies the
// router's certificate (issued for 127.0.0.1 by the test's CA) against that CA: AutobahnJS through
// NODE_EXTRA_CA_CERTS (its own tlsConfiguration option turns verification off), AutobahnPython through
// py_peer.py --cafile. The partner of each cell is in the clear (rs:// or ws://), so the router carries
// the messages between TLS and plain sessions, but for two cells with TLS on both sides.

// tlsConfigs are the configs over TLS.
var tlsConfigs = []config{
	{impl: implNamed("js"), transport: "wss", serializer: "json"},
	{impl: implNamed("js"), transport: "wss", serializer: "msgpack"},
	{impl: implNamed("py"), transport: "wss", serializer: "json"},
	{impl: implNamed("py"), transport: "wss", serializer: "msgpack"},
	{impl: implNamed("py"), transport: "rss", serializer: "json"},
	{impl: implNamed("py"), transport: "rss", serializer: "msgpack"},
}

// tlsCells pairs each TLS config in each role: as callee or subscriber with the other independent peer
// in the clear (same serializer), as caller or publisher with our device client in the clear over the
// other transport (rs:// for wss://, ws:// for rss://) and the other serializer; then AutobahnJS over
// wss:// with AutobahnPython over rss://.
func tlsCells() []cell {
	other := map[string]string{"json": "msgpack", "msgpack": "json", "wss": "tcp", "rss": "ws"}
	var cs []cell
	for _, k := range kinds {
		for _, t := range tlsConfigs {
			plain := config{impl: implNamed("py"), transport: "tcp", serializer: t.serializer}
			if t.impl.name == "py" {
				plain = config{impl: implNamed("js"), transport: "ws", serializer: t.serializer}
			}
			cs = append(cs, cell{kind: k, server: t, client: plain},
				cell{kind: k, server: goConfig(other[t.transport], other[t.serializer]), client: t})
		}
	}
	return append(cs,
		cell{kind: kinds[0], server: tlsConfigs[1], client: tlsConfigs[4]},
		cell{kind: kinds[1], server: tlsConfigs[5], client: tlsConfigs[0]})
}

// tlsRouter is the router of one TLS cell (realm1): RawSocket (rs://) and WebSocket (ws://) in the clear,
// RawSocket over TLS (rss://) and WebSocket over TLS (wss://), every listener opened by listen.Open as
// sensorbridge opens them.
type tlsRouter struct {
	addrs routerAddrs
	rss   *listen.Listener
	log   *output // the router's and its listeners' warnings (failed TLS handshakes among them)
	stop  func() error
}

// startTLSRouter starts a tlsRouter whose TLS listeners serve the certificate and key files.
func startTLSRouter(cert, key string) (*tlsRouter, error) {
	log := newOutput()
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r, err := minirouter.New(minirouter.Config{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("minirouter.New: %w", err)
	}
	var ls []*listen.Listener
	served := make(chan error, 4)
	for _, u := range []string{"rs://127.0.0.1:0", "ws://127.0.0.1:0/ws", "wss://127.0.0.1:0/ws", "rss://127.0.0.1:0"} {
		l, err := listen.Open(u, listen.Config{Cert: cert, Key: key, Logger: logger})
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			r.Close()
			return nil, err
		}
		ls = append(ls, l)
		go func() { served <- l.Serve(r) }()
	}
	stop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := r.Shutdown(ctx) // the listeners' Serve return once the router stops
		for range ls {
			select {
			case <-served:
			case <-ctx.Done():
				return errors.Join(err, errors.New("Serve did not return after Shutdown"))
			}
		}
		return err
	}
	return &tlsRouter{
		addrs: routerAddrs{tcp: ls[0].Addr(), ws: "ws://" + ls[1].Addr() + "/ws", wss: "wss://" + ls[2].Addr() + "/ws", rss: ls[3].Addr()},
		rss:   ls[3], log: log, stop: stop,
	}, nil
}

// TestInteropTLS runs the TLS cells, a fresh router each, then the refused cells: a peer that does not
// trust the router's CA must fail its TLS handshake, and the same router must then serve a cell.
// It skips as the matrix does when the peers are not installed.
func TestInteropTLS(t *testing.T) {
	env := peersFor(t)
	dir := t.TempDir()
	ca, err := testcert.NewCA("interop test CA")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Server() // ECDSA P-256, for 127.0.0.1 (IP SAN)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := testcert.WritePair(pair, dir, "router")
	if err != nil {
		t.Fatal(err)
	}
	if env.caFile, err = ca.WriteCA(dir, "ca.pem"); err != nil {
		t.Fatal(err)
	}
	wrong, err := testcert.NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	wrongFile, err := wrong.WriteCA(dir, "wrong-ca.pem")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("cells", func(t *testing.T) {
		for _, c := range tlsCells() {
			t.Run(c.name(), func(t *testing.T) {
				t.Parallel()
				if res := runTLSCell(env, cert, key, nil, c); !res.ok {
					t.Errorf("%s: %s\n%s", c.name(), res.why, res.logs)
				}
			})
		}
	})

	refused := []struct {
		name   string
		caFile string // what the refused peer trusts ("": its default CAs)
		peer   config // in the caller role
		says   string // in its FAIL line (AutobahnJS reports every failed connection as "unreachable")
		then   cell   // on the same router afterwards
	}{
		{"wrong-ca", wrongFile, tlsConfigs[4], "CERTIFICATE_VERIFY_FAILED", cell{kind: kinds[0], server: tlsConfigs[4], client: goConfig("tcp", "json")}},
		{"default-cas", "", tlsConfigs[2], "CERTIFICATE_VERIFY_FAILED", cell{kind: kinds[1], server: tlsConfigs[0], client: tlsConfigs[3]}},
		{"wrong-ca", wrongFile, tlsConfigs[1], "unreachable", cell{kind: kinds[0], server: tlsConfigs[5], client: tlsConfigs[1]}},
	}
	t.Run("refused", func(t *testing.T) {
		for _, rc := range refused {
			t.Run(rc.peer.String()+"_"+rc.name, func(t *testing.T) {
				t.Parallel()
				bad := *env
				bad.caFile = rc.caFile
				refusedFirst := func(ctx context.Context, tr *tlsRouter) result { return refuse(ctx, &bad, rc.peer, rc.says, tr) }
				if res := runTLSCell(env, cert, key, refusedFirst, rc.then); !res.ok {
					t.Errorf("%s: %s\n%s", rc.then.name(), res.why, res.logs)
				}
			})
		}
	})
}

// runTLSCell starts a tlsRouter, runs first on it when given (a failure ends the cell) and then c,
// within cellTimeout.
func runTLSCell(env *peerEnv, cert, key string, first func(context.Context, *tlsRouter) result, c cell) (res result) {
	start := time.Now()
	defer func() { res.took = time.Since(start) }()
	ctx, cancel := context.WithTimeoutCause(context.Background(), cellTimeout, errors.New("cell timeout"))
	defer cancel()
	tr, err := startTLSRouter(cert, key)
	if err != nil {
		return result{why: err.Error()}
	}
	defer func() {
		if err := tr.stop(); err != nil && res.ok {
			res = result{why: "router shutdown: " + err.Error()}
		}
	}()
	if first != nil {
		if res := first(ctx, tr); !res.ok {
			return res
		}
	}
	return runCellAt(ctx, env, c, tr.addrs)
}

// refuse runs cfg as a caller with env's CA file against tr; it passes when the peer fails, saying
// says, without joining, and the router saw its TLS handshake fail (a warning of the wss:// listener's
// HTTP server, a RawSocket handshake failure of the rss:// listener).
func refuse(ctx context.Context, env *peerEnv, cfg config, says string, tr *tlsRouter) result {
	p, err := env.start(ctx, cfg, tr.addrs, Caller, 1)
	if err != nil {
		return result{why: err.Error()}
	}
	endErr := waitEnd(ctx, p)
	logs := func() string {
		return fmt.Sprintf("--- %s (caller, refused) output:\n%s--- router log:\n%s", cfg, indent(p.out.String()), indent(tr.log.String()))
	}
	failed := func(why string) result {
		return result{why: fmt.Sprintf("%s (caller, refused): %s", cfg, why), logs: logs()}
	}
	v := verdict(p.out.String())
	switch {
	case endErr != nil:
		return failed(endErr.Error())
	case hasLine(p.out.String(), "READY"):
		return failed("joined the router, though it was not given the router's CA")
	case !strings.HasPrefix(v, "FAIL") || !strings.Contains(v, says):
		return failed(fmt.Sprintf("verdict %q, want FAIL ... %s", v, says))
	}
	// The router's side of the handshake may end a moment after the peer's.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		switch {
		case cfg.transport == "wss" && strings.Contains(tr.log.String(), "TLS handshake error"):
			return result{ok: true}
		case cfg.transport == "rss" && tr.rss.Stats().HandshakeFailures > 0:
			return result{ok: true}
		case time.Now().After(deadline):
			return failed("the router saw no failed TLS handshake")
		}
	}
}
