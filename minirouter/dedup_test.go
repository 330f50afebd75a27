package minirouter

import (
	"fmt"
	"testing"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// gatewayRealm is realm1 with users "gw", "dev" and "mallory" (tickets
// "g", "d", "m"), open to anonymous sessions too.
var gatewayRealm = Config{Realms: []RealmConfig{{Name: "realm1", AllowAnonymous: true, Users: []User{
	{AuthID: "gw", Ticket: "g"}, {AuthID: "dev", Ticket: "d"}, {AuthID: "mallory", Ticket: "m"}}}}}

// TestPublishNumberedOnce publishes numbered events, some of them resent:
// each number is delivered once (with the pair in the EVENT's details,
// its stream derived from the publisher's authid),
// every PUBLISH is acknowledged, repeats are counted, and unnumbered events
// and other streams are untouched.
func TestPublishNumberedOnce(t *testing.T) {
	r := newTestRouter(t, gatewayRealm)
	sub := joinClient(t, r, allRoles())
	pub := joinTicket(t, r, "realm1", "gw", "g")
	sub.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "sensor.temp"})
	expect[*wamp.Subscribed](sub)

	type step struct {
		stream, seq int // 0: unnumbered
		delivered   bool
	}
	steps := []step{{7, 1, true}, {7, 2, true}, {7, 2, false}, {7, 1, false}, {0, 0, true}, {8, 1, true}, {7, 3, true}, {7, 3, false}, {7, 9, true}}
	for i, s := range steps {
		opts := wamp.Dict{"acknowledge": true}
		if s.stream != 0 {
			opts[PubSeqOption] = wamp.List{s.stream, s.seq}
		}
		pub.send(&wamp.Publish{Request: wamp.ID(i + 1), Options: opts, Topic: "sensor.temp", Payload: wamp.Payload{Args: wamp.List{i}}})
		if p := expect[*wamp.Published](pub); p.Request != wamp.ID(i+1) {
			t.Fatalf("step %d: PUBLISHED for request %d", i, p.Request)
		}
	}
	// a marker published last: everything delivered before it came first
	pub.send(&wamp.Publish{Request: 100, Options: wamp.Dict{}, Topic: "sensor.temp", Payload: wamp.Payload{Args: wamp.List{"end"}}})
	var got []string
	for {
		ev := expect[*wamp.Event](sub)
		if ev.Args[0] == "end" {
			break
		}
		stream, seq, ok, _ := wamp.PubSeq(ev.Details)
		got = append(got, fmt.Sprintf("%v:%d/%d:%v", ev.Args[0], stream, seq, ok))
	}
	var want []string
	for i, s := range steps {
		if s.delivered {
			stream, _ := principal{authid: "gw"}.eventStream(wamp.ID(s.stream))
			if s.stream == 0 {
				stream = 0
			}
			want = append(want, fmt.Sprintf("%d:%d/%d:%v", i, stream, s.seq, s.stream != 0))
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("delivered %v\nwant      %v", got, want)
	}
	if n := r.Stats().PublicationsDeduplicated; n != 3 {
		t.Errorf("PublicationsDeduplicated = %d, want 3", n)
	}
}

func TestPublishNumberedMalformed(t *testing.T) {
	r := newTestRouter(t, Config{})
	pub := joinClient(t, r, allRoles())
	for i, v := range []any{"x", wamp.List{1}, wamp.List{0, 1}, wamp.List{1, -1}} {
		pub.send(&wamp.Publish{Request: wamp.ID(i + 1), Options: wamp.Dict{"acknowledge": true, PubSeqOption: v}, Topic: "t"})
		pub.expectError(wamp.ErrInvalidArgument.URI)
	}
}

