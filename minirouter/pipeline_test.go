package minirouter

import (
	"fmt"
	"testing"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestPipelinedRequestsKeepTheSession: a client that writes 1,000
// SUBSCRIBEs, then 1,000 CALLs, each batch in one write, before it reads
// anything (a client library re-subscribing after a reconnect) gets every
// answer, in order, and keeps its session: the router reads its requests
// more slowly while its answers wait, over RawSocket in both serializers,
// with the default outbound queue and a small one.
func TestPipelinedRequestsKeepTheSession(t *testing.T) {
	const n = 1000
	for _, queue := range []int{0, 16} {
		r := newTestRouter(t, Config{Peer: peer.Config{QueueMessages: queue}})
		addr := serveTCP(t, r)
		for _, ser := range []wamp.Serializer{wamp.JSON, wamp.MsgPack} {
			t.Run(fmt.Sprint(ser.Name(), "/queue=", queue), func(t *testing.T) {
				c := dialClient(t, addr, rawsocket.ClientConfig{Serializer: ser})
				c.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
				expect[*wamp.Welcome](c)
				batch := func(msg func(req wamp.ID) wamp.Message) {
					t.Helper()
					msgs := make([][]byte, n)
					for i := range msgs {
						b, err := ser.AppendMessage(nil, msg(wamp.ID(i+1)))
						if err != nil {
							t.Fatal(err)
						}
						msgs[i] = b
					}
					if err := c.tr.WriteMessages(msgs); err != nil {
						t.Fatal(err)
					}
				}
				batch(func(req wamp.ID) wamp.Message {
					return &wamp.Subscribe{Request: req, Options: wamp.Dict{}, Topic: wamp.URI(fmt.Sprint("pipe.t", req))}
				})
				for i := range n {
					if s := expect[*wamp.Subscribed](c); s.Request != wamp.ID(i+1) {
						t.Fatalf("SUBSCRIBED %d, want %d", s.Request, i+1)
					}
				}
				batch(func(req wamp.ID) wamp.Message {
					return &wamp.Call{Request: req, Options: wamp.Dict{}, Procedure: "wamp.session.count"}
				})
				for i := range n {
					if res := expect[*wamp.Result](c); res.Request != wamp.ID(i+1) {
						t.Fatalf("RESULT %d, want %d", res.Request, i+1)
					}
				}
				if held := r.Stats().RequestsHeld; queue != 0 && held == 0 {
					t.Errorf("RequestsHeld = 0 with a queue of %d", queue)
				}
			})
		}
	}
}
