//go:build !edgewamp_notls && !edgewamp_board

package device_test

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
)

// TestReconnectResumesTLS drops a reconnecting client's rss:// connection
// and checks that the second handshake
// resumed the first one's TLS session, while the caller's config is left
// without a cache.
func TestReconnectResumesTLS(t *testing.T) {
	rt := newRouter(t)
	serverTLS, clientTLS := testTLS(t)
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 4)
	serve(t, rt, tls.NewListener(recordingListener{tl, accepted}, serverTLS))

	resumed := make(chan bool, 8)
	conf := clientTLS.Clone()
	conf.VerifyConnection = func(cs tls.ConnectionState) error { resumed <- cs.DidResume; return nil }
	joins := make(chan *device.Client, 4)
	c, err := device.Dial(ctxT(t), "rss://"+tl.Addr().String(), device.Config{
		Logger: quiet(),
		TLS:    conf,
		Reconnect: device.Reconnect{
			Enabled:    true,
			MinBackoff: 5 * time.Millisecond,
			MaxBackoff: 50 * time.Millisecond,
			OnJoin:     func(c *device.Client) { joins <- c },
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := []bool{false, true} // the first handshake is full, the reconnection's resumed
	for i, w := range want {
		select {
		case got := <-resumed:
			if got != w {
				t.Errorf("handshake %d: resumed %v, want %v", i, got, w)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no handshake %d", i)
		}
		select {
		case <-joins:
		case <-time.After(10 * time.Second):
			t.Fatalf("no join %d", i)
		}
		if i == 0 {
			(<-accepted).Close() // the connection drops; the client reconnects
		}
	}
	if conf.ClientSessionCache != nil {
		t.Error("the caller's TLS config got a session cache")
	}
}

// recordingListener hands each connection it accepts to conns too.
type recordingListener struct {
	net.Listener
	conns chan<- net.Conn
}

// Accept accepts a connection and records it.
func (l recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.conns <- c
	}
	return c, err
}
