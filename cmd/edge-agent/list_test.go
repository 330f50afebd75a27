package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestListWithMetaAPI stands in for a router with the meta API: a client
// registers wamp.registration.list/get and wamp.subscription.list/get.
func TestListWithMetaAPI(t *testing.T) {
	url := startBareRouter(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := device.Dial(ctx, url, device.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	uris := map[int64]string{1: "light.set", 2: "agent.", 3: "temperature"}
	fixed := func(d wamp.Dict) device.Handler {
		return func(context.Context, *device.Invocation) (wamp.Payload, error) {
			return wamp.Payload{Args: wamp.List{d}}, nil
		}
	}
	get := func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
		id, _ := inv.Args[0].(int64)
		if id == 0 {
			if u, ok := inv.Args[0].(uint64); ok {
				id = int64(u)
			}
		}
		return wamp.Payload{Args: wamp.List{wamp.Dict{"uri": uris[id], "id": id}}}, nil
	}
	for proc, h := range map[wamp.URI]device.Handler{
		procRegList: fixed(wamp.Dict{"exact": wamp.List{1}, "prefix": wamp.List{2}, "wildcard": wamp.List{}}),
		procSubList: fixed(wamp.Dict{"exact": wamp.List{3}}),
		procRegGet:  get,
		procSubGet:  get,
	} {
		if _, err := c.Register(ctx, proc, h, nil); err != nil {
			t.Skipf("the router does not let a client register %s: %v", proc, err)
		}
	}
	var o, e bytes.Buffer
	if code := run(ctx, []string{"list", url}, &o, &e); code != 0 {
		t.Fatalf("list: exit %d: %s", code, e.String())
	}
	want := "procedure agent. (prefix)|procedure light.set (exact)|topic temperature (exact)"
	if got := strings.Join(strings.Split(strings.TrimSpace(o.String()), "\n"), "|"); got != want {
		t.Errorf("list printed %q, want %q", got, want)
	}
}
