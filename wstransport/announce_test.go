package wstransport

import (
	"encoding/binary"
	"net"
	"net/http"
	"testing"

	"github.com/edgewamp/edgewamp/internal/memtest"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestLargeHeaderCostsWhatArrives opens 200 WebSocket connections that
// each announce a frame of almost 1 MiB, send 10 bytes of it and stall:
// the server's heap grows with the bytes that arrived, not with the 200
// MiB announced.
func TestLargeHeaderCostsWhatArrives(t *testing.T) {
	const conns = 200
	served := make(chan struct{}, conns)
	mux := http.NewServeMux()
	mux.Handle("/ws", Handler(ServerConfig{}, func(tr wamp.Transport) {
		served <- struct{}{}
		_, _ = tr.ReadMessage()
	}))
	srv := NewServer("", mux)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	defer func() { srv.Close(); <-done }()

	before := memtest.Heap()
	hdr := binary.BigEndian.AppendUint64([]byte{0x80 | opBinary, 0x80 | 127}, 1<<20-1)
	frame := append(hdr, 0x12, 0x34, 0x56, 0x78, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10) // mask key, 10 of 1 MiB - 1 bytes
	for range conns {
		r := rawHandshake(t, l.Addr().String(), "Sec-WebSocket-Protocol: wamp.2.msgpack")
		if r.conn == nil {
			t.Fatalf("handshake: %d %s", r.status, r.body)
		}
		if _, err := r.conn.nc.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
	memtest.Within(t, served, conns, before, 16<<20, "200 connections announcing 1 MiB each")
}
