package minirouter

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// helloOf sends, on a new RawSocket connection, a HELLO for the locked
// realm padded to about n bytes, and returns the client and the answer.
func helloOf(t *testing.T, addr string, n int) (*testClient, wamp.Message) {
	t.Helper()
	c := dialClient(t, addr, rawsocket.ClientConfig{Serializer: wamp.MsgPack})
	m, err := sendHello(c, n)
	if err != nil {
		t.Fatalf("answer to a HELLO of %d bytes: %v", n, err)
	}
	return c, m
}

// sendHello sends a HELLO for the locked realm padded to about n bytes and
// returns the answer.
func sendHello(c *testClient, n int) (wamp.Message, error) {
	c.send(&wamp.Hello{Realm: "locked", Details: wamp.Dict{"roles": allRoles(), "authmethods": wamp.List{"ticket"},
		"authid": "dev", "pad": strings.Repeat("p", n)}})
	return c.recv()
}

// expectAbort fails t unless m is ABORT reason.
func expectAbort(t *testing.T, m wamp.Message, reason wamp.URI) {
	t.Helper()
	if a, ok := m.(*wamp.Abort); !ok || a.Reason != reason {
		t.Fatalf("got %s, want ABORT %s", msgSummary(m), reason)
	}
}

// TestPreAuthBudgets: a HELLO beyond PreAuthBytes is answered with ABORT
// wamp.error.payload_size_exceeded (in-process; over RawSocket the
// transport's lowered limit closes the connection at the frame's header),
// and one beyond PreAuthTotalBytes (others joining hold the rest) with
// ABORT wamp.error.unavailable, until they join.
func TestPreAuthBudgets(t *testing.T) {
	r := newTestRouter(t, Config{Realms: []RealmConfig{lockedRealm}, Budgets: Budgets{PreAuthTotalBytes: 24 << 10}})
	tr, _ := pipeClient(t, r, wamp.MsgPack)
	m, err := sendHello(&testClient{t: t, tr: tr}, DefaultPreAuthBytes)
	if err != nil {
		t.Fatal(err)
	}
	expectAbort(t, m, wamp.ErrPayloadSizeExceeded.URI)
	addr := serveTCP(t, r)
	if m, err := sendHello(dialClient(t, addr, rawsocket.ClientConfig{Serializer: wamp.MsgPack}), DefaultPreAuthBytes); err == nil {
		t.Fatalf("HELLO over the limit over RawSocket: got %s, want the connection closed", msgSummary(m))
	}

	first, m := helloOf(t, addr, 15<<10)
	if _, ok := m.(*wamp.Challenge); !ok {
		t.Fatalf("first HELLO: got %s, want CHALLENGE", msgSummary(m))
	}
	_, m = helloOf(t, addr, 15<<10)
	expectAbort(t, m, wamp.ErrUnavailable.URI)
	first.send(&wamp.Authenticate{Signature: "right-ticket", Extra: wamp.Dict{}})
	expect[*wamp.Welcome](first)
	if _, m = helloOf(t, addr, 15<<10); m.Type() != wamp.CHALLENGE {
		t.Fatalf("HELLO once the first joined: got %s, want CHALLENGE", msgSummary(m))
	}
	if n := r.Stats().BudgetRefusals; n != 2 {
		t.Errorf("BudgetRefusals = %d, want 2", n)
	}
	// Once joined, the transport's own limit is back.
	first.send(&wamp.Publish{Request: 1, Options: wamp.Dict{"acknowledge": true}, Topic: "t", Payload: wamp.Payload{Args: wamp.List{strings.Repeat("x", 100<<10)}}})
	expect[*wamp.Published](first)
}

