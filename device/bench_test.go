package device_test

import (
	"context"
	"net"
	"testing"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// benchClients returns n clients joined to an in-process router, reached
// in process or over RawSocket on loopback TCP.
func benchClients(b *testing.B, overTCP bool, n int) []*device.Client {
	b.Helper()
	rt := newRouter(b)
	ctx := context.Background()
	var url string
	if overTCP {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		serve(b, rt, l)
		url = "rs://" + l.Addr().String()
	}
	cs := make([]*device.Client, n)
	for i := range cs {
		var c *device.Client
		var err error
		if overTCP {
			c, err = device.Dial(ctx, url, device.Config{Logger: quiet()})
		} else {
			var tr wamp.Transport
			if tr, err = rt.Connect(ctx); err == nil {
				c, err = device.NewClient(ctx, tr, device.Config{Logger: quiet()})
			}
		}
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		cs[i] = c
	}
	return cs
}

func BenchmarkCall(b *testing.B) {
	for _, tc := range []struct {
		name string
		tcp  bool
	}{{"inproc", false}, {"tcp", true}} {
		b.Run(tc.name, func(b *testing.B) {
			cs := benchClients(b, tc.tcp, 2)
			ctx := context.Background()
			_, err := cs[0].Register(ctx, "bench.echo", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
				return inv.Payload, nil
			}, nil)
			if err != nil {
				b.Fatal(err)
			}
			p := wamp.Payload{Args: wamp.List{"hello", 42}}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cs[1].Call(ctx, "bench.echo", p, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPublish(b *testing.B) {
	for _, tc := range []struct {
		name string
		ack  bool
	}{{"fire-and-forget", false}, {"acknowledged", true}} {
		b.Run(tc.name, func(b *testing.B) {
			cs := benchClients(b, false, 2)
			ctx := context.Background()
			if _, err := cs[0].Subscribe(ctx, "bench.topic", func(*device.Event) {}, nil); err != nil {
				b.Fatal(err)
			}
			p := wamp.Payload{Args: wamp.List{21.5}}
			o := &device.PublishOptions{Acknowledge: tc.ack}
			b.ReportAllocs()
			for b.Loop() {
				if err := cs[1].Publish(ctx, "bench.topic", p, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
