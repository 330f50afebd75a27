package uplink_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// sumHandler adds the integers of every chunk of its input, in order,
// acknowledging each with a progressive result (the running total), and
// returns the total, the number of chunks and the procedure called.
func sumHandler(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
	var total, chunks int64
	for p := inv.Payload; ; {
		chunks++
		for _, v := range p.Args {
			n, _ := v.(int64)
			total += n
		}
		_ = inv.Progress(ctx, wamp.Payload{Args: wamp.List{total}})
		var err error
		if p, err = inv.Recv(ctx); errors.Is(err, io.EOF) {
			return wamp.Payload{Args: wamp.List{total, chunks, string(inv.Procedure)}}, nil
		} else if err != nil {
			return wamp.Payload{}, err
		}
	}
}

// streamSum streams 1..n to proc through c, one chunk in flight at a time
// (each waits for its acknowledgement), and returns the result.
func streamSum(ctx context.Context, c *device.Client, proc wamp.URI, n int64) (wamp.Payload, error) {
	cs, err := c.CallStream(ctx, proc, nil)
	if err != nil {
		return wamp.Payload{}, err
	}
	want := int64(0)
	for i := int64(1); i < n; i++ {
		if err := cs.Send(ctx, wamp.Payload{Args: wamp.List{i}}); err != nil {
			return wamp.Payload{}, err
		}
		want += i
		if ack, err := cs.Recv(ctx); err != nil || ack.Args[0] != want {
			return wamp.Payload{}, fmt.Errorf("ack of chunk %d: %v %v, want %d", i, ack.Args, err, want)
		}
	}
	if err := cs.CloseSend(ctx, wamp.Payload{Args: wamp.List{n}}); err != nil {
		return wamp.Payload{}, err
	}
	return cs.Result(ctx)
}

// TestUplinkStreamedCall streams a call's input across the gateway both
// ways, over RawSocket and WebSocket: an upstream caller to an exported
// procedure of a device, and a device to an imported upstream procedure,
// chunk by chunk with the callee's acknowledgements coming back as they
// go; and a callee's early ERROR ends the stream on the other side.
func TestUplinkStreamedCall(t *testing.T) {
	for _, kind := range []string{"rs", "ws"} {
		t.Run(kind, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			up := startUpstream(t, kind, "", nil)
			x := join(t, ctx, up.r, "cloud")
			cfg := siteRules
			cfg.URL = up.url()
			gw := startGateway(t, cfg)
			d := join(t, ctx, gw.r, "realm1")

			const n = 20
			want := fmt.Sprint(n*(n+1)/2, n)
			// Export: the upstream client streams to the device.
			if _, err := d.Register(ctx, "light.fw", sumHandler, nil); err != nil {
				t.Fatal(err)
			}
			var res wamp.Payload
			eventually(t, ctx, "light.fw exported", func() bool {
				var err error
				res, err = streamSum(ctx, x, "com.acme.site7.light.fw", n)
				return err == nil
			})
			if fmt.Sprint(res.Args[:2]...) != want || res.Args[2] != "light.fw" {
				t.Errorf("light.fw via upstream = %v, want %s light.fw", res.Args, want)
			}

			// Import: the device streams to the upstream callee.
			if _, err := x.Register(ctx, "com.acme.cloud.store", sumHandler, nil); err != nil {
				t.Fatal(err)
			}
			res, err := streamSum(ctx, d, "cloud.store", n)
			if err != nil || fmt.Sprint(res.Args[:2]...) != want || res.Args[2] != "com.acme.cloud.store" {
				t.Errorf("cloud.store via gateway = %v, %v", res.Args, err)
			}

			// An early ERROR from the far callee reaches the caller, whose
			// stream then ends.
			bad := &wamp.Error{URI: "com.acme.bad_image"}
			if _, err := x.Register(ctx, "com.acme.cloud.refuse", func(context.Context, *device.Invocation) (wamp.Payload, error) {
				return wamp.Payload{}, bad
			}, nil); err != nil {
				t.Fatal(err)
			}
			cs, err := d.CallStream(ctx, "cloud.refuse", nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; ; i++ {
				if err := cs.Send(ctx, wamp.Payload{Args: wamp.List{i}}); err != nil {
					if !errors.Is(err, bad) {
						t.Fatalf("Send: %v", err)
					}
					break
				}
				time.Sleep(time.Millisecond)
			}
			if _, err := cs.Result(ctx); !errors.Is(err, bad) {
				t.Errorf("Result: %v, want %s", err, bad.URI)
			}
		})
	}
}
