package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/internal/ptytest"
	"github.com/edgewamp/edgewamp/serialtransport"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestSerialListener runs sensorbridge with -listen serial://PTY and a
// device on the pty's master end: the device registers a procedure that a
// RawSocket client calls through the gateway, and calls the gateway's demo
// device; when the device restarts (handshakes again on the same line) its
// old session and registration are gone and a new session works.
func TestSerialListener(t *testing.T) {
	pty, err := ptytest.Open()
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	defer pty.Close()
	sock := filepath.Join(t.TempDir(), "sb.sock")
	cfg, err := parseFlags([]string{"-demo", "-demo-interval", "50ms",
		"-listen", "unix://" + sock, "-listen", "serial://" + pty.SlavePath + "?baud=115200"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not stop")
		}
	}()

	tctx, tcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer tcancel()
	var line *cuttable
	join := func() *device.Client {
		t.Helper()
		line = &cuttable{f: pty.Master}
		link, err := serialtransport.Client(tctx, line, serialtransport.Config{})
		if err != nil {
			t.Fatalf("serial handshake: %v", err)
		}
		c, err := device.NewClient(tctx, link, device.Config{})
		if err != nil {
			t.Fatalf("join over serial: %v", err)
		}
		return c
	}
	mcu := join()
	if _, err := mcu.Register(tctx, "mcu.echo", func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
		return inv.Payload, nil
	}, nil); err != nil {
		t.Fatal(err)
	}

	var rs *device.Client
	for rs == nil {
		if rs, err = device.Dial(tctx, "unix://"+sock, device.Config{}); err != nil {
			if tctx.Err() != nil {
				t.Fatal(err)
			}
			rs = nil
			time.Sleep(10 * time.Millisecond)
		}
	}
	defer rs.Close()
	res, err := rs.Call(tctx, "mcu.echo", wamp.Payload{Args: wamp.List{"over", "serial"}}, nil)
	if err != nil || len(res.Args) != 2 || res.Args[1] != "serial" {
		t.Fatalf("call across the serial link: %v %v", res.Args, err)
	}
	for {
		res, err = mcu.Call(tctx, "light.set", wamp.Payload{Args: wamp.List{true}}, nil)
		if err == nil || tctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond) // the demo device may not have registered yet
	}
	if err != nil || len(res.Args) != 1 || res.Args[0] != true {
		t.Fatalf("device calls the demo light: %v %v", res.Args, err)
	}

	// The device loses power: its side goes silent (nothing more is written,
	// its reader stops), then it boots and handshakes again on the same line.
	line.cut()
	<-mcu.Done()
	if err := pty.Master.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	mcu2 := join()
	defer mcu2.Close()
	if _, err := rs.Call(tctx, "mcu.echo", wamp.Payload{}, nil); !errors.Is(err, wamp.ErrNoSuchProcedure) {
		t.Fatalf("the restarted device's old registration is still there: %v", err)
	}
	res, err = mcu2.Call(tctx, "light.get", wamp.Payload{}, nil)
	if err != nil || len(res.Args) != 1 || res.Args[0] != true {
		t.Fatalf("new session: light.get = %v %v", res.Args, err)
	}
}

// cuttable is the device's end of the line (the pty master), which stays
// open across the device's restarts: cut or Close makes the current link's
// reads fail and its writes vanish, as when the device loses power.
type cuttable struct {
	f    *os.File
	dead atomic.Bool
}

func (c *cuttable) Read(b []byte) (int, error) {
	if c.dead.Load() {
		return 0, io.EOF
	}
	n, err := c.f.Read(b)
	if c.dead.Load() {
		return 0, io.EOF
	}
	return n, err
}

func (c *cuttable) Write(b []byte) (int, error) {
	if c.dead.Load() {
		return len(b), nil // lost on a powered-off device
	}
	return c.f.Write(b)
}

