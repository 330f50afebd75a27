package minirouter

import (
	"sync/atomic"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

func TestBroker(t *testing.T) {
	const join = `
		a> ` + hello + `
		a< [2,$sa,*]
		b> ` + hello + `
		b< [2,$sb,*]
		c> ` + hello + `
		c< [2,$sc,*]`
	tests := []struct{ name, script string }{
		{"exact subscribe, acknowledged publish", `
			a> [32,1,{},"com.t"]
			a< [33,1,$sub]
			b> [16,1,{"acknowledge":true},"com.t",[1,"two"],{"k":true}]
			b< [17,1,$pub]
			a< [36,$sub,$pub,{},[1,"two"],{"k":true}]`},
		{"one subscription ID per topic and match, shared", `
			a> [32,1,{},"com.t"]
			a< [33,1,$sub]
			b> [32,1,{},"com.t"]
			b< [33,1,$sub]
			a> [32,2,{},"com.t"]
			a< [33,2,$sub]
			a> [32,3,{"match":"prefix"},"com.t"]
			a< [33,3,$psub]
			c> [16,1,{},"com.t"]
			a< [36,$sub,$pub,{}]
			a< [36,$psub,$pub,{"topic":"com.t"}]
			b< [36,$sub,$pub,{}]`},
		{"prefix subscription", `
			a> [32,1,{"match":"prefix"},"com.sensor"]
			a< [33,1,$sub]
			b> [16,1,{"acknowledge":true},"com.sensor.temp",[21.5]]
			b< [17,1,$p1]
			a< [36,$sub,$p1,{"topic":"com.sensor.temp"},[21.5]]
			b> [16,2,{"acknowledge":true},"com.sensorx"]
			b< [17,2,$p2]
			a< [36,$sub,$p2,{"topic":"com.sensorx"}]
			b> [16,3,{"acknowledge":true},"com.other"]
			b< [17,3,$p3]
			b> [16,4,{"acknowledge":true},"com.sensor"]
			b< [17,4,$p4]
			a< [36,$sub,$p4,{"topic":"com.sensor"}]`},
		{"wildcard subscription", `
			a> [32,1,{"match":"wildcard"},"com..temp"]
			a< [33,1,$sub]
			b> [16,1,{},"com.kitchen.temp",[1]]
			a< [36,$sub,$p1,{"topic":"com.kitchen.temp"},[1]]
			b> [16,2,{},"com.kitchen.humidity"]
			b> [16,3,{},"com.kitchen.temp.x"]
			b> [16,4,{},"com.garage.temp",[4]]
			a< [36,$sub,$p4,{"topic":"com.garage.temp"},[4]]`},
		{"publisher excluded by default, included on request", `
			a> [32,1,{},"com.t"]
			a< [33,1,$sub]
			a> [16,1,{"acknowledge":true},"com.t",["mine"]]
			a< [17,1,$p1]
			a> [16,2,{"exclude_me":false},"com.t",["me too"]]
			a< [36,$sub,$p2,{},["me too"]]`},
		{"publisher identification", `
			a> [32,1,{},"com.t"]
			a< [33,1,$sub]
			b> [16,1,{"disclose_me":true},"com.t"]
			a< [36,$sub,$p,{"publisher":$sb,"publisher_authid":*,"publisher_authrole":"anonymous"}]`},
		{"exclude by session", `
			a> [32,1,{},"com.t"]
			a< [33,1,$sub]
			b> [32,1,{},"com.t"]
			b< [33,1,$sub]
			c> [16,1,{"exclude":[$sa]},"com.t",[1]]
			b< [36,$sub,$p,{},[1]]
			c> [16,2,{"exclude":[$sa,$sb],"acknowledge":true},"com.t",[2]]
			c< [17,2,$p2]
			c> [16,3,{},"com.t",[3]]
			a< [36,$sub,$p3,{},[3]]
			b< [36,$sub,$p3,{},[3]]`},
		{"eligible by session", `
			a> [32,1,{},"com.t"]
			a< [33,1,$sub]
			b> [32,1,{},"com.t"]
			b< [33,1,$sub]
			c> [16,1,{"eligible":[$sb]},"com.t",[1]]
			b< [36,$sub,$p,{},[1]]
			c> [16,2,{"eligible":[]},"com.t",[2]]
			c> [16,3,{"eligible":[$sa,$sb],"exclude":[$sb]},"com.t",[3]]
			a< [36,$sub,$p3,{},[3]]
			b> [16,4,{"exclude_me":false,"acknowledge":true},"com.t",[4]]
			b< [36,$sub,$p4,{},[4]]
			b< [17,4,$p4]`},
		{"filter by authrole and authid", `
			a> [32,1,{},"com.t"]
			a< [33,1,$sub]
			c> [16,1,{"exclude_authrole":["anonymous"],"acknowledge":true},"com.t",[1]]
			c< [17,1,$p1]
			c> [16,2,{"eligible_authrole":["admin"],"acknowledge":true},"com.t",[2]]
			c< [17,2,$p2]
			c> [16,3,{"eligible_authid":["nobody"],"acknowledge":true},"com.t",[3]]
			c< [17,3,$p3]
			c> [16,4,{"exclude_authid":["nobody"],"eligible_authrole":["anonymous"]},"com.t",[4]]
			a< [36,$sub,$p4,{},[4]]`},
		{"malformed publish options", `
			b> [16,1,{"acknowledge":true,"exclude":"everyone"},"com.t"]
			b< [8,16,1,{},"wamp.error.invalid_argument",*]
			b> [16,2,{"acknowledge":true,"eligible_authid":[1]},"com.t"]
			b< [8,16,2,{},"wamp.error.invalid_argument",*]`},
		{"invalid URIs", `
			a> [32,1,{},"com..t"]
			a< [8,32,1,{},"wamp.error.invalid_uri",*]
			a> [32,2,{},"com.a b"]
			a< [8,32,2,{},"wamp.error.invalid_uri",*]
			a> [32,3,{"match":"prefix"},""]
			a< [8,32,3,{},"wamp.error.invalid_uri",*]
			a> [32,4,{"match":"fuzzy"},"com.t"]
			a< [8,32,4,{},"wamp.error.invalid_argument",*]
			b> [16,1,{"acknowledge":true},"com..t"]
			b< [8,16,1,{},"wamp.error.invalid_uri",*]
			b> [16,2,{},"com..t"]
			b> [16,3,{"acknowledge":true},"com.t"]
			b< [17,3,$p]`},
		{"unsubscribe", `
			a> [32,1,{},"com.t"]
			a< [33,1,$sub]
			a> [34,2,$sub]
			a< [35,2]
			a> [34,3,$sub]
			a< [8,34,3,{},"wamp.error.no_such_subscription"]
			a> [34,4,12345]
			a< [8,34,4,{},"wamp.error.no_such_subscription"]
			b> [16,1,{"acknowledge":true},"com.t",["gone"]]
			b< [17,1,$gone]
			a> [32,5,{},"com.t"]
			a< [33,5,$sub2]
			b> [16,2,{},"com.t",["back"]]
			a< [36,$sub2,$p,{},["back"]]`},
		{"a leaving session's subscriptions go", `
			a> [32,1,{},"com.t"]
			a< [33,1,$sub]
			a> [6,{},"wamp.close.normal"]
			a< [6,{},"wamp.close.goodbye_and_out"]
			a< EOF
			b> [32,1,{},"com.t"]
			b< [33,1,$sub2]
			c> [16,1,{},"com.t",[1]]
			b< [36,$sub2,$p,{},[1]]`},
	}
	runScripts(t, Config{}, join, tests)
}

// Subscribers with different serializers get the same event, each encoded
// for them.
func TestBrokerMixedSerializers(t *testing.T) {
	r := newTestRouter(t, Config{})
	js, _ := pipeClient(t, r, wamp.JSON)
	mp := joinClient(t, r, allRoles())
	jc := &testClient{t: t, tr: js}
	jc.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
	expect[*wamp.Welcome](jc)
	for _, c := range []*testClient{jc, mp} {
		c.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "com.t"})
		expect[*wamp.Subscribed](c)
	}
	pub := joinClient(t, r, allRoles())
	pub.send(&wamp.Publish{Request: 1, Options: wamp.Dict{}, Topic: "com.t", Payload: wamp.Payload{Args: wamp.List{"x", int64(2)}}})
	for _, c := range []*testClient{jc, mp} {
		ev := expect[*wamp.Event](c)
		if len(ev.Args) != 2 || ev.Args[0] != "x" {
			t.Errorf("%s subscriber got %v", c.tr.Serializer().Name(), ev.Args)
		}
	}
}

