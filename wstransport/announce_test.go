package wstransport

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"runtime"
	"testing"
	"testing/iotest"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// TestLargeHeaderCostsWhatArrives opens 200 WebSocket connections that
// each announce a frame of almost 1 MiB, send 10 bytes of it and stall:
// the server's heap grows with the bytes that arrived, not with the 200
// MiB announced.
func TestLargeHeaderCostsWhatArrives(t *testing.T) {
	const conns = 200
	reading := make(chan struct{}, conns)
	mux := http.NewServeMux()
	mux.Handle("/ws", Handler(ServerConfig{}, func(tr wamp.Transport) {
		reading <- struct{}{}
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

	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
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
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for range conns {
		select {
		case <-reading:
		case <-ctx.Done():
			t.Fatal("connections not served")
		}
	}
	time.Sleep(300 * time.Millisecond) // the readers take in the bytes sent
	grown := int64(heap()) - int64(before)
	t.Logf("heap grew %d KiB for %d connections announcing 1 MiB each", grown>>10, conns)
	if grown > 16<<20 {
		t.Errorf("heap grew %d MiB, budget 16 MiB", grown>>20)
	}
}

// TestReadPayload appends payloads of several sizes through readPayload,
// from a reader that returns few bytes at a time, after bytes already held
// (a fragmented message), and checks an early end.
func TestReadPayload(t *testing.T) {
	buf := []byte("head")
	var want []byte
	want = append(want, buf...)
	for _, n := range []int{1, growFirst, growFirst + 1, 100_000} {
		part := make([]byte, n)
		for i := range part {
			part[i] = byte(i * 7)
		}
		want = append(want, part...)
		var err error
		if buf, err = readPayload(iotest.HalfReader(bytes.NewReader(part)), buf, n, 1<<20); err != nil || !bytes.Equal(buf, want) {
			t.Fatalf("n=%d: got %d bytes, %v", n, len(buf), err)
		}
	}
	if _, err := readPayload(bytes.NewReader(make([]byte, 50_000)), nil, 60_000, 1<<20); err != io.ErrUnexpectedEOF {
		t.Errorf("short stream: %v, want io.ErrUnexpectedEOF", err)
	}
}