// TestURILength: every request whose topic or procedure passes
// MaxURILength is answered with ERROR wamp.error.invalid_uri (a PUBLISH
// without acknowledge is dropped), and counted; at the limit it is served.
func TestURILength(t *testing.T) {
	for _, max := range []int{0, 2000} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			r := newTestRouter(t, Config{Budgets: Budgets{MaxURILength: max}})
			addr := serveTCP(t, r)
			c := dialSession(t, addr, wamp.JSON)
			ok, long := longURI(1, DefaultMaxURILength), longURI(2, DefaultMaxURILength+1)
			c.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: ok})
			expect[*wamp.Subscribed](c)
			ack := wamp.Dict{"acknowledge": true}
			requests := []wamp.Message{
				&wamp.Subscribe{Request: 2, Options: wamp.Dict{}, Topic: long},
				&wamp.Register{Request: 3, Options: wamp.Dict{}, Procedure: long},
				&wamp.Call{Request: 4, Options: wamp.Dict{}, Procedure: long},
				&wamp.Publish{Request: 5, Options: wamp.Dict{}, Topic: long}, // no answer either way
				&wamp.Publish{Request: 6, Options: ack, Topic: long},
				addTestamentCall(7, string(long), "x", nil),
			}
			want := []wamp.MessageType{wamp.SUBSCRIBED, wamp.REGISTERED, wamp.INVOCATION, wamp.PUBLISHED, wamp.RESULT} // it calls itself
			if max == 0 {
				want = []wamp.MessageType{wamp.ERROR, wamp.ERROR, wamp.ERROR, wamp.ERROR, wamp.ERROR}
			}
			for _, m := range requests {
				c.send(m)
			}
			for i, w := range want {
				m, err := c.recv()
				if err != nil {
					t.Fatal(err)
				}
				e, isErr := m.(*wamp.ErrorMessage)
				if m.Type() != w || isErr && e.Error != wamp.ErrInvalidURI.URI {
					t.Errorf("answer %d: %s, want %s", i, msgSummary(m), w)
				}
			}
			wantCount := uint64(6)
			if max != 0 {
				wantCount = 0
			}
			if n := r.Stats().LongURIs; n != wantCount {
				t.Errorf("LongURIs = %d, want %d", n, wantCount)
			}
		})
	}
}

// TestTestamentBudgets: a session's testaments are bounded in number and
// in bytes (ERROR wamp.error.unavailable beyond); flushing gives the room
// back.
func TestTestamentBudgets(t *testing.T) {
	r := newTestRouter(t, Config{Budgets: Budgets{MaxTestaments: 3, MaxTestamentBytes: 8 << 10}})
	c := dialSession(t, serveTCP(t, r), wamp.MsgPack)
	steps := []struct {
		m    *wamp.Call
		want wamp.MessageType
	}{
		{addTestamentOf(1, "destroyed", 3000), wamp.RESULT},
		{addTestamentOf(2, "detached", 3000), wamp.RESULT},
		{addTestamentOf(3, "destroyed", 3000), wamp.ERROR}, // bytes
		{addTestamentOf(4, "destroyed", 10), wamp.RESULT},
		{addTestamentOf(5, "destroyed", 10), wamp.ERROR}, // count
		{&wamp.Call{Request: 6, Options: wamp.Dict{}, Procedure: "wamp.session.flush_testaments", Payload: wamp.Payload{Kwargs: wamp.Dict{}}}, wamp.RESULT},
		{addTestamentOf(7, "destroyed", 3000), wamp.RESULT},
	}
	for _, st := range steps {
		c.send(st.m)
		m, err := c.recv()
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := m.(*wamp.ErrorMessage); m.Type() != st.want || ok && e.Error != wamp.ErrUnavailable.URI {
			t.Errorf("request %d: %s %v, want %s", st.m.Request, msgSummary(m), m, st.want)
		}
	}
	if n := r.Stats().BudgetRefusals; n != 2 {
		t.Errorf("BudgetRefusals = %d, want 2", n)
	}
}

