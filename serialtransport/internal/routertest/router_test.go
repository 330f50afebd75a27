//go:build linux

package routertest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/internal/ptytest"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/serialtransport"
	"github.com/edgewamp/edgewamp/wamp"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// crashable is a line whose writes can be cut, to let a device vanish
// without a word (no RESET), as a microcontroller that resets.
type crashable struct {
	io.ReadWriteCloser
	dead atomic.Bool
}

func (c *crashable) Write(p []byte) (int, error) {
	if c.dead.Load() {
		return len(p), nil
	}
	return c.ReadWriteCloser.Write(p)
}

// serialDevice opens the pty slave with go.bug.st/serial, links and joins.
func serialDevice(t *testing.T, ctx context.Context, path string) (*device.Client, *crashable) {
	t.Helper()
	port, err := serialtransport.OpenPort(path, 115200)
	if err != nil {
		t.Fatal(err)
	}
	line := &crashable{ReadWriteCloser: port}
	tr, err := serialtransport.Client(ctx, line, serialtransport.Config{Window: 1, Name: path})
	if err != nil {
		t.Fatal(err)
	}
	c, err := device.NewClient(ctx, tr, device.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return c, line
}

func add(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
	a, _ := inv.Args[0].(int64)
	b, _ := inv.Args[1].(int64)
	return wamp.Payload{Args: wamp.List{a + b}}, nil
}

// TestDeviceThroughMinirouter runs a device client over a serial link on a
// pty (go.bug.st/serial on the slave, the gateway's Listener on the master)
// against a minirouter session, and restarts the device.
func TestDeviceThroughMinirouter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rt, err := minirouter.New(minirouter.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	p, err := ptytest.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer p.Close()
	hold, err := p.HoldSlave() // the device side closes and reopens
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()

	// the gateway: accept links, serve a session on each
	l := serialtransport.NewListener(p.Master, serialtransport.Config{Name: "gw"})
	var wg sync.WaitGroup
	ended := make(chan error, 4)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept(ctx)
			if err != nil {
				return
			}
			wg.Add(1)
			rt.Attach(ctx, c, func(err error) { ended <- err; wg.Done() })
		}
	}()
	defer func() {
		l.Close()
		wg.Wait()
	}()

	ct, err := rt.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	caller, err := device.NewClient(ctx, ct, device.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()

	dev, line := serialDevice(t, ctx, p.SlavePath)
	if _, err := dev.Register(ctx, "com.example.add", add, nil); err != nil {
		t.Fatal(err)
	}
	res, err := caller.Call(ctx, "com.example.add", wamp.Payload{Args: wamp.List{2, 3}}, nil)
	if err != nil || len(res.Args) != 1 {
		t.Fatalf("Call = %v, %v", res, err)
	}
	if n, _ := res.Args[0].(int64); n != 5 {
		t.Fatalf("2+3 = %v", res.Args[0])
	}
	// PubSub both ways
	got := make(chan *device.Event, 1)
	if _, err := dev.Subscribe(ctx, "com.example.light", func(ev *device.Event) { got <- ev }, nil); err != nil {
		t.Fatal(err)
	}
	if err := caller.Publish(ctx, "com.example.light", wamp.Payload{Args: wamp.List{"on"}}, &device.PublishOptions{Acknowledge: true}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-got:
		if ev.Args[0] != "on" {
			t.Fatalf("event %v", ev.Args)
		}
	case <-ctx.Done():
		t.Fatal("no event over the serial link")
	}

	// the device resets without a word; its new incarnation handshakes again
	line.dead.Store(true)
	dev.Close()
	dev2, _ := serialDevice(t, ctx, p.SlavePath)
	defer dev2.Close()
	select {
	case err := <-ended:
		if !errors.Is(err, serialtransport.ErrPeerRestarted) {
			t.Fatalf("old session ended with %v, want ErrPeerRestarted", err)
		}
	case <-ctx.Done():
		t.Fatal("old session did not end")
	}
	// its registration went with it
	if _, err := caller.Call(ctx, "com.example.add", wamp.Payload{Args: wamp.List{1, 1}}, nil); !errors.Is(err, wamp.ErrNoSuchProcedure) {
		t.Fatalf("Call after the restart = %v, want no_such_procedure", err)
	}
	if _, err := dev2.Register(ctx, "com.example.add", add, nil); err != nil {
		t.Fatal(err)
	}
	res, err = caller.Call(ctx, "com.example.add", wamp.Payload{Args: wamp.List{20, 22}}, nil)
	if err != nil || res.Args[0] != int64(42) {
		t.Fatalf("Call on the new session = %v, %v", res, err)
	}
	if st := l.Stats(); st.Restarts != 1 || st.Handshakes != 2 {
		t.Fatalf("gateway stats %+v", st)
	}
}
