package rawsocket

import (
	"errors"
	"net"
	"syscall"
	"testing"
)

// flakyListener fails its first Accepts with temporary errors, then
// delegates to a real listener.
type flakyListener struct {
	net.Listener
	fails int
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.fails > 0 {
		l.fails--
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	}
	return l.Listener.Accept()
}

func TestListenerRetriesTemporaryErrors(t *testing.T) {
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := NewListener(&flakyListener{Listener: nl, fails: 3}, ListenConfig{ServerConfig: ServerConfig{Serializers: testSerializers}})
	defer l.Close()
	client, _ := pair(t, l, ClientConfig{Serializer: testJSON})
	if client == nil {
		t.Fatal("no connection")
	}
	if got := l.Stats().AcceptErrors; got != 3 {
		t.Fatalf("AcceptErrors = %d, want 3", got)
	}
}

// failingListener fails for good.
type failingListener struct{ net.Listener }

func (failingListener) Accept() (net.Conn, error) { return nil, errors.New("broken") }

func TestListenerPermanentError(t *testing.T) {
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := NewListener(failingListener{nl}, ListenConfig{})
	defer l.Close()
	if _, err := l.Accept(); err == nil || errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept: %v, want the listener's error", err)
	}
}
