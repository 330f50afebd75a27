package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/internal/demo"
	"github.com/edgewamp/edgewamp/internal/ptytest"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/serialtransport"
)

// TestCallOverSerial: edge-agent dials serial://PTY (its end opened with
// go.bug.st/serial) to a gateway serving the pty's other end, and calls the
// demo device there.
func TestCallOverSerial(t *testing.T) {
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
	defer hold.Close()
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
			go r.ServeTransport(ctx, c)
		}
	}()
	tr, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := device.NewClient(ctx, tr, device.Config{})
	if err != nil {
		t.Fatal(err)
	}
	go demo.Run(ctx, dev, demo.Config{Interval: time.Hour})
	defer func() {
		cancel()
		l.Close()
		<-done
		r.Close()
	}()

	url := "serial://" + pty.SlavePath + "?baud=115200"
	for _, ser := range []string{"msgpack", "json"} {
		var out, errb bytes.Buffer
		deadline := time.Now().Add(10 * time.Second)
		for {
			out.Reset()
			errb.Reset()
			code := run(context.Background(), []string{"call", "-serializer", ser, url, "light.set", "true"}, &out, &errb)
			if code == 0 {
				break
			}
			if time.Now().After(deadline) || !strings.Contains(errb.String(), "no_such_procedure") {
				t.Fatalf("%s: exit %d: %s", ser, code, errb.String())
			}
			time.Sleep(20 * time.Millisecond) // the demo device is still registering
		}
		if got := strings.TrimSpace(out.String()); got != "[true]" {
			t.Errorf("%s: light.set printed %q, want [true]", ser, got)
		}
	}
}