// TestMemoryBudgets: sessions and their subscriptions are charged to the
// gateway's memory budget and to their address's: a HELLO beyond is
// answered with ABORT wamp.error.unavailable, a SUBSCRIBE beyond with ERROR
// wamp.error.unavailable, and what a session gives back (an UNSUBSCRIBE,
// its end) is free again.
func TestMemoryBudgets(t *testing.T) {
	topic := func(i int) wamp.URI { return wamp.URI(fmt.Sprintf("com.example.t%02d", i)) } // 15 octets
	entry := int64(entryCost + 15)
	r := newTestRouter(t, Config{LimitLocal: true, Budgets: Budgets{Memory: 3 * sessionCost, SourceMemory: sessionCost + 2*entry}})
	addr := serveTCP(t, r)
	a := dialSession(t, addr, wamp.MsgPack)
	for i := range 3 {
		a.send(&wamp.Subscribe{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Topic: topic(i)})
	}
	expect[*wamp.Subscribed](a)
	sub := expect[*wamp.Subscribed](a)
	a.expectError(wamp.ErrUnavailable.URI)
	if got, want := r.Stats().MemoryHeld, uint64(sessionCost+2*entry); got != want {
		t.Errorf("MemoryHeld = %d, want %d", got, want)
	}
	a.send(&wamp.Unsubscribe{Request: 4, Subscription: sub.Subscription})
	expect[*wamp.Unsubscribed](a)
	a.send(&wamp.Subscribe{Request: 5, Options: wamp.Dict{}, Topic: topic(5)})
	expect[*wamp.Subscribed](a)
	// Another session from the same address: its budget is full.
	b := dialClient(t, addr, rawsocket.ClientConfig{Serializer: wamp.MsgPack})
	b.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
	expectAbort(t, mustRecv(t, b), wamp.ErrUnavailable.URI)
	a.tr.Close()
	waitFor(t, "the session's end to free its budget", func() bool { return r.Stats().MemoryHeld == 0 })

	// The gateway's budget: from no address (LimitLocal off), 3 sessions.
	r2 := newTestRouter(t, Config{Budgets: Budgets{Memory: 3 * sessionCost}})
	addr2 := serveTCP(t, r2)
	for range 3 {
		dialSession(t, addr2, wamp.JSON)
	}
	c := dialClient(t, addr2, rawsocket.ClientConfig{Serializer: wamp.JSON})
	c.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
	expectAbort(t, mustRecv(t, c), wamp.ErrUnavailable.URI)
	if n := r2.Stats().BudgetRefusals; n != 1 {
		t.Errorf("BudgetRefusals = %d, want 1", n)
	}
}

// waitFor waits up to 10 s for cond, failing t with what when it does not
// hold by then.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSourceReadReservation: a session's transport read limit is reserved
// on its address's budget; once that is full, a session from the address
// reads at most sharedReadLimit per message (a larger one closes its
// connection), and a session that leaves gives its reservation back.
func TestSourceReadReservation(t *testing.T) {
	r := newTestRouter(t, Config{LimitLocal: true, Budgets: Budgets{SourceMemory: 2<<20 + 512<<10}})
	addr := serveTCP(t, r)
	publish := func(c *testClient, n int) (wamp.Message, error) {
		c.send(&wamp.Publish{Request: 1, Options: wamp.Dict{"acknowledge": true}, Topic: "t", Payload: wamp.Payload{Args: wamp.List{strings.Repeat("x", n)}}})
		return c.recv()
	}
	a, b, c := dialSession(t, addr, wamp.JSON), dialSession(t, addr, wamp.JSON), dialSession(t, addr, wamp.JSON)
	for i, cl := range []*testClient{a, b} {
		if m, err := publish(cl, 100<<10); err != nil || m.Type() != wamp.PUBLISHED {
			t.Fatalf("session %d, 100 KiB: %v %v", i, msgSummary(m), err)
		}
	}
	if m, err := publish(c, 60<<10); err != nil || m.Type() != wamp.PUBLISHED {
		t.Fatalf("third session, 60 KiB: %v %v", msgSummary(m), err)
	}
	time.Sleep(200 * time.Millisecond) // idle: its reader parks and lets go of its frame reader
	if m, err := publish(c, 100<<10); err == nil {
		t.Fatalf("third session, 100 KiB: got %s, want the connection closed", msgSummary(m))
	}
	a.tr.Close()
	waitFor(t, "the first and third sessions to leave", func() bool { return r.Stats().Sessions == 1 })
	d := dialSession(t, addr, wamp.JSON)
	if m, err := publish(d, 100<<10); err != nil || m.Type() != wamp.PUBLISHED {
		t.Fatalf("a session after one left, 100 KiB: %v %v", msgSummary(m), err)
	}
}
