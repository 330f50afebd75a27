package device

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// FuzzRouterMessages feeds a joined client arbitrary messages from the
// router (JSON, one per line) while it has a call, a registration and a
// subscription pending or in place. The client must not panic, and must end
// or go on cleanly.
func FuzzRouterMessages(f *testing.F) {
	seeds := []string{
		`[65,1,5]` + "\n" + `[68,1,5,{},[1,2]]` + "\n" + `[69,1,{}]`,
		`[33,2,7]` + "\n" + `[36,7,1,{"topic":"a.b","publisher":3},["x"],{"k":1}]`,
		`[50,3,{"progress":true},[1]]` + "\n" + `[50,3,{},[2]]`,
		`[8,48,3,{},"wamp.error.no_such_procedure",["no"]]`,
		`[8,64,1,{},"wamp.error.procedure_already_exists"]`,
		`[67,0,{"registration":5,"reason":"wamp.close.killed"}]`,
		`[35,0,{"subscription":7}]`,
		`[6,{},"wamp.close.system_shutdown"]`,
		`[3,{},"wamp.close.killed"]`,
		`[2,99,{}]`,
		`[50,18446744073709551615,{}]`,
		`[68,1,99,{"receive_progress":true}]`,
		`[36,7,1,null]`,
		`not json`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := peer.Pipe(wamp.JSON, 0)
		rc := peer.New(b, peer.Config{QueueMessages: 1024})
		defer rc.Close(nil)
		go func() { // the router end drains whatever the client sends
			for {
				if _, err := rc.Recv(); err != nil && rc.Err() != nil {
					return
				}
			}
		}()
		joinc := make(chan *Client, 1)
		go func() {
			c, _ := NewClient(context.Background(), a, Config{Logger: quietLogger(), MaxConcurrentInvocations: 2, EventQueue: 2})
			joinc <- c
		}()
		rc.Send(&wamp.Welcome{Session: 1, Details: routerDetails})
		c := <-joinc
		if c == nil {
			t.Fatal("join failed")
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		// Requests 1, 2, 3: REGISTER, SUBSCRIBE, CALL, answered by the input (or not).
		go c.Register(ctx, "p", func(ctx context.Context, inv *Invocation) (wamp.Payload, error) {
			inv.Progress(ctx, wamp.Payload{Args: wamp.List{1}})
			return wamp.Payload{}, nil
		}, nil)
		go c.Subscribe(ctx, "a.", func(*Event) {}, &SubscribeOptions{Match: "prefix"})
		go c.Call(ctx, "q", wamp.Payload{}, &CallOptions{Progress: func(wamp.Payload) {}})
		for line := range bytes.SplitSeq(data, []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			if rc.SendEncoded(line) != nil {
				break
			}
		}
		// Let the client get through the input, then close.
		cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
		rc.Flush(cctx)
		ccancel()
	})
}
