package interop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// isoURI is the topic and the procedure both realms use in the isolation test.
const isoURI wamp.URI = "iso.shared"

// startPyRole starts AutobahnPython (py_peer.py, RawSocket, JSON) in role at url, joined to realm, on
// isoURI; it ends by itself or with ctx.
func startPyRole(ctx context.Context, t *testing.T, url, realm string, role Role, n int) *running {
	t.Helper()
	var py *impl
	for _, im := range impls {
		if im.name == "py" {
			py = im
		}
	}
	r := &running{cfg: config{impl: py, transport: "tcp", serializer: "json"}, role: role, out: newOutput(), done: make(chan struct{})}
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", filepath.Join("peers", "py_peer.py"), url, realm, "json",
		string(role), fmt.Sprint(n), "--timeout", "20", "--uri", string(isoURI))
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	cmd.Stdout, cmd.Stderr = r.out, r.out
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(r.done)
		r.err = cmd.Wait()
	}()
	return r
}

// counter counts calls or events and lets a test wait for a count.
type counter struct {
	mu   sync.Mutex
	n    int
	args []wamp.List
	more chan struct{} // replaced at every increment
}

func newCounter() *counter { return &counter{more: make(chan struct{})} }

func (c *counter) add(args wamp.List) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	c.args = append(c.args, args)
	close(c.more)
	c.more = make(chan struct{})
}

func (c *counter) get() (int, []wamp.List) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, slices.Clone(c.args)
}

// waitFor waits until the count is at least n.
func (c *counter) waitFor(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		got, more := c.n, c.more
		c.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-more:
		case <-ctx.Done():
			return fmt.Errorf("%d of %d: %w", got, n, ctx.Err())
		}
	}
}

