package wamp_test

import (
	"errors"
	"fmt"

	"github.com/edgewamp/edgewamp/wamp"
)

// Encoding a PUBLISH with each serializer, into a reused buffer.
func ExampleSerializer_AppendMessage() {
	m := &wamp.Publish{
		Request: 1,
		Topic:   "com.example.topic",
		Payload: wamp.Payload{Args: wamp.List{1, "hello"}},
	}
	var buf []byte
	for _, s := range []wamp.Serializer{wamp.JSON, wamp.MsgPack} {
		var err error
		buf, err = s.AppendMessage(buf[:0], m)
		if err != nil {
			fmt.Println(err)
			return
		}
		if s.Binary() {
			fmt.Printf("%s: % x\n", s.Name(), buf)
		} else {
			fmt.Printf("%s: %s\n", s.Name(), buf)
		}
	}
	// Output:
	// json: [16,1,{},"com.example.topic",[1,"hello"]]
	// msgpack: 95 10 01 80 b1 63 6f 6d 2e 65 78 61 6d 70 6c 65 2e 74 6f 70 69 63 92 01 a5 68 65 6c 6c 6f
}

// Decoding a message and switching on its type.
func ExampleSerializer_DecodeMessage() {
	m, err := wamp.JSON.DecodeMessage([]byte(`[36, 5512315355, 4429313566, {"publisher": 3}, [21.5], {"unit": "C"}]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	switch m := m.(type) {
	case *wamp.Event:
		publisher, _ := wamp.OptID(m.Details, "publisher")
		fmt.Println(m.Type(), m.Subscription, publisher, m.Args, m.Kwargs["unit"])
	}
	_, err = wamp.JSON.DecodeMessage([]byte(`[36, "x"]`))
	fmt.Println(errors.Is(err, wamp.ErrProtocolViolation))
	// Output:
	// EVENT 5512315355 3 [21.5] C
	// true
}

// An ERROR message becomes a Go error that matches the standard URI with
// errors.Is, however deeply it is wrapped.
func ExampleError() {
	msg := &wamp.ErrorMessage{
		RequestType: wamp.CALL,
		Request:     7,
		Error:       "wamp.error.no_such_procedure",
		Payload:     wamp.Payload{Args: wamp.List{"no procedure com.example.add2"}},
	}
	err := fmt.Errorf("calling com.example.add2: %w", msg.Err())
	fmt.Println(err)
	fmt.Println(errors.Is(err, wamp.ErrNoSuchProcedure))
	fmt.Println(errors.Is(err, wamp.ErrCanceled))

	var werr *wamp.Error
	if errors.As(err, &werr) {
		fmt.Println(werr.URI)
	}
	// Output:
	// calling com.example.add2: wamp.error.no_such_procedure: no procedure com.example.add2
	// true
	// false
	// wamp.error.no_such_procedure
}

func ExampleMatchWildcard() {
	fmt.Println(wamp.MatchWildcard("com.myapp..userevent", "com.myapp.foo.userevent"))
	fmt.Println(wamp.MatchWildcard("com.myapp..userevent", "com.myapp.foo.userevent.bar"))
	fmt.Println(wamp.MatchPrefix("com.myapp.topic.emergency", "com.myapp.topic.emergency-low"))
	// Output:
	// true
	// false
	// true
}

func ExampleValidURI() {
	fmt.Println(wamp.ValidURI("com.myapp.topic1", true, false))
	fmt.Println(wamp.ValidURI("com.myApp.topic", true, false)) // strict: lower case only
	fmt.Println(wamp.ValidURI("com.myApp.topic", false, false))
	fmt.Println(wamp.ValidURI("com..topic", false, false))
	fmt.Println(wamp.ValidURI("com..topic", false, true)) // a wildcard pattern
	// Output:
	// true
	// false
	// true
	// false
	// true
}

func ExampleRequestIDs() {
	var ids wamp.RequestIDs // the zero value is ready
	fmt.Println(ids.Next(), ids.Next(), ids.Next())
	// Output: 1 2 3
}
