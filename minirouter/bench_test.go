package minirouter

import (
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

var benchSerializers = []wamp.Serializer{wamp.MsgPack, wamp.JSON}

// benchJoin connects over a pipe with serializer s and joins realm1.
func benchJoin(b *testing.B, r *Router, s wamp.Serializer) *testClient {
	b.Helper()
	tr, _ := pipeClient(b, r, s)
	c := &testClient{t: b, tr: tr}
	c.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
	c.id = expect[*wamp.Welcome](c).Session
	return c
}

// BenchmarkRPC measures a CALL → INVOCATION → YIELD → RESULT round trip
// through the router between two in-process sessions (encoding and
// decoding on both clients included).
func BenchmarkRPC(b *testing.B) {
	for _, s := range benchSerializers {
		b.Run(s.Name(), func(b *testing.B) {
			r := newTestRouter(b, Config{})
			callee, caller := benchJoin(b, r, s), benchJoin(b, r, s)
			callee.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "com.bench.echo"})
			expect[*wamp.Registered](callee)
			go autoCallee(callee)
			call := &wamp.Call{Options: wamp.Dict{}, Procedure: "com.bench.echo",
				Payload: wamp.Payload{Args: wamp.List{"hello", int64(42)}}}
			b.ReportAllocs()
			req := wamp.ID(0)
			for b.Loop() {
				req++
				call.Request = req
				caller.send(call)
				if res := expect[*wamp.Result](caller); res.Request != req {
					b.Fatalf("RESULT %d, want %d", res.Request, req)
				}
			}
		})
	}
}

// BenchmarkPublishFanout10 measures one PUBLISH delivered to 10
// subscribers (all with the same serializer): each op waits until all ten
// have read their EVENT.
func BenchmarkPublishFanout10(b *testing.B) {
	for _, s := range benchSerializers {
		b.Run(s.Name(), func(b *testing.B) {
			r := newTestRouter(b, Config{})
			got := make(chan struct{}, 1024)
			for range 10 {
				benchSubscriber(b, r, s, "com.bench.t", "", got)
			}
			pub := benchJoin(b, r, s)
			msg := &wamp.Publish{Options: wamp.Dict{}, Topic: "com.bench.t",
				Payload: wamp.Payload{Args: wamp.List{"sensor-7", 21.5}}}
			b.ReportAllocs()
			req := wamp.ID(0)
			for b.Loop() {
				req++
				msg.Request = req
				pub.send(msg)
				for range 10 {
					<-got
				}
			}
			b.StopTimer()
			if d := r.Stats().EventsDropped; d != 0 {
				b.Fatalf("%d events dropped", d)
			}
		})
	}
}

// BenchmarkPublishDevices measures one device reading as a gateway
// delivers it (wampbench devices): a PUBLISH on the device's own topic,
// matched by a wildcard subscription of 4 backends and by a prefix
// subscription (the uplink's); each op waits until all five have read their
// EVENT.
func BenchmarkPublishDevices(b *testing.B) {
	r := newTestRouter(b, Config{})
	got := make(chan struct{}, 1024)
	for range 4 {
		benchSubscriber(b, r, wamp.MsgPack, "bench.dev..reading", "wildcard", got)
	}
	benchSubscriber(b, r, wamp.MsgPack, "bench.dev.", "prefix", got)
	pub := benchJoin(b, r, wamp.MsgPack)
	msg := &wamp.Publish{Options: wamp.Dict{}, Topic: "bench.dev.7.reading",
		Payload: wamp.Payload{Args: wamp.List{"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}}
	b.ReportAllocs()
	req := wamp.ID(0)
	for b.Loop() {
		req++
		msg.Request = req
		pub.send(msg)
		for range 5 {
			<-got
		}
	}
}

// benchSubscriber joins a session that subscribes to topic (match "" is
// the exact match) and then signals got for every message it reads.
func benchSubscriber(b *testing.B, r *Router, s wamp.Serializer, topic wamp.URI, match string, got chan<- struct{}) {
	opts := wamp.Dict{}
	if match != "" {
		opts["match"] = match
	}
	c := benchJoin(b, r, s)
	c.send(&wamp.Subscribe{Request: 1, Options: opts, Topic: topic})
	expect[*wamp.Subscribed](c)
	c.tr.SetReadDeadline(time.Now().Add(time.Hour)) // not the 5s one of expect
	go func() {
		for {
			if _, err := c.tr.ReadMessage(); err != nil {
				return
			}
			got <- struct{}{}
		}
	}()
}
