package device_test

import (
	"context"
	"fmt"
	"log"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

func historyRouter(t testing.TB) *minirouter.Router {
	rt, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "realm1",
		History: []minirouter.HistoryRule{{Topic: "sensor.", Match: wamp.PrefixMatch, Limit: 10}}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

func TestSubscriptionHistory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rt := historyRouter(t)
	pub := joinInProcess(ctx, rt)
	defer pub.Close()
	sub := joinInProcess(ctx, rt)
	defer sub.Close()
	s, err := sub.Subscribe(ctx, "sensor.", func(*device.Event) {}, &device.SubscribeOptions{Match: wamp.PrefixMatch})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := pub.Publish(ctx, wamp.URI(fmt.Sprintf("sensor.t%d", i%2)), wamp.Payload{Args: wamp.List{i}},
			&device.PublishOptions{Acknowledge: true, DiscloseMe: true}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.History(ctx, nil)
	if err != nil || len(all) != 4 {
		t.Fatalf("History: %d events, %v", len(all), err)
	}
	if all[1].Topic != "sensor.t1" || all[1].Publisher == 0 || all[1].Subscription != s || all[1].Details["timestamp"] == nil {
		t.Errorf("event %+v", all[1])
	}
	tests := []struct {
		name string
		o    *device.HistoryOptions
		want string
	}{
		{"after", &device.HistoryOptions{AfterPublication: all[1].Publication}, "[2 3]"},
		{"limit", &device.HistoryOptions{Limit: 1}, "[0]"},
		{"reverse", &device.HistoryOptions{Reverse: true, Limit: 2}, "[3 2]"},
		{"after time", &device.HistoryOptions{AfterTime: time.Now().Add(time.Hour)}, "[]"},
	}
	for _, tt := range tests {
		evs, err := s.History(ctx, tt.o)
		var got []any
		for _, ev := range evs {
			got = append(got, ev.Args[0])
		}
		if err != nil || fmt.Sprint(got) != tt.want {
			t.Errorf("%s: %v %v, want %s", tt.name, got, err, tt.want)
		}
	}
	// a router without the history procedure
	plain, _ := minirouter.New(minirouter.Config{})
	defer plain.Close()
	c := joinInProcess(ctx, plain)
	defer c.Close()
	s2, _ := c.Subscribe(ctx, "x", func(*device.Event) {}, nil)
	if evs, err := s2.History(ctx, nil); err != nil || len(evs) != 0 {
		t.Errorf("no rules: %v %v", evs, err)
	}
}

// A subscriber that was away asks for the events it missed: those after
// the last publication it saw.
func ExampleSubscription_History() {
	ctx := context.Background()
	rt, _ := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "realm1",
		History: []minirouter.HistoryRule{{Topic: "sensor.temp", Limit: 100}}}}})
	defer rt.Close()
	pub := joinInProcess(ctx, rt)
	defer pub.Close()
	sub := joinInProcess(ctx, rt)
	defer sub.Close()

	s, err := sub.Subscribe(ctx, "sensor.temp", func(ev *device.Event) {}, nil)
	if err != nil {
		log.Fatal(err)
	}
	ack := &device.PublishOptions{Acknowledge: true}
	for _, v := range []float64{20.5, 21, 21.5} {
		pub.Publish(ctx, "sensor.temp", wamp.Payload{Args: wamp.List{v}}, ack)
	}
	all, err := s.History(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("kept:", len(all))
	// Say the subscriber saw only the first before a reconnect; in
	// Reconnect.OnJoin (on a goroutine of its own) it asks for the rest.
	last := all[0].Publication
	missed, _ := s.History(ctx, &device.HistoryOptions{AfterPublication: last})
	for _, ev := range missed {
		fmt.Println("missed:", ev.Args[0])
	}
	// Output:
	// kept: 3
	// missed: 21
	// missed: 21.5
}
