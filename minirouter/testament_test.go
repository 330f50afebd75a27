package minirouter

import (
	"fmt"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

func addTestamentCall(req wamp.ID, topic string, arg any, kw wamp.Dict) *wamp.Call {
	return &wamp.Call{Request: req, Options: wamp.Dict{}, Procedure: "wamp.session.add_testament",
		Payload: wamp.Payload{Args: wamp.List{topic, wamp.List{arg}, wamp.Dict{}}, Kwargs: kw}}
}

// TestTestamentOnLostConnection: a device leaves testaments in both
// scopes and its connection drops without GOODBYE (power lost): they are
// published, detached scope first, each scope in order, with their publish
// options; the flushed ones are not.
func TestTestamentOnLostConnection(t *testing.T) {
	r := newTestRouter(t, Config{})
	watcher := joinClient(t, r, allRoles())
	watcher.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{"match": "prefix"}, Topic: "device."})
	expect[*wamp.Subscribed](watcher)

	dev := joinClient(t, r, allRoles())
	calls := []*wamp.Call{
		addTestamentCall(1, "device.gone", "destroyed-1", wamp.Dict{"publish_options": wamp.Dict{"disclose_me": true}}),
		addTestamentCall(2, "device.gone", "detached-1", wamp.Dict{"scope": "detached"}),
		addTestamentCall(3, "device.gone", "destroyed-2", nil),
		addTestamentCall(4, "device.flushed", "detached-flushed", wamp.Dict{"scope": "detached"}),
		{Request: 5, Options: wamp.Dict{}, Procedure: "wamp.session.flush_testaments", Payload: wamp.Payload{Kwargs: wamp.Dict{"scope": "detached"}}},
		addTestamentCall(6, "device.gone", "detached-2", wamp.Dict{"scope": "detached"}),
	}
	for _, c := range calls {
		dev.send(c)
		if res := expect[*wamp.Result](dev); res.Request != c.Request {
			t.Fatalf("RESULT for %d, want %d", res.Request, c.Request)
		}
	}
	dev.tr.Close() // no GOODBYE

	var got []string
	for range 3 {
		ev := expect[*wamp.Event](watcher)
		got = append(got, fmt.Sprint(ev.Args[0], "@", ev.Details["topic"], " by ", ev.Details["publisher"]))
	}
	want := []string{
		"detached-2@device.gone by <nil>",
		"destroyed-1@device.gone by " + fmt.Sprint(uint64(dev.id)),
		"destroyed-2@device.gone by <nil>",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("testaments %v\nwant       %v", got, want)
	}
	if n := r.Stats().TestamentsPublished; n != 3 {
		t.Errorf("TestamentsPublished = %d, want 3", n)
	}
}

// TestTestamentFlushedBeforeGoodbye: a session that flushes its
// testaments and says GOODBYE leaves nothing behind; one that does not
// flush still has its testament published (it ended, however cleanly).
func TestTestamentFlushedBeforeGoodbye(t *testing.T) {
	r := newTestRouter(t, Config{})
	watcher := joinClient(t, r, allRoles())
	watcher.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "device.gone"})
	expect[*wamp.Subscribed](watcher)
	for i, flush := range []bool{true, false} {
		dev := joinClient(t, r, allRoles())
		dev.send(addTestamentCall(1, "device.gone", i, nil))
		expect[*wamp.Result](dev)
		if flush {
			dev.send(&wamp.Call{Request: 2, Options: wamp.Dict{}, Procedure: "wamp.session.flush_testaments"})
			expect[*wamp.Result](dev)
		}
		dev.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal.URI})
		expect[*wamp.Goodbye](dev)
	}
	if ev := expect[*wamp.Event](watcher); ev.Args[0] != int64(1) {
		t.Errorf("testament %v, want the unflushed one (1)", ev.Args)
	}
}

func TestTestamentBadArguments(t *testing.T) {
	r := newTestRouter(t, Config{})
	c := joinClient(t, r, allRoles())
	bad := []wamp.Payload{
		{},
		{Args: wamp.List{"bad topic!"}},
		{Args: wamp.List{1}},
		{Args: wamp.List{"t", "not a list"}},
		{Args: wamp.List{"t", wamp.List{}, "not a dict"}},
		{Args: wamp.List{"t", wamp.List{}, wamp.Dict{}, "extra"}},
		{Args: wamp.List{"t"}, Kwargs: wamp.Dict{"scope": "forever"}},
		{Args: wamp.List{"t"}, Kwargs: wamp.Dict{"publish_options": "x"}},
		{Args: wamp.List{"t"}, Kwargs: wamp.Dict{"publish_options": wamp.Dict{"exclude": "x"}}},
	}
	for i, p := range bad {
		c.send(&wamp.Call{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Procedure: "wamp.session.add_testament", Payload: p})
		c.expectError(wamp.ErrInvalidArgument.URI)
	}
	for i := range DefaultMaxTestaments {
		c.send(addTestamentCall(wamp.ID(100+i), "t", i, nil))
		expect[*wamp.Result](c)
	}
	c.send(addTestamentCall(200, "t", "one too many", nil))
	c.expectError(wamp.ErrUnavailable.URI)
	c.send(&wamp.Call{Request: 201, Options: wamp.Dict{}, Procedure: "wamp.session.flush_testaments", Payload: wamp.Payload{Kwargs: wamp.Dict{"scope": 3}}})
	c.expectError(wamp.ErrInvalidArgument.URI)
}