func (c *cuttable) cut() {
	c.dead.Store(true)
	c.f.SetReadDeadline(time.Now()) // unblock the reader
}

func (c *cuttable) Close() error { c.cut(); return nil }

// TestSerialAutobahn: an independent client, AutobahnPython over WebSocket,
// and a device across sensorbridge's serial listener (a pty) call each other
// and exchange events through the gateway, in all four roles.
func TestSerialAutobahn(t *testing.T) {
	needPeer(t, "py")
	pty, err := ptytest.Open()
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	defer pty.Close()
	r, addrs := serveGateway(t, "realm1", "ws://127.0.0.1:0/ws")
	wsURL := "ws://" + addrs[0] + "/ws"
	g, err := openListener(listenSpec{URL: "serial://" + pty.SlavePath + "?baud=115200"}, limitsSpec{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(serveListener(g, r, make(chan error, 1)))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	link, err := serialtransport.Client(ctx, &cuttable{f: pty.Master}, serialtransport.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mcu, err := device.NewClient(ctx, link, device.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer mcu.Close()
	const n = 5
	for _, ser := range []string{"json", "msgpack"} {
		t.Run(ser+"/autobahn-calls-device", func(t *testing.T) {
			uri := wamp.URI("serial.add." + ser)
			reg, err := mcu.Register(ctx, uri, func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
				a, _ := inv.Args[0].(int64)
				b, _ := inv.Args[1].(int64)
				return wamp.Payload{Args: wamp.List{a + b}}, nil
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Unregister(ctx)
			p := startPeer(t, ctx, "py", wsURL, "realm1", ser, "caller", fmt.Sprint(n), string(uri))
			p.wait(ctx)
		})
		t.Run(ser+"/device-calls-autobahn", func(t *testing.T) {
			uri := wamp.URI("py.add." + ser)
			p := startPeer(t, ctx, "py", wsURL, "realm1", ser, "callee", fmt.Sprint(n), string(uri))
			p.ready(ctx)
			for i := range n {
				res, err := mcu.Call(ctx, uri, wamp.Payload{Args: wamp.List{i + 2, 3}}, nil)
				if err != nil || len(res.Args) != 1 || fmt.Sprint(res.Args[0]) != fmt.Sprint(i+5) {
					t.Fatalf("call %d across the serial link: %v %v", i, res.Args, err)
				}
			}
			p.wait(ctx)
		})
		t.Run(ser+"/device-publishes", func(t *testing.T) {
			uri := wamp.URI("serial.readings." + ser)
			p := startPeer(t, ctx, "py", wsURL, "realm1", ser, "subscriber", fmt.Sprint(n), string(uri))
			p.ready(ctx)
			for i := range n {
				if err := mcu.Publish(ctx, uri, wamp.Payload{Args: wamp.List{i}, Kwargs: wamp.Dict{"seq": i}},
					&device.PublishOptions{Acknowledge: true}); err != nil {
					t.Fatal(err)
				}
			}
			p.wait(ctx)
		})
		t.Run(ser+"/device-subscribes", func(t *testing.T) {
			uri := wamp.URI("py.readings." + ser)
			got := make(chan wamp.Payload, n)
			sub, err := mcu.Subscribe(ctx, uri, func(ev *device.Event) { got <- ev.Payload }, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Unsubscribe(ctx)
			p := startPeer(t, ctx, "py", wsURL, "realm1", ser, "publisher", fmt.Sprint(n), string(uri))
			for i := range n {
				select {
				case ev := <-got:
					if len(ev.Args) != 1 || fmt.Sprint(ev.Args[0]) != fmt.Sprint(i) || fmt.Sprint(ev.Kwargs["seq"]) != fmt.Sprint(i) {
						t.Fatalf("event %d across the serial link: %v %v", i, ev.Args, ev.Kwargs)
					}
				case <-ctx.Done():
					t.Fatalf("event %d never arrived", i)
				}
			}
			p.wait(ctx)
		})
	}
}