// TestRealmIsolation runs two realms on one sensorbridge and checks that nothing published, registered
// or called in one is visible in the other, with AutobahnPython and the device client on both sides of the
// boundary: the same URI is registered and subscribed in both realms; events published in one realm reach
// only its subscribers; a call in one realm reaches only that realm's callee, and a procedure registered
// only in the other realm does not exist.
func TestRealmIsolation(t *testing.T) {
	needAuthPeers(t)
	const rsURL = "rs://127.0.0.1:0"
	const realmA, realmB = "site.a", "site.b"
	const n = 5
	b := startBridge(t, buildBridge(t), map[string]any{
		"listeners": []map[string]any{{"url": rsURL}},
		"realms":    []map[string]any{{"name": realmA}, {"name": realmB}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	url := "rs://" + b.addr(rsURL)
	dial := func(realm wamp.URI) *device.Client {
		c, err := device.Dial(ctx, url+"?serializer=json", device.Config{Realm: realm})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Leave(context.Background()); c.Close() })
		return c
	}
	dA, dB := dial(realmA), dial(realmB)

	// realm B: a callee and a subscriber on the shared URI; realm A: a subscriber.
	callsB, eventsB, eventsA := newCounter(), newCounter(), newCounter()
	if _, err := dB.Register(ctx, isoURI, func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
		callsB.add(inv.Args)
		return wamp.Payload{Args: wamp.List{1000}}, nil
	}, nil); err != nil {
		t.Fatalf("register in %s: %v", realmB, err)
	}
	if _, err := dB.Subscribe(ctx, isoURI, func(ev *device.Event) { eventsB.add(ev.Args) }, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := dA.Subscribe(ctx, isoURI, func(ev *device.Event) { eventsA.add(ev.Args) }, nil); err != nil {
		t.Fatal(err)
	}

	// A procedure registered only in B does not exist in A.
	if _, err := dA.Call(ctx, isoURI, wamp.Payload{Args: wamp.List{1, 2}}, nil); !errors.Is(err, wamp.ErrNoSuchProcedure) {
		t.Errorf("calling %s in %s, registered in %s only: %v, want %s", isoURI, realmA, realmB, err, wamp.ErrNoSuchProcedure.URI)
	}

	// Events: B publishes first (acknowledged, so routed before A's), then Autobahn publishes in A. The
	// Autobahn subscriber in A checks every event is [i] {seq: i} in order: one of B's ([1000+i]) fails it.
	sub := startPyRole(ctx, t, url, realmA, Subscriber, n)
	if err := waitReady(ctx, sub); err != nil {
		t.Fatalf("%v\n%s", err, sub.out.String())
	}
	for i := range n {
		if err := dB.Publish(ctx, isoURI, wamp.Payload{Args: wamp.List{1000 + i}, Kwargs: wamp.Dict{"seq": 1000 + i}},
			&device.PublishOptions{Acknowledge: true}); err != nil {
			t.Fatalf("publish in %s: %v", realmB, err)
		}
	}
	pub := startPyRole(ctx, t, url, realmA, Publisher, n)
	for _, r := range []*running{pub, sub} {
		if err := waitEnd(ctx, r); err != nil {
			t.Fatal(err)
		}
		if ok, why := r.ok(); !ok {
			t.Errorf("%s\n%s", why, r.out.String())
		}
	}
	// The device subscriber in A got Autobahn's n events and nothing of B's.
	if err := eventsA.waitFor(ctx, n); err != nil {
		t.Errorf("device subscriber in %s: %v", realmA, err)
	}

	// Calls: Autobahn registers the same URI in A (no clash with B's registration) and answers A's calls;
	// B's callee answers B's call.
	callee := startPyRole(ctx, t, url, realmA, Callee, n)
	if err := waitReady(ctx, callee); err != nil {
		t.Fatalf("%v\n%s", err, callee.out.String())
	}
	for i := range n {
		res, err := dA.Call(ctx, isoURI, wamp.Payload{Args: wamp.List{i + 2, 3}}, nil)
		if err != nil {
			t.Fatalf("call #%d in %s: %v", i, realmA, err)
		}
		if len(res.Args) != 1 || fmt.Sprint(res.Args[0]) != fmt.Sprint(i+5) {
			t.Errorf("call #%d in %s returned %v, want [%d] (from Autobahn's callee in %s)", i, realmA, res.Args, i+5, realmA)
		}
	}
	if err := waitEnd(ctx, callee); err != nil {
		t.Fatal(err)
	}
	if ok, why := callee.ok(); !ok {
		t.Errorf("%s\n%s", why, callee.out.String())
	}
	dB2 := dial(realmB)
	res, err := dB2.Call(ctx, isoURI, wamp.Payload{Args: wamp.List{2, 3}}, nil)
	if err != nil || len(res.Args) != 1 || fmt.Sprint(res.Args[0]) != "1000" {
		t.Errorf("call in %s: %v %v, want [1000] from %s's own callee", realmB, res.Args, err, realmB)
	}

	// Barrier: a marker published in each realm (by another session: a publisher does not get its own
	// events) reaches that realm's device subscriber after anything routed earlier, so the counts below
	// are final.
	dA2 := dial(realmA)
	for _, m := range []struct {
		c  *device.Client
		ev *counter
	}{{dB2, eventsB}, {dA2, eventsA}} {
		before, _ := m.ev.get()
		if err := m.c.Publish(ctx, isoURI, wamp.Payload{Args: wamp.List{"marker"}}, &device.PublishOptions{Acknowledge: true}); err != nil {
			t.Fatal(err)
		}
		if err := m.ev.waitFor(ctx, before+1); err != nil {
			t.Fatalf("marker: %v", err)
		}
	}
	if got, args := eventsA.get(); got != n+1 {
		t.Errorf("device subscriber in %s got %d events %v, want %d (Autobahn's) and the marker", realmA, got, args, n)
	}
	if got, args := eventsB.get(); got != 1 {
		t.Errorf("device subscriber in %s got %d events %v, want only its realm's marker", realmB, got, args)
	}
	if got, args := callsB.get(); got != 1 {
		t.Errorf("callee in %s got %d calls %v, want the 1 made in %s", realmB, got, args, realmB)
	}
}
