package rawsocket

import (
	"context"
	"testing"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// The zero configs pick MessagePack on the client and offer JSON,
// MessagePack and CBOR on the server; WAMP messages go through peer.Conn
// both ways.
func TestRealSerializers(t *testing.T) {
	for _, tc := range []struct {
		name string
		ser  wamp.Serializer // nil: the default
		want wamp.SerializerID
	}{
		{"default", nil, wamp.SerializerMsgPack},
		{"json", wamp.JSON, wamp.SerializerJSON},
		{"msgpack", wamp.MsgPack, wamp.SerializerMsgPack},
		{"cbor", wamp.CBOR, wamp.SerializerCBOR},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == wamp.SerializerCBOR && wamp.CBOR == nil {
				t.Skip("built with edgewamp_nocbor")
			}
			l, err := Listen("tcp", "127.0.0.1:0", ListenConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			accepted := make(chan *Conn, 1)
			go func() {
				c, err := l.Accept()
				if err != nil {
					t.Error(err)
				}
				accepted <- c
			}()
			cc, err := Dial(context.Background(), "tcp", l.Addr().String(), ClientConfig{Serializer: tc.ser})
			if err != nil {
				t.Fatal(err)
			}
			sc := <-accepted
			if sc == nil {
				t.FailNow()
			}
			if cc.Serializer().ID() != tc.want || sc.Serializer().ID() != tc.want {
				t.Fatalf("serializers %v %v, want %d", cc.Serializer().Name(), sc.Serializer().Name(), tc.want)
			}
			client, server := peer.New(cc, peer.Config{}), peer.New(sc, peer.Config{})
			defer client.Close(nil)
			defer server.Close(nil)
			hello := &wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}}}}
			if err := client.Send(hello); err != nil {
				t.Fatal(err)
			}
			m, err := server.Recv()
			if err != nil {
				t.Fatal(err)
			}
			if h, ok := m.(*wamp.Hello); !ok || h.Realm != "realm1" {
				t.Fatalf("got %#v", m)
			}
			if err := server.Send(&wamp.Welcome{Session: 42, Details: wamp.Dict{}}); err != nil {
				t.Fatal(err)
			}
			m, err = client.Recv()
			if err != nil {
				t.Fatal(err)
			}
			if w, ok := m.(*wamp.Welcome); !ok || w.Session != 42 {
				t.Fatalf("got %#v", m)
			}
		})
	}
}
