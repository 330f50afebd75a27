//go:build unix

package minirouter

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// A subscriber over TCP with a tiny receive window that stops reading does
// not slow an RPC between two other sessions, and its dropped events are
// counted.
func TestSlowTCPSubscriberDoesNotSlowRPC(t *testing.T) {
	r := newTestRouter(t, Config{})
	addr := serveTCP(t, r)

	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rawsocket.Client(context.Background(), nc, rawsocket.ClientConfig{Serializer: wamp.MsgPack})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	slow := &testClient{t: t, tr: rc}
	slow.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
	expect[*wamp.Welcome](slow)
	slow.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "com.flood"})
	expect[*wamp.Subscribed](slow)
	// slow never reads again.

	pub := dialSession(t, addr, wamp.MsgPack)
	caller := dialSession(t, addr, wamp.JSON)
	callee := dialSession(t, addr, wamp.MsgPack)
	callee.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "com.rpc"})
	expect[*wamp.Registered](callee)

	big := wamp.List{string(make([]byte, 8<<10))}
	var worst time.Duration
	for round := 1; round <= 200 && r.Stats().EventsDropped < 100; round++ {
		publishAcked(t, pub, "com.flood", 50, big)
		start := time.Now()
		caller.send(&wamp.Call{Request: wamp.ID(round), Options: wamp.Dict{}, Procedure: "com.rpc"})
		inv := expect[*wamp.Invocation](callee)
		callee.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}})
		if res := expect[*wamp.Result](caller); res.Request != wamp.ID(round) {
			t.Fatalf("RESULT for %d, want %d", res.Request, round)
		}
		worst = max(worst, time.Since(start))
	}
	st := r.Stats()
	if st.EventsDropped < 100 {
		t.Fatalf("EventsDropped = %d after the flood; the slow subscriber was never full", st.EventsDropped)
	}
	if worst > time.Second {
		t.Errorf("slowest RPC round trip during the flood: %v", worst)
	}
	t.Logf("events dropped %d, slowest RPC %v", st.EventsDropped, worst)
}
