package device

import (
	"context"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// The benchmarks of this file measure the client alone: its far end is an
// answerTransport, which answers from pre-shaped frames, so the figures are
// the client's own work plus peer's queueing and the wamp codec (decoding
// the router's answers allocates the message and its dictionaries).

func BenchmarkClientPublish(b *testing.B) {
	for _, tc := range []struct {
		name string
		ser  wamp.Serializer
		o    *PublishOptions
	}{
		{"fire-and-forget/nil-options", wamp.JSON, nil},
		{"fire-and-forget/empty-options", wamp.JSON, &PublishOptions{}},
		{"fire-and-forget/msgpack", wamp.MsgPack, nil},
		{"acknowledged", wamp.JSON, &PublishOptions{Acknowledge: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c, _ := answerClientWith(b, tc.ser, Config{})
			ctx := context.Background()
			p := wamp.Payload{Args: wamp.List{21.5}}
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Publish(ctx, "bench.topic", p, tc.o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkClientCall(b *testing.B) {
	c, _ := answerClient(b, Config{})
	ctx := context.Background()
	p := wamp.Payload{Args: wamp.List{"hello", 42}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Call(ctx, "bench.echo", p, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientInvocation is the callee path: INVOCATION read, handler run
// on its goroutine, YIELD queued and written.
func BenchmarkClientInvocation(b *testing.B) {
	c, tr := answerClient(b, Config{})
	ctx := context.Background()
	_, err := c.Register(ctx, "bench.echo", func(_ context.Context, inv *Invocation) (wamp.Payload, error) {
		return inv.Payload, nil
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	frame := []byte(`[68,5,1,{}]`)
	b.ReportAllocs()
	for b.Loop() {
		tr.inject(frame)
		<-tr.yields
	}
}

// BenchmarkClientEvent is the subscriber path: EVENT read, queued, handler
// called by the dispatcher.
func BenchmarkClientEvent(b *testing.B) {
	c, tr := answerClient(b, Config{})
	ctx := context.Background()
	got := make(chan struct{}, 1)
	_, err := c.Subscribe(ctx, "bench.topic", func(*Event) { got <- struct{}{} }, nil)
	if err != nil {
		b.Fatal(err)
	}
	frame := []byte(`[36,1,7,{}]`)
	b.ReportAllocs()
	for b.Loop() {
		tr.inject(frame)
		<-got
	}
}
