package device_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// A publisher keeps several acknowledged publications in flight and
// collects their answers in order: one refused (not authorized), the
// others acknowledged.
func ExampleClient_PublishSend() {
	ctx := context.Background()
	rt, _ := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "realm1",
		Permissions: []minirouter.Permission{
			{Role: "*", URI: "com.example.secret", Actions: []string{minirouter.ActionPublish}, Deny: true},
			{Role: "*", URI: "", Match: wamp.PrefixMatch, Actions: []string{minirouter.ActionPublish}},
		}}}})
	defer rt.Close()
	c := joinInProcess(ctx, rt)
	defer c.Close()

	var sent []*device.SentPublication
	for _, topic := range []wamp.URI{"com.example.a", "com.example.secret", "com.example.b"} {
		sp, err := c.PublishSend(ctx, topic, wamp.Payload{Args: wamp.List{1}}, nil)
		if err != nil {
			log.Fatal(err)
		}
		sent = append(sent, sp)
	}
	for i, sp := range sent {
		err := sp.Wait(ctx)
		fmt.Println(i, err == nil, errors.Is(err, wamp.ErrNotAuthorized))
	}
	// Output:
	// 0 true false
	// 1 false true
	// 2 true false
}
