//go:build !edgewamp_noprogcall

package device_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// joinStream joins a client with cfg to rt in process; it is closed at the
// end of the test.
func joinStream(t *testing.T, rt *minirouter.Router, cfg device.Config) *device.Client {
	t.Helper()
	tr, err := rt.Connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = quiet()
	c, err := device.NewClient(t.Context(), tr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// registerSum registers "sum": it adds the integers of every chunk, in
// order, acknowledging each with a progressive result (the running
// total), and returns the total and the number of chunks.
func registerSum(t *testing.T, callee *device.Client) {
	t.Helper()
	_, err := callee.Register(t.Context(), "sum", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		var total, chunks int64
		p := inv.Payload
		for {
			chunks++
			for _, v := range p.Args {
				n, _ := v.(int64)
				total += n
			}
			_ = inv.Progress(ctx, wamp.Payload{Args: wamp.List{total}})
			var err error
			if p, err = inv.Recv(ctx); errors.Is(err, io.EOF) {
				return wamp.Payload{Args: wamp.List{total, chunks}}, nil
			} else if err != nil {
				return wamp.Payload{}, err
			}
		}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
}

func TestCallStream(t *testing.T) {
	rt := newRouter(t)
	callee := joinStream(t, rt, device.Config{})
	registerSum(t, callee)
	caller := joinStream(t, rt, device.Config{})
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()

	t.Run("chunks in order, acknowledged", func(t *testing.T) {
		cs, err := caller.CallStream(ctx, "sum", nil)
		if err != nil {
			t.Fatal(err)
		}
		want := int64(0)
		for i := int64(1); i <= 50; i++ {
			if err := cs.Send(ctx, wamp.Payload{Args: wamp.List{i}}); err != nil {
				t.Fatalf("Send %d: %v", i, err)
			}
			want += i
			// wait for the acknowledgement: at most one chunk in flight
			ack, err := cs.Recv(ctx)
			if err != nil || ack.Args[0] != want {
				t.Fatalf("ack %d: %v %v, want %d", i, ack.Args, err, want)
			}
		}
		if err := cs.CloseSend(ctx, wamp.Payload{Args: wamp.List{int64(1000)}}); err != nil {
			t.Fatal(err)
		}
		res, err := cs.Result(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Args[0] != want+1000 || res.Args[1] != int64(51) {
			t.Errorf("result %v, want [%d 51]", res.Args, want+1000)
		}
		if _, err := cs.Recv(ctx); !errors.Is(err, io.EOF) {
			t.Errorf("Recv after the result: %v", err)
		}
		if err := cs.Send(ctx, wamp.Payload{}); !errors.Is(err, device.ErrStreamClosed) {
			t.Errorf("Send after CloseSend: %v", err)
		}
	})
	t.Run("CloseSend alone is a plain call", func(t *testing.T) {
		var acks []wamp.Payload
		cs, _ := caller.CallStream(ctx, "sum", &device.CallOptions{Progress: func(p wamp.Payload) { acks = append(acks, p) }})
		if err := cs.CloseSend(ctx, wamp.Payload{Args: wamp.List{int64(7)}}); err != nil {
			t.Fatal(err)
		}
		res, err := cs.Result(ctx)
		if err != nil || res.Args[0] != int64(7) || res.Args[1] != int64(1) {
			t.Errorf("result %v %v", res.Args, err)
		}
		if len(acks) != 1 {
			t.Errorf("progressive results passed to Progress: %v", acks)
		}
	})
	t.Run("plain call: Recv returns EOF at once", func(t *testing.T) {
		res, err := caller.Call(ctx, "sum", wamp.Payload{Args: wamp.List{int64(2), int64(3)}}, nil)
		if err != nil || res.Args[0] != int64(5) {
			t.Errorf("result %v %v", res.Args, err)
		}
	})
}

func TestCallStreamCalleeAnswersEarly(t *testing.T) {
	rt := newRouter(t)
	callee := joinStream(t, rt, device.Config{})
	bad := &wamp.Error{URI: "com.example.bad_image"}
	_, err := callee.Register(t.Context(), "flash", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		return wamp.Payload{}, bad // refuses the image at its first chunk
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	caller := joinStream(t, rt, device.Config{})
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	cs, _ := caller.CallStream(ctx, "flash", nil)
	if err := cs.Send(ctx, wamp.Payload{Args: wamp.List{"header"}}); err != nil {
		t.Fatal(err)
	}
	// Later chunks go out until the ERROR is in, then Send returns it.
	deadline := time.Now().Add(testTimeout)
	for {
		err := cs.Send(ctx, wamp.Payload{Args: wamp.List{"more"}})
		if errors.Is(err, bad) {
			break
		}
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("Send: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
	if err := cs.CloseSend(ctx, wamp.Payload{}); !errors.Is(err, bad) {
		t.Errorf("CloseSend: %v", err)
	}
	if _, err := cs.Result(ctx); !errors.Is(err, bad) {
		t.Errorf("Result: %v", err)
	}
	// The chunks that crossed the ERROR were dropped, by the router (and the callee).
	if n := rt.Stats().StreamChunksDropped + callee.Stats().ChunksDropped; n == 0 {
		t.Log("no chunk crossed the ERROR")
	}
}

func TestCallStreamCancel(t *testing.T) {
	rt := newRouter(t)
	callee := joinStream(t, rt, device.Config{})
	interrupted := make(chan error, 1)
	_, err := callee.Register(t.Context(), "slow", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		for {
			if _, err := inv.Recv(ctx); err != nil {
				interrupted <- err
				return wamp.Payload{}, err
			}
		}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	caller := joinStream(t, rt, device.Config{})
	cs, _ := caller.CallStream(t.Context(), "slow", nil)
	if err := cs.Send(t.Context(), wamp.Payload{Args: wamp.List{1}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := cs.Recv(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Recv with a cancelled ctx: %v", err)
	}
	select {
	case err := <-interrupted:
		if errors.Is(err, io.EOF) {
			t.Errorf("handler saw the end of the input, not the cancel")
		}
	case <-time.After(testTimeout):
		t.Fatal("the handler was not interrupted")
	}
	if err := cs.Send(t.Context(), wamp.Payload{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send after the cancel: %v", err)
	}
	if _, err := cs.Result(t.Context()); !errors.Is(err, context.Canceled) {
		t.Errorf("Result after the cancel: %v", err)
	}
}

func TestCallStreamChunkQueueFull(t *testing.T) {
	rt := newRouter(t)
	callee := joinStream(t, rt, device.Config{ChunkQueue: 2})
	release := make(chan struct{})
	_, err := callee.Register(t.Context(), "stuck", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		select { // reads nothing until released
		case <-release:
		case <-ctx.Done():
		}
		return wamp.Payload{}, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer close(release)
	caller := joinStream(t, rt, device.Config{})
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	cs, _ := caller.CallStream(ctx, "stuck", nil)
	for i := range 4 { // the first runs the handler, two fill the queue, the fourth overflows it
		if err := cs.Send(ctx, wamp.Payload{Args: wamp.List{i}}); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	_ = cs.CloseSend(ctx, wamp.Payload{}) // nil, or the error if it is already in
	if _, err := cs.Result(ctx); !errors.Is(err, wamp.ErrUnavailable) {
		t.Errorf("Result: %v, want wamp.error.unavailable", err)
	}
	if n := callee.Stats().ChunksDropped; n == 0 {
		t.Error("the overflow was not counted")
	}
}

func TestCallStreamCalleeWithoutFeature(t *testing.T) {
	rt := newRouter(t)
	// A callee that announces the bare role: the router refuses to stream to it.
	callee := joinStream(t, rt, device.Config{HelloDetails: wamp.Dict{"roles": wamp.Dict{"callee": wamp.Dict{}}}})
	_, err := callee.Register(t.Context(), "old", func(context.Context, *device.Invocation) (wamp.Payload, error) {
		return wamp.Payload{}, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	caller := joinStream(t, rt, device.Config{})
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	cs, _ := caller.CallStream(ctx, "old", nil)
	if err := cs.Send(ctx, wamp.Payload{Args: wamp.List{1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Result(ctx); !errors.Is(err, wamp.ErrFeatureNotSupported) {
		t.Errorf("Result: %v, want wamp.error.feature_not_supported", err)
	}
}
