package minirouter

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// publishAcked publishes n events on topic and waits for the PUBLISHED of
// the last one (the broker has then handled all of them).
func publishAcked(t *testing.T, pub *testClient, topic wamp.URI, n int, args wamp.List) {
	t.Helper()
	for i := 1; i <= n; i++ {
		opts := wamp.Dict{}
		if i == n {
			opts["acknowledge"] = true
		}
		pub.send(&wamp.Publish{Request: wamp.ID(i), Options: opts, Topic: topic, Payload: wamp.Payload{Args: args}})
	}
	if p := expect[*wamp.Published](pub); p.Request != wamp.ID(n) {
		t.Fatalf("PUBLISHED for %d, want %d", p.Request, n)
	}
}

// countHandler counts log records by message.
type countHandler struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *countHandler) WithGroup(string) slog.Handler            { return h }
func (h *countHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n[r.Message]++
	return nil
}

func (h *countHandler) count(msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[msg]
}

func TestSlowSubscriberDropped(t *testing.T) {
	logs := &countHandler{n: map[string]int{}}
	r := newTestRouter(t, Config{Peer: peer.Config{QueueMessages: 16}, Logger: slog.New(logs)})
	slow := joinClient(t, r, allRoles())
	slow.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "com.t"})
	expect[*wamp.Subscribed](slow)
	// slow never reads again.
	pub := joinClient(t, r, allRoles())
	const n = 300
	publishAcked(t, pub, "com.t", n, wamp.List{"x"})

	st := r.Stats()
	if st.EventsDropped == 0 || st.EventsDropped >= n {
		t.Fatalf("EventsDropped = %d, want some of %d", st.EventsDropped, n)
	}
	for _, si := range r.Sessions() {
		want := uint64(0)
		if si.ID == slow.id {
			want = st.EventsDropped
		}
		if si.EventsDropped != want {
			t.Errorf("session %d EventsDropped = %d, want %d", si.ID, si.EventsDropped, want)
		}
	}
	// Drops are logged at a limited rate (one line a second at most; the
	// test takes far less than two seconds). Lines are written off the
	// routing path, so the first one may come a moment after the drops.
	for deadline := time.Now().Add(2 * time.Second); logs.count("EVENTs dropped") == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if n := logs.count("EVENTs dropped"); n < 1 || n > 2 {
		t.Errorf("%d drop log lines for %d drops", n, st.EventsDropped)
	}
	if st.SlowDisconnects != 0 {
		t.Errorf("SlowDisconnects = %d with the drop policy", st.SlowDisconnects)
	}
	// Others are not affected.
	a, b := joinClient(t, r, allRoles()), joinClient(t, r, allRoles())
	rpcWorks(t, a, b, "com.rpc")
}

func TestSlowSubscriberDisconnected(t *testing.T) {
	r := newTestRouter(t, Config{
		Realms: []RealmConfig{{Name: "realm1", SlowConsumer: SlowConsumerDisconnect}},
		Peer:   peer.Config{QueueMessages: 16},
	})
	slowTr, done := pipeClient(t, r, wamp.MsgPack)
	slow := &testClient{t: t, tr: slowTr}
	slow.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
	expect[*wamp.Welcome](slow)
	slow.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "com.t"})
	expect[*wamp.Subscribed](slow)
	pub := joinClient(t, r, allRoles())
	publishAcked(t, pub, "com.t", 300, nil)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "slow consumer") {
			t.Errorf("slow session ended with %v", err)
		}
	case <-time.After(stepTimeout):
		t.Fatal("slow subscriber not disconnected")
	}
	if st := r.Stats(); st.SlowDisconnects != 1 || st.EventsDropped != 0 {
		t.Errorf("SlowDisconnects = %d, EventsDropped = %d; want 1, 0", st.SlowDisconnects, st.EventsDropped)
	}
	// Its subscription is gone.
	publishAcked(t, pub, "com.t", 1, nil)
}

