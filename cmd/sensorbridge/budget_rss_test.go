package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// budgetConfig: the defaults of every limit, a realm with a user (a HELLO
// for it waits for its AUTHENTICATE) and an open one.
const budgetConfig = `{
  "listeners": [{"url": "rs://127.0.0.1:0"}, {"url": "ws://127.0.0.1:0/ws"}],
  "realms": [{"name": "site"}, {"name": "locked", "users": [{"authid": "dev", "ticket": "right-ticket"}]}],
  "log": {"format": "json", "level": "info"}
}`

// helloOfEmptyMaps is a MessagePack HELLO for the locked realm whose
// details hold about n empty maps.
func helloOfEmptyMaps(t *testing.T, n int) []byte {
	b, err := wamp.MsgPack.AppendMessage(nil, &wamp.Hello{Realm: "locked", Details: wamp.Dict{
		"roles": wamp.Dict{"caller": wamp.Dict{}}, "authmethods": wamp.List{"ticket"}, "authid": "dev", "x": wamp.List{}}})
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndexByte(b, 0x90) // the empty list: becomes an array32 of n empty maps
	out := append(b[:i:i], 0xdd, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	out = append(out, bytes.Repeat([]byte{0x80}, n)...)
	return append(out, b[i+1:]...)
}

// TestBudgetsRSS attacks a running sensorbridge over RawSocket and
// WebSocket with the memory cases of issue 17 and bounds its resident
// memory after each (a process per case).
func TestBudgetsRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs sensorbridge")
	}
	var p *proc // a fresh one per case: freed memory stays in a process's RSS
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dialers := map[string]func() (wamp.Transport, error){
		"RawSocket": func() (wamp.Transport, error) {
			return rawsocket.Dial(ctx, "tcp", p.addr[kindRawSocket], rawsocket.ClientConfig{Serializer: wamp.MsgPack, MaxMessageSize: 1 << 20})
		},
		"WebSocket": func() (wamp.Transport, error) {
			return wstransport.Dial(ctx, "ws://"+p.addr[kindWebSocket]+"/ws", wstransport.ClientConfig{Serializer: wamp.MsgPack, MaxMessageSize: 1 << 20})
		},
	}
	var conns []wamp.Transport
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	dialT := func(kind string) wamp.Transport {
		c, err := dialers[kind]()
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		conns = append(conns, c)
		return c
	}
	ask := func(c wamp.Transport, m []byte) string {
		if err := c.WriteMessages([][]byte{m}); err != nil {
			return "write: " + err.Error()
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, err := c.ReadMessage()
		if err != nil {
			return "closed"
		}
		a, err := c.Serializer().DecodeMessage(b)
		if err != nil {
			return err.Error()
		}
		if e, ok := a.(*wamp.ErrorMessage); ok {
			return "ERROR " + string(e.Error)
		}
		if e, ok := a.(*wamp.Abort); ok {
			return "ABORT " + string(e.Reason)
		}
		return a.Type().String()
	}
	encode := func(m wamp.Message) []byte {
		b, err := wamp.MsgPack.AppendMessage(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	join := func(kind string) wamp.Transport {
		c := dialT(kind)
		if a := ask(c, encode(&wamp.Hello{Realm: "site", Details: wamp.Dict{"roles": wamp.Dict{"subscriber": wamp.Dict{}, "callee": wamp.Dict{}, "caller": wamp.Dict{}}}})); a != "WELCOME" {
			t.Fatalf("%s: HELLO answered %s", kind, a)
		}
		return c
	}
	cases := []struct {
		name string
		run  func() map[string]int
	}{
		{"4 RawSocket + 4 WebSocket connections, HELLOs of 1 MiB of empty maps", func() map[string]int {
			answers := map[string]int{}
			hello := helloOfEmptyMaps(t, 1<<20-4096)
			for _, kind := range []string{"RawSocket", "WebSocket"} {
				for range 4 {
					answers[kind+": "+ask(dialT(kind), hello)]++
				}
			}
			return answers
		}},
		{"1 session per transport, 25 SUBSCRIBEs and 25 REGISTERs of 1 MiB URIs each", func() map[string]int {
			answers := map[string]int{}
			for _, kind := range []string{"RawSocket", "WebSocket"} {
				c := join(kind)
				for i := range 50 {
					uri := wamp.URI(fmt.Sprintf("com.example.%s%d.%s", kind, i, strings.Repeat("x", 1<<20-4096)))
					var m wamp.Message = &wamp.Subscribe{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Topic: uri}
					if i%2 == 1 {
						m = &wamp.Register{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Procedure: uri}
					}
					answers[kind+": "+ask(c, encode(m))]++
				}
			}
			return answers
		}},
		{"2 sessions per transport, 32 testaments of 1 MB each", func() map[string]int {
			answers := map[string]int{}
			for _, kind := range []string{"RawSocket", "WebSocket", "RawSocket", "WebSocket"} {
				c := join(kind)
				for i := range 32 {
					call := &wamp.Call{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Procedure: "wamp.session.add_testament",
						Payload: wamp.Payload{Args: wamp.List{"com.example.will", wamp.List{strings.Repeat("w", 1_000_000)}, wamp.Dict{}},
							Kwargs: wamp.Dict{"scope": []string{"destroyed", "detached"}[i%2]}}}
					answers[kind+": "+ask(c, encode(call))]++
				}
			}
			return answers
		}},
	}
	for _, c := range cases {
		p = startProc(t, budgetConfig)
		before := p.rssKB(t)
		answers := c.run()
		time.Sleep(300 * time.Millisecond)
		grown := p.rssKB(t) - before
		t.Logf("%s: RSS +%.1f MiB; answers %v", c.name, float64(grown)/1024, answers)
		if grown > 24<<10 {
			t.Errorf("%s: RSS grew %d MiB, budget 24 MiB", c.name, grown>>10)
		}
	}
}
