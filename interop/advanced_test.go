package interop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// The advanced-profile cells: progressive call invocations and the revocation meta procedures, with each
// independent peer that implements the feature. Who lacks what, and why (the code read):
//
//   - Progressive call invocations. AutobahnPython 22.7.1 and AutobahnJS 22.11.1 have none (no CALL
//     option progress, no INVOCATION detail progress: autobahn/wamp/message.py Call and Invocation,
//     autobahn/lib/session.js). wampy 8.0.2 has a caller side (Wampy.progressiveCall, dist/cjs/wampy.cjs)
//     but no callee side, and its HELLO does not announce caller.features.progressive_call_invocations,
//     which the spec makes a CALL with progress a protocol violation for; its peer announces it (as the
//     HELLO should) before streaming to our device client's callee.
//   - Revocation. AutobahnJS surfaces both (registration.on_unregister, subscription.on_unsubscribe resolve
//     with the reason). AutobahnPython accepts UNREGISTERED [0, ...] without surfacing it (it logs at
//     debug level and keeps its Registration active: wamp/protocol.py), but raises ProtocolError on
//     UNSUBSCRIBED [0, ...] ("received for non-pending request ID", same file), though it announces
//     subscription_revocation, and drops its connection (TestInteropRevocationAutobahnPythonSubscriber
//     records it). wampy announces
//     neither feature (its handlers would look up a request 0 it never made), so the router removes it
//     without telling it, as the spec says, and its session goes on.

// advancedCells are the cells of progressive call invocations: a streaming caller and a callee that
// takes a streamed input, from different implementations but for our own pairing.
func advancedCells() []cell {
	k := kind{name: "stream", server: StreamCallee, client: StreamCaller}
	goCfg := func(tr, s string) config { return config{impl: implNamed("go"), transport: tr, serializer: s} }
	var cs []cell
	for _, s := range []string{"json", "msgpack", "cbor"} {
		cs = append(cs, cell{kind: k, server: goCfg("tcp", "msgpack"), client: config{impl: implNamed("wampy"), transport: "ws", serializer: s}})
	}
	cs = append(cs, cell{kind: k, server: goCfg("unix", "json"), client: goCfg("ws", "cbor")})
	return cs
}

// revocationCells are the peers, transports and roles of the revocation cells.
func revocationCells() []struct {
	cfg  config
	role Role
} {
	c := func(impl, tr, s string) config { return config{impl: implNamed(impl), transport: tr, serializer: s} }
	return []struct {
		cfg  config
		role Role
	}{
		{c("py", "tcp", "msgpack"), RevokedCallee},
		{c("py", "ws", "json"), RevokedCallee},
		{c("js", "ws", "msgpack"), RevokedCallee},
		{c("js", "tcp", "json"), RevokedSubscriber},
		{c("wampy", "ws", "json"), RevokedCallee},
		{c("wampy", "ws", "cbor"), RevokedSubscriber},
		{c("go", "unix", "msgpack"), RevokedCallee},
		{c("go", "ws", "json"), RevokedSubscriber},
	}
}

func implNamed(name string) *impl {
	for _, im := range impls {
		if im.name == name {
			return im
		}
	}
	panic("interop: no implementation " + name)
}

// peersFor returns the peers' environment without the C++ peer (none of these cells uses it), or skips
// the test when the peers are not installed (unless CI=true or EDGEWAMP_INTEROP=1).
func peersFor(t *testing.T) *peerEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("interop cells skipped in -short mode")
	}
	dir, err := filepath.Abs("peers")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkPeersInstalled(dir); err != nil {
		if interopRequired() {
			t.Fatalf("%v\nrun scripts/install-peers.sh", err)
		}
		t.Skipf("%v\nrun scripts/install-peers.sh, or set EDGEWAMP_INTEROP=1 to make this a failure", err)
	}
	return &peerEnv{peersDir: dir}
}

func TestInteropProgressiveCallInvocations(t *testing.T) {
	env := peersFor(t)
	sockDir := t.TempDir()
	for i, c := range advancedCells() {
		t.Run(c.name(), func(t *testing.T) {
			t.Parallel()
			if res := runCell(env, c, filepath.Join(sockDir, fmt.Sprintf("s%d.sock", i))); !res.ok {
				t.Errorf("%s: %s\n%s", c.name(), res.why, res.logs)
			}
		})
	}
}

func TestInteropRevocation(t *testing.T) {
	env := peersFor(t)
	sockDir := t.TempDir()
	for i, rc := range revocationCells() {
		t.Run(fmt.Sprintf("%s_%s", rc.cfg, rc.role), func(t *testing.T) {
			t.Parallel()
			if why, logs := runRevocationCell(env, rc.cfg, rc.role, filepath.Join(sockDir, fmt.Sprintf("v%d.sock", i))); why != "" {
				t.Errorf("%s %s: %s\n%s", rc.cfg, rc.role, why, logs)
			}
		})
	}
}

// revocationRealm grants every role everything, the revocation procedures included: a realm must have
// permissions for them (a realm without refuses them).
var revocationRealm = minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "realm1", Permissions: []minirouter.Permission{
	{Role: "*", URI: "", Match: wamp.PrefixMatch, Actions: []string{minirouter.ActionCall, minirouter.ActionRegister, minirouter.ActionPublish, minirouter.ActionSubscribe}},
}}}}

