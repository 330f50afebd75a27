package wstransport_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// TestRouterAndDevice runs real WAMP sessions over WebSocket: the
// minirouter behind listen.Handler, device clients through Dial,
// one per serializer, calling each other.
func TestRouterAndDevice(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	router, err := minirouter.New(minirouter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer router.Close()
	h := listen.Handler(router, wstransport.ServerConfig{})
	srv := wstransport.NewServer("127.0.0.1:0", h)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	defer func() { _ = srv.Close(); <-done }()

	cfg := device.Config{Dialers: map[string]wamp.Dialer{"ws": wstransport.DialURL}}
	base := "ws://" + l.Addr().String() + "/"
	callee, err := device.Dial(ctx, base+"?serializer=msgpack", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer callee.Close()
	caller, err := device.Dial(ctx, base+"?serializer=json", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()

	_, err = callee.Register(ctx, "com.example.echo", func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
		return inv.Payload, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := wamp.Payload{Args: wamp.List{"hello", int64(42), []byte{0, 1, 2}}, Kwargs: wamp.Dict{"k": "v"}}
	out, err := caller.Call(ctx, "com.example.echo", in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Args) != 3 || out.Args[0] != "hello" || out.Args[1] != int64(42) || string(out.Args[2].([]byte)) != "\x00\x01\x02" || out.Kwargs["k"] != "v" {
		t.Errorf("echo returned %#v", out)
	}
	if err := caller.Leave(ctx); err != nil {
		t.Errorf("Leave: %v", err)
	}
}

// TestDeviceDialURL joins a device over ws:// with DialURL plugged into
// device.Config.Dialers, once per serializer asked for in the URL.
func TestDeviceDialURL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	router, err := minirouter.New(minirouter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer router.Close()
	var got []string
	gotc := make(chan string, 4)
	h := wstransport.Handler(wstransport.ServerConfig{}, func(tr wamp.Transport) {
		gotc <- tr.Serializer().Name()
		ended := make(chan struct{})
		router.Attach(ctx, tr, func(error) { close(ended) })
		<-ended
	})
	srv := wstransport.NewServer("127.0.0.1:0", h)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	defer func() { _ = srv.Close(); <-done }()

	cfg := device.Config{Dialers: map[string]wamp.Dialer{"ws": wstransport.DialURL, "wss": wstransport.DialURL}}
	queries, want := []string{"", "?serializer=msgpack", "?serializer=json"}, "json,msgpack,json"
	if wamp.CBOR != nil {
		queries, want = append(queries, "?serializer=cbor"), want+",cbor"
	}
	for _, q := range queries {
		c, err := device.Dial(ctx, "ws://"+l.Addr().String()+"/ws"+q, cfg)
		if err != nil {
			t.Fatalf("dial %q: %v", q, err)
		}
		got = append(got, <-gotc)
		if err := c.Leave(ctx); err != nil {
			t.Errorf("leave: %v", err)
		}
	}
	if strings.Join(got, ",") != want {
		t.Errorf("serializers %v, want %s", got, want)
	}
	if _, err := device.Dial(ctx, "ws://"+l.Addr().String()+"/ws?serializer=ubjson", cfg); err == nil {
		t.Error("dial with an unknown serializer succeeded")
	}
}
