package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/agent/demo"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/internal/ptytest"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/serialtransport"
)

// startSerialGateway serves a router with the demo device on the master of
// a new pty, until the test ends, and returns the serial:// URL of the
// slave, which edge-agent dials.
func startSerialGateway(t *testing.T) string {
	t.Helper()
	pty, err := ptytest.Open()
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	// A pty master reads a hangup while nobody has the slave open (a real
	// UART does not): hold it open across the edge-agent runs.
	hold, err := pty.HoldSlave()
	if err != nil {
		t.Fatal(err)
	}
	r, err := minirouter.New(minirouter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := serialtransport.NewListener(pty.Master, serialtransport.Config{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept(ctx)
			if err != nil {
				return
			}
			r.Attach(ctx, c, nil)
		}
	}()
	t.Cleanup(func() {
		cancel()
		l.Close()
		<-done
		r.Close()
		hold.Close()
	})
	tr, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := device.NewClient(ctx, tr, device.Config{})
	if err != nil {
		t.Fatal(err)
	}
	go demo.Run(ctx, dev, demo.Config{Interval: time.Hour})
	return "serial://" + pty.SlavePath + "?baud=115200"
}

// callOverSerial runs `call -serializer ser URL light.set true` through run
// until the demo device has registered (up to 30 s), and checks the result.
func callOverSerial(t *testing.T, url, ser string, run func(args ...string) (code int, stdout, stderr string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, out, errOut := run("call", "-serializer", ser, url, "light.set", "true")
		if code == 0 {
			if got := strings.TrimSpace(out); got != "[true]" {
				t.Errorf("%s: light.set printed %q, want [true]", ser, got)
			}
			return
		}
		if time.Now().After(deadline) || !strings.Contains(errOut, "no_such_procedure") {
			t.Fatalf("%s: exit %d: %s", ser, code, errOut)
		}
		time.Sleep(20 * time.Millisecond) // the demo device is still registering
	}
}

// TestCallOverSerial: edge-agent dials serial://PTY (its end opened with
// go.bug.st/serial, or termios in an edgewamp_termios build) to a gateway
// serving the pty's other end, and calls the demo device there. The qemu
// test does the same with the emulated minimal build.
func TestCallOverSerial(t *testing.T) {
	url := startSerialGateway(t)
	for _, ser := range []string{"msgpack", "json"} {
		callOverSerial(t, url, ser, func(args ...string) (int, string, string) {
			var out, errb bytes.Buffer
			code := run(context.Background(), args, &out, &errb)
			return code, out.String(), errb.String()
		})
	}
}