// countingSerializer counts the EVENTs it encodes.
type countingSerializer struct {
	wamp.Serializer
	events *atomic.Int64
}

func (s countingSerializer) AppendMessage(dst []byte, m wamp.Message) ([]byte, error) {
	if m.Type() == wamp.EVENT {
		s.events.Add(1)
	}
	return s.Serializer.AppendMessage(dst, m)
}

// An EVENT is encoded once per (subscription, serializer), not once per
// subscriber.
func TestEventEncodedOnce(t *testing.T) {
	r := newTestRouter(t, Config{})
	var events atomic.Int64
	ser := countingSerializer{wamp.JSON, &events}
	var subs []*testClient
	for range 10 {
		tr, _ := pipeClient(t, r, ser)
		c := &testClient{t: t, tr: tr}
		c.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
		expect[*wamp.Welcome](c)
		c.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "com.t"})
		expect[*wamp.Subscribed](c)
		c.send(&wamp.Subscribe{Request: 2, Options: wamp.Dict{"match": "prefix"}, Topic: "com"})
		expect[*wamp.Subscribed](c)
		subs = append(subs, c)
	}
	pub := joinClient(t, r, allRoles())
	pub.send(&wamp.Publish{Request: 1, Options: wamp.Dict{"acknowledge": true}, Topic: "com.t"})
	expect[*wamp.Published](pub)
	for _, c := range subs {
		expect[*wamp.Event](c)
		expect[*wamp.Event](c)
	}
	if n := events.Load(); n != 2 {
		t.Errorf("EVENT encoded %d times for 2 subscriptions × 10 subscribers, want 2", n)
	}
}