func TestDedupTableBounded(t *testing.T) {
	tb := dedupTable{max: 3}
	for s := wamp.ID(1); s <= 3; s++ {
		tb.duplicate(principal{authid: "a"}, s, 5)
	}
	tb.duplicate(principal{authid: "a"}, 1, 6) // 1 is fresh again; 2 is the oldest
	if tb.duplicate(principal{authid: "a"}, 4, 1) || len(tb.last) != 3 {
		t.Fatalf("new stream: %d remembered", len(tb.last))
	}
	if !tb.duplicate(principal{authid: "a"}, 1, 6) || !tb.duplicate(principal{authid: "a"}, 3, 5) {
		t.Error("streams 1 and 3 forgotten")
	}
	if tb.duplicate(principal{authid: "b"}, 1, 6) {
		t.Error("another principal's stream 1 taken for a repeat")
	}
}

// TestNumberedStreamOwnedByPublisher: over RawSocket, sessions that saw a
// device's stream publish on it with the highest seq (an anonymous one,
// another user); the device's next readings are delivered all the same,
// whether it is anonymous or authenticated, its own repeats are still
// dropped, and subscribers see a pair only for an authenticated publisher,
// with a stream another publisher cannot show.
func TestNumberedStreamOwnedByPublisher(t *testing.T) {
	r := newTestRouter(t, gatewayRealm)
	addr := serveTCP(t, r)
	sub := dialSession(t, addr, wamp.JSON)
	sub.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "sensor.temp"})
	expect[*wamp.Subscribed](sub)
	anonDev := dialSession(t, addr, wamp.MsgPack)
	anonAttacker := dialSession(t, addr, wamp.JSON)
	dev := dialClient(t, addr, rawsocket.ClientConfig{Serializer: wamp.MsgPack})
	dev.joinTicket("realm1", "dev", "d")
	mallory := dialClient(t, addr, rawsocket.ClientConfig{Serializer: wamp.JSON})
	mallory.joinTicket("realm1", "mallory", "m")

	req := wamp.ID(0)
	publish := func(c *testClient, name string, seq wamp.ID) {
		t.Helper()
		req++
		c.send(&wamp.Publish{Request: req, Topic: "sensor.temp", Payload: wamp.Payload{Args: wamp.List{fmt.Sprint(name, "/", seq)}},
			Options: wamp.Dict{"acknowledge": true, PubSeqOption: wamp.List{uint64(7), uint64(seq)}}})
		expect[*wamp.Published](c)
	}
	publish(anonDev, "anon-dev", 1)
	publish(dev, "dev", 1)
	publish(anonAttacker, "anon-attacker", wamp.MaxID)
	publish(mallory, "mallory", wamp.MaxID)
	publish(anonDev, "anon-dev", 2)
	publish(anonDev, "anon-dev", 2) // its own repeat
	publish(dev, "dev", 2)
	publish(dev, "dev", 2) // its own repeat

	devStream, _ := principal{authid: "dev"}.eventStream(7)
	malloryStream, _ := principal{authid: "mallory"}.eventStream(7)
	want := []string{
		"anon-dev/1 -", fmt.Sprintf("dev/1 %d/1", devStream), "anon-attacker/9007199254740992 -",
		fmt.Sprintf("mallory/9007199254740992 %d/9007199254740992", malloryStream),
		"anon-dev/2 -", fmt.Sprintf("dev/2 %d/2", devStream),
	}
	var got []string
	for range want {
		ev := expect[*wamp.Event](sub)
		pair := "-"
		if stream, seq, ok, _ := wamp.PubSeq(ev.Details); ok {
			pair = fmt.Sprintf("%d/%d", stream, seq)
		}
		got = append(got, fmt.Sprint(ev.Args[0], " ", pair))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("delivered %q\nwant      %q", got, want)
	}
	if devStream == malloryStream {
		t.Error("two authids show the same stream")
	}
	if n := r.Stats().PublicationsDeduplicated; n != 2 {
		t.Errorf("PublicationsDeduplicated = %d, want 2 (the devices' own repeats)", n)
	}
}
