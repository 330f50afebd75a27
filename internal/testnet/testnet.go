// Package testnet holds network helpers for tests. It is for tests only;
// nothing outside _test.go files imports it.
package testnet

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

// ListenAgain listens on addr, the address of a listener a test closed a
// moment ago (a router restarted on the same address), retrying for up
// to two seconds while the port is in use: a client redialling addr while
// nothing listens can be handed that very port as its own local port
// (a TCP self-connect, which Go's dialer detects, closes and retries), and
// the listener's own closing connections may hold it a moment longer.
func ListenAgain(network, addr string) (net.Listener, error) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		l, err := net.Listen(network, addr)
		if err == nil || time.Now().After(deadline) {
			return l, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Pair returns the two ends of a loopback connection over network ("tcp" or
// "unix", in a temporary directory of t's): the dialled end and the
// accepted one, both closed when t ends.
func Pair(t testing.TB, network string) (dialled, accepted net.Conn) {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "pair.sock")
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() { c, err := l.Accept(); ch <- res{c, err} }()
	dialled, err = net.Dial(network, l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a := <-ch
	if a.err != nil {
		dialled.Close()
		t.Fatal(a.err)
	}
	accepted = a.c
	t.Cleanup(func() { dialled.Close(); accepted.Close() })
	return dialled, accepted
}

// Patterned returns n octets that differ from any shift of themselves
// within 251 octets, so that a lost or repeated part shows.
func Patterned(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((i + seed) % 251)
	}
	return b
}

// SmallSendPair is Pair with a small send buffer on the dialled end (w), so
// that writes of more than a few hundred KB meet a full socket (EAGAIN) and
// go out in parts.
func SmallSendPair(t testing.TB, network string) (w, r net.Conn) {
	w, r = Pair(t, network)
	w.(interface{ SetWriteBuffer(int) error }).SetWriteBuffer(8192)
	return w, r
}