// TestUnacknowledgedPublishRefusedCounted checks that a PUBLISH without
// acknowledge that the broker refuses is counted (nothing the publisher
// sent is lost silently), while one with acknowledge gets its ERROR.
func TestUnacknowledgedPublishRefusedCounted(t *testing.T) {
	r := newTestRouter(t, Config{})
	sub, pub := joinClient(t, r, allRoles()), joinClient(t, r, allRoles())
	sub.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{"match": "prefix"}, Topic: "com"})
	expect[*wamp.Subscribed](sub)
	bad := []*wamp.Publish{
		{Request: 1, Options: wamp.Dict{}, Topic: "com..x"},                                             // invalid URI
		{Request: 2, Options: wamp.Dict{}, Topic: "wamp.session.on_join"},                               // reserved
		{Request: 3, Options: wamp.Dict{"exclude_me": "yes"}, Topic: "com.x"},                           // malformed option
		{Request: 4, Options: wamp.Dict{"acknowledge": true}, Topic: "com..x"},                          // acknowledged: ERROR
		{Request: 5, Options: wamp.Dict{"acknowledge": true}, Topic: "com.ok", Payload: wamp.Payload{}}, // fine
	}
	for _, m := range bad {
		pub.send(m)
	}
	if e := pub.expectError(wamp.ErrInvalidURI.URI); e.Request != 4 {
		t.Fatalf("ERROR for request %d, want 4", e.Request)
	}
	expect[*wamp.Published](pub)
	if ev := expect[*wamp.Event](sub); ev.Details["topic"] != "com.ok" {
		t.Fatalf("EVENT %v, want only com.ok's", ev.Details)
	}
	if n := r.Stats().PublishesRefused; n != 3 {
		t.Fatalf("PublishesRefused = %d, want 3", n)
	}
}
