package wstransport

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/edgewamp/edgewamp/wamp"
)

// selfSigned returns a server certificate for 127.0.0.1 made for the test,
// and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "wstransport test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// TestWSS runs a session over TLS with a certificate made by the test.
func TestWSS(t *testing.T) {
	checkGoroutines(t)
	cert, pool := selfSigned(t)
	ts := startServer(t, ServerConfig{}, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil)
	if !strings.HasPrefix(ts.url, "wss://") {
		t.Fatal(ts.url)
	}
	// A client that keeps a session cache resumes its TLS session (the
	// ticket comes with the first connection's first read).
	conf := &tls.Config{RootCAs: pool, ClientSessionCache: tls.NewLRUClientSessionCache(2)}
	for i, ser := range defaultSerializers() {
		c := dial(t, ts.url, ClientConfig{Serializer: ser, TLS: conf})
		if err := c.WriteMessages([][]byte{[]byte("secure " + ser.Name())}); err != nil {
			t.Fatal(err)
		}
		if m, err := c.ReadMessage(); err != nil || string(m) != "secure "+ser.Name() {
			t.Fatalf("%s: %q, %v", ser.Name(), m, err)
		}
		if st, ok := c.TLSConnectionState(); !ok || st.DidResume != (i > 0) {
			t.Errorf("connection %d: TLS %v, resumed %v", i, ok, st.DidResume)
		}
		if sc := ts.serverConn(t); sc.Serializer() != ser {
			t.Errorf("server serializer %v, want %v", sc.Serializer(), ser)
		}
		_ = c.Close()
		ts.sessionErr(t)
	}

	// Without the test's root, the certificate is refused.
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	_, err := Dial(ctx, ts.url, ClientConfig{})
	var uerr x509.UnknownAuthorityError
	if !errors.As(err, &uerr) {
		t.Errorf("Dial without the root: %v, want x509.UnknownAuthorityError", err)
	}
}

// startXNetServer serves handler with x/net/websocket directly, selecting
// the subprotocol proto ("" for the client's first offer, "-" for none).
// It returns the address.
func startXNetServer(t *testing.T, handler func(*websocket.Conn), proto string) string {
	t.Helper()
	s := websocket.Server{
		Handshake: func(c *websocket.Config, _ *http.Request) error {
			switch proto {
			case "":
				c.Protocol = c.Protocol[:min(1, len(c.Protocol))]
			case "-":
				c.Protocol = nil
			default:
				c.Protocol = []string{proto}
			}
			return nil
		},
		Handler: handler,
	}
	srv := NewServer("127.0.0.1:0", s)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	return l.Addr().String()
}

// TestDialRefusals checks the errors of refused handshakes.
func TestDialRefusals(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, ServerConfig{Serializers: []wamp.Serializer{wamp.MsgPack}}, nil, nil)
	// The x/net servers' handlers return at once, closing the connection.
	noProto := startXNetServer(t, func(*websocket.Conn) {}, "-")
	otherProto := startXNetServer(t, func(*websocket.Conn) {}, "wamp.2.msgpack")
	for _, tc := range []struct {
		name   string
		url    string
		cfg    ClientConfig
		status int
		is     error
		msg    string
	}{
		{"no common subprotocol", ts.url, ClientConfig{}, 400, ErrSubprotocol, "no supported WAMP subprotocol offered; this server supports: wamp.2.msgpack"},
		{"origin", ts.url, ClientConfig{Serializer: wamp.MsgPack, Origin: "https://evil.example"}, 403, ErrOrigin, "origin not allowed"},
		{"not found", "ws://" + ts.addr + "/nowhere", ClientConfig{}, 404, nil, "404 page not found"},
		{"no subprotocol selected", "ws://" + noProto + "/", ClientConfig{}, 101, ErrSubprotocol, "server selected no subprotocol"},
		{"other subprotocol selected", "ws://" + otherProto + "/", ClientConfig{}, 101, ErrSubprotocol, "server selected wamp.2.msgpack"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			c, err := Dial(ctx, tc.url, tc.cfg)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
			var he *HandshakeError
			if !errors.As(err, &he) {
				t.Fatalf("error %v (%T) is not a *HandshakeError", err, err)
			}
			if he.StatusCode != tc.status || !strings.Contains(he.Message, tc.msg) || he.URL != tc.url {
				t.Errorf("got status %d message %q URL %q, want %d %q %q", he.StatusCode, he.Message, he.URL, tc.status, tc.msg, tc.url)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if !strings.HasPrefix(err.Error(), "wstransport: handshake with "+tc.url+" failed") {
				t.Errorf("error text %q", err)
			}
		})
	}
}

// TestDialErrors checks URL errors and cancellation.
func TestDialErrors(t *testing.T) {
	checkGoroutines(t)
	for _, u := range []string{"http://127.0.0.1:1/", "rs://127.0.0.1:1", "ws://", "::"} {
		if _, err := Dial(context.Background(), u, ClientConfig{}); err == nil || !strings.HasPrefix(err.Error(), "wstransport: ") {
			t.Errorf("Dial(%q) = %v", u, err)
		}
	}

	// A server that accepts and never answers: the handshake timeout ends it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	defer func() {
		l.Close()
		for len(accepted) > 0 {
			(<-accepted).Close()
		}
	}()
	start := time.Now()
	_, err = Dial(context.Background(), "ws://"+l.Addr().String()+"/", ClientConfig{HandshakeTimeout: 50 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("silent server: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > testTimeout/2 {
		t.Errorf("silent server: took %v", d)
	}

	(<-accepted).Close() // the first attempt's connection

	// Canceling ctx ends the handshake too: cancel once the server has
	// accepted the connection, while Dial waits for its answer.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		c := <-accepted
		cancel()
		accepted <- c
	}()
	_, err = Dial(ctx, "ws://"+l.Addr().String()+"/", ClientConfig{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v, want context.Canceled", err)
	}
}

// TestDialHeaderAndOrigin checks that extra headers and the default Origin
// reach the server.
func TestDialHeaderAndOrigin(t *testing.T) {
	checkGoroutines(t)
	got := make(chan http.Header, 1)
	addr := startXNetServer(t, func(ws *websocket.Conn) {
		got <- ws.Request().Header
	}, "")
	h := http.Header{}
	h.Set("Authorization", "Bearer abc")
	h.Set("Upgrade", "h2c") // a handshake header: ignored
	c := dial(t, "ws://"+addr+"/path?x=1", ClientConfig{Header: h})
	select {
	case hdr := <-got:
		if hdr.Get("Authorization") != "Bearer abc" {
			t.Errorf("Authorization = %q", hdr.Get("Authorization"))
		}
		if hdr.Get("Upgrade") != "websocket" {
			t.Errorf("Upgrade = %q", hdr.Get("Upgrade"))
		}
		if hdr.Get("Origin") != "http://"+addr {
			t.Errorf("Origin = %q, want http://%s", hdr.Get("Origin"), addr)
		}
	case <-time.After(testTimeout):
		t.Fatal("no request")
	}
	_ = c.Close()
}
