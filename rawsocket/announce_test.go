package rawsocket

import (
	"io"
	"net"
	"testing"

	"github.com/edgewamp/edgewamp/internal/memtest"
)

// TestLargeHeaderCostsWhatArrives opens 200 connections that each
// announce a frame of almost 1 MiB, send 10 octets of it and stall: the
// server's heap grows with the octets that arrived (a few KiB per
// connection), not with the 200 MiB announced.
func TestLargeHeaderCostsWhatArrives(t *testing.T) {
	const conns = 200
	l, err := Listen("tcp", "127.0.0.1:0", ListenConfig{MaxPendingHandshakes: conns})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	served := make(chan struct{}, conns)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				served <- struct{}{}
				_, _ = c.ReadMessage()
			}()
		}
	}()
	before := memtest.Heap()
	frame := []byte{0, 0x0F, 0xFF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10} // 1 MiB - 1 announced, 10 sent
	for range conns {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte{magic, 0xF2, 0, 0}); err != nil { // 16 MiB, MessagePack
			t.Fatal(err)
		}
		reply := make([]byte, 4)
		if _, err := io.ReadFull(c, reply); err != nil || reply[0] != magic {
			t.Fatalf("handshake reply % x: %v", reply, err)
		}
		if _, err := c.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
	memtest.Within(t, served, conns, before, 16<<20, "200 connections announcing 1 MiB each")
}
