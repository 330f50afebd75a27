package listen_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// serveUnisocket serves r on one loopback port for both RawSocket and
// WebSocket (path /ws) and returns the address; everything stops at cleanup.
func serveUnisocket(t *testing.T, r *minirouter.Router, sniff time.Duration) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	raw, web := listen.Split(l, sniff)
	mux := http.NewServeMux()
	mux.Handle("/ws", listen.Handler(r, wstransport.ServerConfig{}))
	srv := wstransport.NewServer("", mux)
	done := make(chan struct{}, 2)
	go func() { _ = listen.Serve(r, raw, listen.Config{}); done <- struct{}{} }()
	go func() { _ = srv.Serve(web); done <- struct{}{} }()
	t.Cleanup(func() {
		r.Close()
		srv.Close()
		raw.Close()
		<-done
		<-done
	})
	return l.Addr().String()
}

// TestUnisocket runs RawSocket and WebSocket devices (JSON and MessagePack)
// through one port and checks that a silent connection is dropped without
// delaying the others.
func TestUnisocket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := minirouter.New(minirouter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveUnisocket(t, r, 200*time.Millisecond)

	silent, err := net.Dial("tcp", addr) // sends nothing: must not block the others
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	cfg := device.Config{Dialers: map[string]wamp.Dialer{"ws": wstransport.DialURL, "wss": wstransport.DialURL}}
	urls := []string{
		"rs://" + addr, "rs://" + addr + "?serializer=json",
		"ws://" + addr + "/ws", "ws://" + addr + "/ws?serializer=msgpack",
	}
	callee, err := device.Dial(ctx, urls[0], cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer callee.Close()
	if _, err := callee.Register(ctx, "uni.echo", func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
		return inv.Payload, nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	for _, u := range urls[1:] {
		c, err := device.Dial(ctx, u, cfg)
		if err != nil {
			t.Fatalf("dial %s: %v", u, err)
		}
		res, err := c.Call(ctx, "uni.echo", wamp.Payload{Args: wamp.List{u}}, nil)
		if err != nil || len(res.Args) != 1 || res.Args[0] != u {
			t.Errorf("%s: echo = %v, %v", u, res.Args, err)
		}
		c.Close()
	}
	// The silent connection is closed by the sniff timeout.
	silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := silent.Read(make([]byte, 1)); err == nil {
		t.Error("silent connection got data")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Error("silent connection still open after the sniff timeout")
	}
}
