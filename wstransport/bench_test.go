package wstransport

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// BenchmarkWriteRead measures one message (64 bytes, and 4 KiB) written on
// one side and read on the other, over 127.0.0.1: client to server (masked
// frames) and server to client; the batch cases write 16 messages of 64
// bytes in one call and read them (per message: the framing, without a
// system call each), over TCP and over TLS.
func BenchmarkWriteRead(b *testing.B) {
	for _, bc := range []struct {
		dir   string
		size  int
		batch int
		tls   bool
	}{
		{"client-to-server", 64, 1, false},
		{"server-to-client", 64, 1, false},
		{"client-to-server", 4096, 1, false},
		{"server-to-client", 4096, 1, false},
		{"client-to-server", 64, 16, false},
		{"server-to-client", 64, 16, false},
		{"client-to-server", 64, 16, true},
		{"server-to-client", 64, 16, true},
	} {
		name := fmt.Sprintf("%s/%d", bc.dir, bc.size)
		if bc.batch > 1 {
			name += fmt.Sprintf("x%d", bc.batch)
		}
		if bc.tls {
			name += "/tls"
		}
		b.Run(name, func(b *testing.B) {
			release := make(chan struct{})
			var srvTLS *tls.Config
			var cfg ClientConfig
			if bc.tls {
				cert, pool := selfSigned(b)
				srvTLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
				cfg.TLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
			}
			ts := startServer(b, ServerConfig{}, srvTLS, func(wamp.Transport) error {
				<-release // the benchmark drives the server side itself
				return nil
			})
			b.Cleanup(func() { close(release) }) // runs before the server's cleanup
			c := dial(b, ts.url, cfg)
			sc := ts.serverConn(b)
			var w, r wamp.Transport = c, sc
			if bc.dir == "server-to-client" {
				w, r = sc, c
			}
			msg := make([][]byte, bc.batch)
			for i := range msg {
				msg[i] = bytes.Repeat([]byte("x"), bc.size)
			}
			b.SetBytes(int64(bc.size * bc.batch))
			b.ReportAllocs()
			for b.Loop() {
				if err := w.WriteMessages(msg); err != nil {
					b.Fatal(err)
				}
				for range msg {
					if _, err := r.ReadMessage(); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