func TestInvocationToFullCallee(t *testing.T) {
	r := newTestRouter(t, Config{Peer: peer.Config{QueueMessages: 64}, MaxPendingCalls: 1000})
	callee := joinClient(t, r, allRoles())
	callee.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "com.busy"})
	expect[*wamp.Registered](callee)
	// callee never reads again.
	callerTr, done := pipeClient(t, r, wamp.MsgPack)
	caller := &testClient{t: t, tr: callerTr}
	caller.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
	expect[*wamp.Welcome](caller)
	t.Cleanup(func() {
		if t.Failed() {
			callerTr.Close()
			t.Log("caller session ended with", <-done)
		}
	})
	// Call until refused; after each CALL a SUBSCRIBE, whose SUBSCRIBED
	// comes after the CALL's ERROR if there is one.
	refused := false
	for i := wamp.ID(1); i <= 1000 && !refused; i++ {
		caller.send(&wamp.Call{Request: i, Options: wamp.Dict{}, Procedure: "com.busy"})
		caller.send(&wamp.Subscribe{Request: i, Options: wamp.Dict{}, Topic: "com.sync"})
		m, err := caller.recv()
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := m.(*wamp.ErrorMessage); ok {
			if e.Error != wamp.ErrUnavailable.URI || e.RequestType != wamp.CALL || e.Request != i {
				t.Fatalf("got ERROR %v %d %s", e.RequestType, e.Request, e.Error)
			}
			refused = true
			m = expect[*wamp.Subscribed](caller)
		}
		if s, ok := m.(*wamp.Subscribed); !ok || s.Request != i {
			t.Fatalf("got %#v, want SUBSCRIBED %d", m, i)
		}
	}
	if !refused {
		t.Fatal("1000 calls to a callee that does not read were all accepted")
	}
	if got := r.Stats().InvocationsRefused; got == 0 {
		t.Error("InvocationsRefused = 0")
	}
}

// autoCallee answers every INVOCATION with its arguments until the
// connection ends.
func autoCallee(c *testClient) {
	// Replace the deadline left by the last expect. (A far deadline rather
	// than none: peer.Pipe hangs on a deadline set after a cleared one.)
	c.tr.SetReadDeadline(time.Now().Add(time.Hour))
	ser := c.tr.Serializer()
	for {
		b, err := c.tr.ReadMessage()
		if err != nil {
			return
		}
		m, err := ser.DecodeMessage(b)
		if err != nil {
			return
		}
		if inv, ok := m.(*wamp.Invocation); ok {
			out, _ := ser.AppendMessage(nil, &wamp.Yield{Request: inv.Request, Options: wamp.Dict{}, Payload: inv.Payload})
			if c.tr.WriteMessages([][]byte{out}) != nil {
				return
			}
		}
	}
}

func TestResultToFullCallerDisconnects(t *testing.T) {
	const calls = 100 // more than the caller's queue (8) and its pipe (64) hold
	r := newTestRouter(t, Config{Peer: peer.Config{QueueMessages: 8}, MaxPendingCalls: 1000})
	callee := joinClient(t, r, allRoles())
	callee.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "com.echo"})
	expect[*wamp.Registered](callee)

	callerTr, done := pipeClient(t, r, wamp.MsgPack)
	caller := &testClient{t: t, tr: callerTr}
	caller.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
	expect[*wamp.Welcome](caller)
	// The caller makes its calls one at a time, each once the callee has
	// the one before (so none is refused for a full callee queue), and never
	// reads. The callee then answers all of them at once: more RESULTs than
	// the caller's queue and transport hold. (A caller whose unread answers fill half its
	// queue has its further CALLs held, not read, so a callee answering
	// each call at once would pace it rather than fill it.)
	invoked := make(chan struct{}, calls)
	go func() {
		var yields [][]byte
		for len(yields) < calls {
			m, err := callee.recv() // not expect: no Fatal off the test's goroutine
			inv, ok := m.(*wamp.Invocation)
			if err != nil || !ok {
				return // the test fails waiting for invoked
			}
			b, _ := wamp.MsgPack.AppendMessage(nil, &wamp.Yield{Request: inv.Request, Options: wamp.Dict{}, Payload: inv.Payload})
			yields = append(yields, b)
			invoked <- struct{}{}
		}
		callee.tr.WriteMessages(yields)
	}()
	for i := 1; i <= calls; i++ {
		caller.send(&wamp.Call{Request: wamp.ID(i), Options: wamp.Dict{}, Procedure: "com.echo"})
		select {
		case <-invoked:
		case <-time.After(stepTimeout):
			t.Fatalf("call %d not invoked", i)
		}
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not deliverable") {
			t.Errorf("caller session ended with %v", err)
		}
	case <-time.After(stepTimeout):
		t.Fatal("caller with a full queue not disconnected")
	}
	if got := r.Stats().SlowDisconnects; got != 1 {
		t.Errorf("SlowDisconnects = %d, want 1", got)
	}
}
