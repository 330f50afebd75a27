package wstransport

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// BenchmarkWriteRead measures one message (64 bytes, and 4 KiB) written on
// one side and read on the other, over 127.0.0.1: client to server (masked
// frames) and server to client.
func BenchmarkWriteRead(b *testing.B) {
	for _, bc := range []struct {
		dir  string
		size int
	}{
		{"client-to-server", 64},
		{"server-to-client", 64},
		{"client-to-server", 4096},
		{"server-to-client", 4096},
	} {
		b.Run(fmt.Sprintf("%s/%d", bc.dir, bc.size), func(b *testing.B) {
			release := make(chan struct{})
			ts := startServer(b, ServerConfig{}, nil, func(wamp.Transport) error {
				<-release // the benchmark drives the server side itself
				return nil
			})
			b.Cleanup(func() { close(release) }) // runs before the server's cleanup
			c := dial(b, ts.url, ClientConfig{})
			sc := ts.serverConn(b)
			var w, r wamp.Transport = c, sc
			if bc.dir == "server-to-client" {
				w, r = sc, c
			}
			msg := [][]byte{bytes.Repeat([]byte("x"), bc.size)}
			b.SetBytes(int64(bc.size))
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
