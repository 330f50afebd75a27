package wstransport

import (
	"bytes"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// BenchmarkWriteRead measures one 64-byte message written on one side and
// read on the other, over 127.0.0.1: client to server (masked frames) and
// server to client.
func BenchmarkWriteRead(b *testing.B) {
	for _, dir := range []string{"client-to-server", "server-to-client"} {
		b.Run(dir, func(b *testing.B) {
			release := make(chan struct{})
			ts := startServer(b, ServerConfig{}, nil, func(wamp.Transport) error {
				<-release // the benchmark drives the server side itself
				return nil
			})
			b.Cleanup(func() { close(release) }) // runs before the server's cleanup
			c := dial(b, ts.url, ClientConfig{})
			sc := ts.serverConn(b)
			var w, r wamp.Transport = c, sc
			if dir == "server-to-client" {
				w, r = sc, c
			}
			msg := [][]byte{bytes.Repeat([]byte("x"), 64)}
			b.SetBytes(64)
			b.ReportAllocs()
			for b.Loop() {
				if err := w.WriteMessages(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := r.ReadMessage(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
