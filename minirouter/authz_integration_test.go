package minirouter_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// siteRealm is a realm where devices may only publish and register under
// devices.<their authid>. and browsers may watch and call everything there.
var siteRealm = minirouter.RealmConfig{
	Name: "site",
	Users: []minirouter.User{
		{AuthID: "dev1", AuthRole: "device", Ticket: "t1"},
		{AuthID: "dev2", AuthRole: "device", Ticket: "t2"},
		{AuthID: "ui", AuthRole: "browser", Ticket: "t3"},
	},
	Permissions: []minirouter.Permission{
		{Role: "device", URI: "devices.{authid}.", Match: "prefix", Actions: []string{"publish", "register"}},
		{Role: "device", URI: "wamp.session.add_testament", Actions: []string{"call"}},
		{Role: "browser", URI: "devices.", Match: "prefix", Actions: []string{"subscribe", "call"}},
	},
}

func joinAs(t *testing.T, ctx context.Context, r *minirouter.Router, authid, ticket string) *device.Client {
	t.Helper()
	tr, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := device.NewClient(ctx, tr, device.Config{Realm: "site", Auth: auth.Credentials{AuthID: authid, Ticket: ticket},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("join as %s: %v", authid, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestAuthorizationOwnPrefix(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{siteRealm}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dev1, dev2, ui := joinAs(t, ctx, r, "dev1", "t1"), joinAs(t, ctx, r, "dev2", "t2"), joinAs(t, ctx, r, "ui", "t3")

	events := make(chan string, 10)
	if _, err := ui.Subscribe(ctx, "devices.", func(ev *device.Event) { events <- string(ev.Topic) },
		&device.SubscribeOptions{Match: "prefix"}); err != nil {
		t.Fatal(err)
	}
	ack := &device.PublishOptions{Acknowledge: true}
	handler := func(context.Context, *device.Invocation) (wamp.Payload, error) {
		return wamp.Payload{Args: wamp.List{"ok"}}, nil
	}
	denied := []struct {
		what string
		err  error
	}{
		{"dev1 publishes under dev2", dev1.Publish(ctx, "devices.dev2.temp", wamp.Payload{}, ack)},
		{"dev1 publishes outside devices.", dev1.Publish(ctx, "alarm", wamp.Payload{}, ack)},
		{"dev1 registers under dev2", second(dev1.Register(ctx, "devices.dev2.light.set", handler, nil))},
		{"dev1 registers all devices.", second(dev1.Register(ctx, "devices.", handler, &device.RegisterOptions{Match: "prefix"}))},
		{"dev1 subscribes", second(dev1.Subscribe(ctx, "devices.dev2.temp", func(*device.Event) {}, nil))},
		{"dev2 calls", second(dev2.Call(ctx, "devices.dev1.light.set", wamp.Payload{}, nil))},
		{"ui publishes", ui.Publish(ctx, "devices.dev1.temp", wamp.Payload{}, ack)},
		{"ui registers", second(ui.Register(ctx, "devices.ui.x", handler, nil))},
		{"dev1 leaves a testament on dev2's topic", second(dev1.Call(ctx, "wamp.session.add_testament",
			wamp.Payload{Args: wamp.List{"devices.dev2.gone", wamp.List{}, wamp.Dict{}}}, nil))},
		{"ui leaves a testament", second(ui.Call(ctx, "wamp.session.add_testament",
			wamp.Payload{Args: wamp.List{"devices.ui.gone", wamp.List{}, wamp.Dict{}}}, nil))},
	}
	for _, d := range denied {
		if !errors.Is(d.err, wamp.ErrNotAuthorized) {
			t.Errorf("%s: %v, want wamp.error.not_authorized", d.what, d.err)
		}
	}
	// Unacknowledged: dropped (counted), nothing reaches the subscriber.
	if err := dev1.Publish(ctx, "devices.dev2.temp", wamp.Payload{}, nil); err != nil {
		t.Fatal(err)
	}

	// What the rules allow works.
	if _, err := dev1.Register(ctx, "devices.dev1.light.set", handler, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ui.Call(ctx, "devices.dev1.light.set", wamp.Payload{}, nil); err != nil {
		t.Errorf("ui calls dev1's procedure: %v", err)
	}
	if _, err := dev1.Call(ctx, "wamp.session.add_testament",
		wamp.Payload{Args: wamp.List{"devices.dev1.gone", wamp.List{}, wamp.Dict{}}}, nil); err != nil {
		t.Errorf("dev1 leaves a testament on its own topic: %v", err)
	}
	if err := dev1.Publish(ctx, "devices.dev1.temp", wamp.Payload{}, ack); err != nil {
		t.Fatal(err)
	}
	select {
	case topic := <-events:
		if topic != "devices.dev1.temp" {
			t.Errorf("the subscriber got an event on %s", topic)
		}
	case <-ctx.Done():
		t.Fatal("allowed event not delivered")
	}
	select {
	case topic := <-events:
		t.Errorf("leak: the subscriber got an event on %s", topic)
	case <-time.After(50 * time.Millisecond):
	}
	if n := r.Stats().AuthorizationDenials; n != uint64(len(denied)+1) {
		t.Errorf("AuthorizationDenials = %d, want %d", n, len(denied)+1)
	}
}

// second returns the error of a (value, error) pair.
func second[T any](_ T, err error) error { return err }