// runRevocationCell starts cfg in role, takes its registration (subscription) away with an admin
// session of our device client, checks the router no longer routes to it, calls Alive and waits for the
// peer's verdict. It returns why the cell failed ("" when it passed) and the peer's output.
func runRevocationCell(env *peerEnv, cfg config, role Role, sock string) (why, logs string) {
	ctx, cancel := context.WithTimeoutCause(context.Background(), cellTimeout, errors.New("cell timeout"))
	defer cancel()
	addrs, stop, err := startRouterConfig(sock, revocationRealm)
	if err != nil {
		return err.Error(), ""
	}
	defer func() {
		if err := stop(); err != nil && why == "" {
			why = "router shutdown: " + err.Error()
		}
	}()
	p, err := env.start(ctx, cfg, addrs, role, cellCount)
	if err != nil {
		return err.Error(), ""
	}
	defer func() { logs = indent(p.out.String()) }()
	fail := func(err error) (string, string) {
		cancel()
		_ = waitEnd(context.Background(), p)
		return err.Error(), ""
	}
	if err := waitReady(ctx, p); err != nil {
		return fail(err)
	}
	admin, err := device.Dial(ctx, "rs://"+addrs.tcp, device.Config{Logger: quietLogger()})
	if err != nil {
		return fail(err)
	}
	defer admin.Close()
	if err := revoke(ctx, admin, role); err != nil {
		return fail(err)
	}
	if _, err := admin.Call(ctx, Alive, wamp.Payload{}, nil); err != nil {
		return fail(fmt.Errorf("calling %s after the revocation: %w", Alive, err))
	}
	if err := waitEnd(ctx, p); err != nil {
		return err.Error(), ""
	}
	if ok, why := p.ok(); !ok {
		return why, ""
	}
	return "", ""
}

// revoke finds the peer's registration of Procedure (subscription of Topic) and its session through the
// meta API, removes it with a reason, and checks that the router no longer routes there.
func revoke(ctx context.Context, admin *device.Client, role Role) error {
	call := func(proc wamp.URI, args ...any) (wamp.List, error) {
		res, err := admin.Call(ctx, proc, wamp.Payload{Args: args}, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", proc, err)
		}
		return res.Args, nil
	}
	what, uri, listProc, removeProc := "registration", Procedure, wamp.URI("wamp.registration.list_callees"), wamp.URI("wamp.registration.remove_callee")
	if role == RevokedSubscriber {
		what, uri, listProc, removeProc = "subscription", Topic, "wamp.subscription.list_subscribers", "wamp.subscription.remove_subscriber"
	}
	found, err := call(wamp.URI("wamp."+what+".lookup"), string(uri))
	if err != nil {
		return err
	}
	id, ok := wamp.ToID(found[0])
	if !ok {
		return fmt.Errorf("no %s of %s: %v", what, uri, found)
	}
	sessions, err := call(listProc, uint64(id))
	if err != nil {
		return err
	}
	if len(sessions) != 1 {
		return fmt.Errorf("%s %d has sessions %v, want the peer's alone", what, id, sessions)
	}
	list, _ := sessions[0].(wamp.List)
	if len(list) != 1 {
		return fmt.Errorf("%s %d has sessions %v, want the peer's alone", what, id, sessions)
	}
	peer, _ := wamp.ToID(list[0])
	if _, err := call(removeProc, uint64(id), uint64(peer), "com.example.revoked"); err != nil {
		return err
	}
	if role == RevokedSubscriber {
		// the peer fails if this reaches it
		return admin.Publish(ctx, Topic, wamp.Payload{Args: wamp.List{0}, Kwargs: wamp.Dict{"seq": 0}}, &device.PublishOptions{Acknowledge: true})
	}
	if _, err := admin.Call(ctx, Procedure, wamp.Payload{Args: wamp.List{1, 2}}, nil); !errors.Is(err, wamp.ErrNoSuchProcedure) {
		return fmt.Errorf("calling %s after its revocation: %v, want %s", Procedure, err, wamp.ErrNoSuchProcedure.URI)
	}
	// Give a revoked subscriber's or callee's wrong reaction (an event, a protocol error) time to show.
	time.Sleep(50 * time.Millisecond)
	return nil
}

// quietLogger discards the admin client's logs.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestInteropRevocationAutobahnPythonSubscriber records what AutobahnPython 22.7.1 lacks: told of a
// revoked subscription (UNSUBSCRIBED [0, {subscription, reason}], which it asked for by announcing
// subscription_revocation), it raises ProtocolError and drops its connection. The cell passes while that
// holds, and fails (to be turned into a plain cell) once a newer AutobahnPython handles it.
func TestInteropRevocationAutobahnPythonSubscriber(t *testing.T) {
	env := peersFor(t)
	why, logs := runRevocationCell(env, config{impl: implNamed("py"), transport: "tcp", serializer: "json"},
		RevokedSubscriber, filepath.Join(t.TempDir(), "py.sock"))
	if why == "" || !strings.Contains(logs, "UNSUBSCRIBED received for non-pending request ID 0") {
		t.Errorf("AutobahnPython as a revoked subscriber: %q; want its ProtocolError on UNSUBSCRIBED [0, ...]\n%s", why, logs)
	}
}
