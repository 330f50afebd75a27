package minirouter

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// FuzzSession feeds a joined session arbitrary messages (one per line, in
// JSON) next to a well-behaved callee: the router must not panic, must end
// or keep the session cleanly, and must go on serving others.
func FuzzSession(f *testing.F) {
	for _, seed := range []string{
		`[32,1,{"match":"wildcard"},"a..c"]` + "\n" + `[16,1,{"acknowledge":true,"exclude_me":false},"a.b.c",[1]]`,
		`[48,1,{"receive_progress":true,"timeout":1},"com.echo",[1]]` + "\n" + `[49,1,{"mode":"kill"}]`,
		`[64,1,{"match":"prefix","invoke":"roundrobin"},"com"]` + "\n" + `[48,2,{},"com.x"]` + "\n" + `[70,1,{}]`,
		`[8,68,1,{},"x"]` + "\n" + `[34,1,5]` + "\n" + `[66,1,5]`,
		`[16,1,{"eligible":[1,2],"exclude_authid":["a"]},"t"]`,
		`[6,{},"wamp.close.normal"]`,
		`[1,"realm1",{}]`,
		"\x00garbage",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := New(Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		callee := joinClient(t, r, allRoles())
		callee.send(&wamp.Register{Request: 1, Options: wamp.Dict{"match": "prefix"}, Procedure: "com"})
		expect[*wamp.Registered](callee)
		go autoCallee(callee)

		a, b := peer.Pipe(wamp.JSON, 0)
		done := make(chan error, 1)
		r.Attach(context.Background(), b, func(err error) { done <- err })
		defer a.Close()
		go func() { // drain
			for {
				if _, err := a.ReadMessage(); err != nil {
					return
				}
			}
		}()
		msgs := [][]byte{[]byte(`[1,"realm1",{"roles":{"caller":{},"callee":{},"publisher":{},"subscriber":{}}}]`)}
		for _, m := range bytes.Split(data, []byte("\n")) {
			msgs = append(msgs, m)
		}
		for _, m := range msgs {
			if a.WriteMessages([][]byte{m}) != nil {
				break
			}
		}
		// Another session still works.
		other := joinClient(t, r, allRoles())
		other.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "com.alive"})
		expect[*wamp.Subscribed](other)
		a.Close()
		select {
		case <-done:
		case <-time.After(stepTimeout):
			t.Fatal("session did not end after its transport closed")
		}
	})
}
