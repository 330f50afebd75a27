package main

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestListWithMetaAPI lists what our router has, through its meta API: a
// device's procedures (exact and prefix) and subscription.
func TestListWithMetaAPI(t *testing.T) {
	url := startBareRouter(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := device.Dial(ctx, url, device.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := func(context.Context, *device.Invocation) (wamp.Payload, error) { return wamp.Payload{}, nil }
	if _, err := c.Register(ctx, "light.set", h, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Register(ctx, "agent.", h, &device.RegisterOptions{Match: "prefix"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, "temperature", func(*device.Event) {}, nil); err != nil {
		t.Fatal(err)
	}
	var o, e bytes.Buffer
	if code := run(ctx, []string{"list", url}, &o, &e); code != 0 {
		t.Fatalf("list: exit %d: %s", code, e.String())
	}
	want := "procedure agent. (prefix)|procedure light.set (exact)|topic temperature (exact)" // sorted
	if got := strings.Join(strings.Split(strings.TrimSpace(o.String()), "\n"), "|"); got != want {
		t.Errorf("list printed %q, want %q", got, want)
	}
}

// TestListWithoutMetaAPI runs list against a router without the meta API
// (a stub that answers every CALL with wamp.error.no_such_procedure), and
// against ours where the realm's permissions deny it.
func TestListWithoutMetaAPI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var o, e bytes.Buffer
	if code := run(ctx, []string{"list", startStubRouter(t)}, &o, &e); code != 1 || !strings.Contains(e.String(), "does not offer the meta API") {
		t.Errorf("list without the meta API: exit %d, stderr %q", code, e.String())
	}
	e.Reset()
	if code := run(ctx, []string{"list"}, &o, &e); code != 2 || !strings.Contains(e.String(), "missing URL") {
		t.Errorf("list without URL: exit %d, stderr %q", code, e.String())
	}

	path := filepath.Join(t.TempDir(), "denied.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "realm1",
		Permissions: []minirouter.Permission{{Role: "*", URI: "app.", Match: "prefix", Actions: []string{"call"}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go listen.Serve(r, l, listen.Config{})
	e.Reset()
	if code := run(ctx, []string{"list", "unix://" + path}, &o, &e); code != 1 || !strings.Contains(e.String(), "not_authorized") {
		t.Errorf("list where the meta API is denied: exit %d, stderr %q", code, e.String())
	}
}

// startStubRouter serves a minimal router without the meta API on a Unix
// socket: WELCOME to HELLO, no_such_procedure to every CALL, GOODBYE to
// GOODBYE.
func startStubRouter(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stub.sock")
	l, err := rawsocket.Listen("unix", path, rawsocket.ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				ser := c.Serializer()
				send := func(m wamp.Message) bool {
					b, err := ser.AppendMessage(nil, m)
					return err == nil && c.WriteMessages([][]byte{b}) == nil
				}
				for {
					b, err := c.ReadMessage()
					if err != nil {
						return
					}
					m, err := ser.DecodeMessage(b)
					if err != nil {
						return
					}
					switch m := m.(type) {
					case *wamp.Hello:
						send(&wamp.Welcome{Session: 1, Details: wamp.Dict{"roles": wamp.Dict{"dealer": wamp.Dict{}, "broker": wamp.Dict{}}}})
					case *wamp.Call:
						send(&wamp.ErrorMessage{RequestType: wamp.CALL, Request: m.Request, Details: wamp.Dict{}, Error: wamp.ErrNoSuchProcedure.URI})
					case *wamp.Goodbye:
						send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut.URI})
						return
					}
				}
			}()
		}
	}()
	return "unix://" + path
}
