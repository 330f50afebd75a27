package rawsocket

import (
	"bytes"
	"context"
	"io"
	"net"
	"runtime"
	"testing"
	"testing/iotest"
	"time"
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
	reading := make(chan struct{}, conns)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				reading <- struct{}{}
				_, _ = c.ReadMessage()
			}()
		}
	}()
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	frame := []byte{0, 0x0F, 0xFF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10} // 1 MiB - 1 announced, 10 sent
	var clients []net.Conn
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for range conns {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
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
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range conns {
		select {
		case <-reading:
		case <-ctx.Done():
			t.Fatal("connections not served")
		}
	}
	time.Sleep(300 * time.Millisecond) // the readers take in the octets sent
	grown := int64(heap()) - int64(before)
	t.Logf("heap grew %d KiB for %d connections announcing 1 MiB each", grown>>10, conns)
	if grown > 16<<20 {
		t.Errorf("heap grew %d MiB, budget 16 MiB", grown>>20)
	}
}

// TestReadGrowing reads payloads of several sizes through readGrowing from
// readers that return few octets at a time, reusing the buffer, and checks
// an early end.
func TestReadGrowing(t *testing.T) {
	var p []byte
	for _, n := range []int{1, growFirst - 1, growFirst, growFirst + 1, 100_000, 1 << 20} {
		want := make([]byte, n)
		for i := range want {
			want[i] = byte(i * 7)
		}
		var err error
		p, err = readGrowing(iotest.HalfReader(bytes.NewReader(want)), p[:0], n)
		if err != nil || !bytes.Equal(p, want) {
			t.Fatalf("n=%d: got %d octets, %v", n, len(p), err)
		}
	}
	if _, err := readGrowing(bytes.NewReader(make([]byte, 50_000)), nil, 60_000); err != io.ErrUnexpectedEOF {
		t.Errorf("short stream: %v, want io.ErrUnexpectedEOF", err)
	}
}
