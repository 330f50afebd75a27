package rawsocket

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func msgFrame(payload string) []byte { return frame(frameMessage, []byte(payload)) }

// expectTimeout reads with a short deadline and expects it to pass.
func expectTimeout(t *testing.T, nc net.Conn, fr *frameReader) {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, _, err := fr.next(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("next with nothing to read: %v, want a deadline error", err)
	}
	nc.SetReadDeadline(time.Time{})
}

// TestReadBufReleasedWhileIdle checks on a TCP socket that the read buffer
// is given back while the connection waits for its next frame, kept while a
// frame is incomplete, and that reading goes on after a deadline.
func TestReadBufReleasedWhileIdle(t *testing.T) {
	client, server := tcpPair(t)
	fr := newFrameReader(server, readBufferSize, 1<<20)
	if fr.br.raw == nil {
		t.Fatal("TCP connection read without the poller path")
	}
	client.Write(append(msgFrame("one"), msgFrame("two")...))
	for _, want := range []string{"one", "two"} {
		if _, p, err := fr.next(); err != nil || string(p) != want {
			t.Fatalf("next = %q, %v; want %q", p, err, want)
		}
	}
	expectTimeout(t, server, fr)
	if fr.br.buf != nil {
		t.Fatal("idle connection holds its read buffer")
	}

	// A frame that arrives in two parts: the buffer is kept in between.
	f := msgFrame("three, in two writes")
	client.Write(f[:7])
	time.AfterFunc(10*time.Millisecond, func() { client.Write(f[7:]) })
	if _, p, err := fr.next(); err != nil || string(p) != "three, in two writes" {
		t.Fatalf("next = %q, %v", p, err)
	}

	// A payload larger than the buffer is read without it.
	big := bytes.Repeat([]byte("0123456789"), 1000)
	go client.Write(msgFrame(string(big)))
	if _, p, err := fr.next(); err != nil || !bytes.Equal(p, big) {
		t.Fatalf("big frame: %d octets, %v", len(p), err)
	}
	client.Close()
	if _, _, err := fr.next(); err != io.EOF {
		t.Fatalf("after close: %v, want io.EOF", err)
	}
}

// TestReadBufSmallBuffer runs frames through a 16-octet buffer over TCP, so
// that headers and payloads straddle reads.
func TestReadBufSmallBuffer(t *testing.T) {
	client, server := tcpPair(t)
	fr := newFrameReader(server, 16, 1024)
	want := []string{"a", "twelve bytes", "exactly sixteen!", "a payload longer than the buffer", ""}
	var stream []byte
	for _, w := range want {
		stream = append(stream, msgFrame(w)...)
	}
	go func() {
		for i := range stream { // one octet per write
			client.Write(stream[i : i+1])
		}
	}()
	for _, w := range want {
		if _, p, err := fr.next(); err != nil || string(p) != w {
			t.Fatalf("next = %q, %v; want %q", p, err, w)
		}
	}
}

// wrappedConn changes what Read returns; it embeds a *net.TCPConn, so it
// has SyscallConn, which the reader must not use to bypass Read.
type wrappedConn struct {
	*net.TCPConn
}

func (w wrappedConn) Read(p []byte) (int, error) {
	n, err := w.TCPConn.Read(p)
	for i := range p[:n] {
		p[i] ^= 0xff
	}
	return n, err
}

// TestReadBufWrapperRead checks that a wrapper embedding a TCP socket is
// read through its own Read.
func TestReadBufWrapperRead(t *testing.T) {
	client, server := tcpPair(t)
	fr := newFrameReader(wrappedConn{server.(*net.TCPConn)}, readBufferSize, 1024)
	f := msgFrame("via the wrapper")
	for i := range f {
		f[i] ^= 0xff
	}
	client.Write(f)
	if _, p, err := fr.next(); err != nil || string(p) != "via the wrapper" {
		t.Fatalf("next = %q, %v", p, err)
	}
}
