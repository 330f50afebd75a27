package rawsocket

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// testTLS returns a server config with a fresh self-signed certificate for
// 127.0.0.1 and a client config that trusts it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "edgewamp test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
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
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}

// transport is one way to reach a Listener.
type transport struct {
	name, network string
	tls           bool
	poller        bool // accepted by the net package (NewListener), not FDListener (Listen)
}

var transports = []transport{{"tcp", "tcp", false, false}, {"tls", "tcp", true, false}, {"unix", "unix", false, false},
	{"tcp-poller", "tcp", false, true}}

// listen starts a Listener for tr, closed at the end of the test, and
// returns the client config to reach it.
func listen(t *testing.T, tr transport, lc ListenConfig, cc ClientConfig) (*Listener, ClientConfig) {
	t.Helper()
	addr := "127.0.0.1:0"
	if tr.network == "unix" {
		addr = filepath.Join(t.TempDir(), "wamp.sock")
	}
	if tr.tls {
		lc.TLS, cc.TLS = testTLS(t)
	}
	if lc.Serializers == nil {
		lc.Serializers = []wamp.Serializer{testJSON, testMsgPack}
	}
	if cc.Serializer == nil {
		cc.Serializer = testMsgPack
	}
	var l *Listener
	var err error
	if tr.poller {
		var nl net.Listener
		if nl, err = net.Listen(tr.network, addr); err == nil {
			l = NewListener(nl, lc)
		}
	} else {
		l, err = Listen(tr.network, addr, lc)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, cc
}

// pair dials l and accepts the connection: the client and the server end.
func pair(t *testing.T, l *Listener, cc ClientConfig) (client, server *Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	type res struct {
		c   *Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := Dial(ctx, l.Addr().Network(), l.Addr().String(), cc)
		ch <- res{c, err}
	}()
	server, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { r.c.Close(); server.Close() })
	return r.c, server
}

// rawHandshake dials l without this package and completes the handshake by
// hand (JSON, 512 octets).
func rawHandshake(t *testing.T, l *Listener) net.Conn {
	t.Helper()
	nc, err := net.Dial(l.Addr().Network(), l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Write([]byte{0x7F, 0x01, 0, 0}); err != nil {
		t.Fatal(err)
	}
	var reply [4]byte
	if _, err := io.ReadFull(nc, reply[:]); err != nil {
		t.Fatal(err)
	}
	if reply[0] != 0x7F || reply[1]&0x0F != 1 {
		t.Fatalf("reply % x", reply)
	}
	return nc
}

func frame(typ frameType, payload []byte) []byte {
	b := make([]byte, headerSize, headerSize+len(payload))
	putHeader(b, typ, len(payload))
	return append(b, payload...)
}

func readFrame(t *testing.T, r io.Reader) (frameType, []byte) {
	t.Helper()
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		t.Fatal(err)
	}
	typ, n, err := parseHeader(h[:])
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		t.Fatal(err)
	}
	return typ, p
}

// readMessages reads n messages from c on a goroutine of its own.
func readMessages(c *Conn, n int) <-chan []byte {
	ch := make(chan []byte, n)
	go func() {
		defer close(ch)
		for range n {
			m, err := c.ReadMessage()
			if err != nil {
				return
			}
			ch <- append([]byte(nil), m...)
		}
	}()
	return ch
}

func expectMessages(t *testing.T, ch <-chan []byte, want [][]byte) {
	t.Helper()
	for i, w := range want {
		select {
		case m, ok := <-ch:
			if !ok {
				t.Fatalf("message %d: reader ended", i)
			}
			if !bytes.Equal(m, w) {
				t.Fatalf("message %d: %d octets %.20q, want %d octets %.20q", i, len(m), m, len(w), w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("message %d: timeout", i)
		}
	}
}

func TestTransports(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			l, cc := listen(t, tr, ListenConfig{}, ClientConfig{})
			client, server := pair(t, l, cc)
			if client.Serializer() != testMsgPack || server.Serializer() != testMsgPack {
				t.Fatalf("serializers %v %v", client.Serializer(), server.Serializer())
			}
			if client.MaxMessageSize() != DefaultMaxMessageSize || server.PeerMaxMessageSize() != DefaultMaxMessageSize {
				t.Fatalf("limits %d %d", client.MaxMessageSize(), server.MaxMessageSize())
			}
			if server.RemoteAddr() == "" || client.RemoteAddr() == "" || client.NetConn() == nil {
				t.Fatalf("addresses %q %q", server.RemoteAddr(), client.RemoteAddr())
			}
			msgs := [][]byte{[]byte("one"), {}, []byte("three"), bigPayload(200 << 10), []byte("five")}
			for _, c := range []struct{ from, to *Conn }{{client, server}, {server, client}} {
				got := readMessages(c.to, len(msgs)+2)
				if err := c.from.WriteMessages(msgs); err != nil { // one batch (writev: > 64 KiB)
					t.Fatal(err)
				}
				if err := c.from.WriteMessages(msgs[:1]); err != nil {
					t.Fatal(err)
				}
				if err := c.from.WriteMessages([][]byte{bigPayload(DefaultMaxMessageSize)}); err != nil {
					t.Fatal(err)
				}
				expectMessages(t, got, append(append(append([][]byte(nil), msgs...), msgs[0]), bigPayload(DefaultMaxMessageSize)))
			}
			client.Close()
			if _, err := server.ReadMessage(); !errors.Is(err, io.EOF) {
				t.Fatalf("after the client closed: %v, want io.EOF", err)
			}
		})
	}
}

func TestPingAnsweredWithPong(t *testing.T) {
	l, _ := listen(t, transports[0], ListenConfig{}, ClientConfig{})
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		for {
			m, err := c.ReadMessage()
			if err != nil {
				return
			}
			// Echo regular messages back.
			if err := c.WriteMessages([][]byte{m}); err != nil {
				return
			}
		}
	}()
	nc := rawHandshake(t, l)
	var out []byte
	out = append(out, frame(framePing, []byte("abc"))...)
	out = append(out, frame(frameMessage, []byte("m1"))...)
	out = append(out, frame(framePing, nil)...)
	out = append(out, frame(framePing, bigPayload(300))...)
	if _, err := nc.Write(out); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		typ frameType
		p   []byte
	}{{framePong, []byte("abc")}, {frameMessage, []byte("m1")}, {framePong, []byte{}}, {framePong, bigPayload(300)}}
	// The PONGs come in order; the echoed message may come anywhere after the first PONG.
	var pongs [][]byte
	var msgs int
	for range want {
		typ, p := readFrame(t, nc)
		switch typ {
		case framePong:
			pongs = append(pongs, p)
		case frameMessage:
			if string(p) != "m1" {
				t.Fatalf("message %q", p)
			}
			msgs++
		default:
			t.Fatalf("unexpected %v", typ)
		}
	}
	if msgs != 1 || len(pongs) != 3 {
		t.Fatalf("%d messages, %d pongs", msgs, len(pongs))
	}
	for i, w := range []int{0, 2, 3} {
		if !bytes.Equal(pongs[i], want[w].p) {
			t.Fatalf("PONG %d: %q, want %q", i, pongs[i], want[w].p)
		}
	}
}

func TestOversizedFrameEndsOnlyThatConnection(t *testing.T) {
	l, cc := listen(t, transports[0], ListenConfig{ServerConfig: ServerConfig{MaxMessageSize: 512}}, ClientConfig{})
	errs := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			errs <- err
			return
		}
		_, err = c.ReadMessage()
		errs <- err
	}()
	nc := rawHandshake(t, l)
	if _, err := nc.Write(frame(frameMessage, bigPayload(513))); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("server read: %v, want ErrMessageTooLarge", err)
	}
	// The server closed the connection: the raw client sees EOF or a reset,
	// not its 5s deadline.
	if n, err := io.Copy(io.Discard, nc); errors.Is(err, errDeadline) {
		t.Fatalf("raw client after the oversized frame: %d octets, %v", n, err)
	}
	// Another connection on the same listener is fine.
	client, server := pair(t, l, cc)
	got := readMessages(server, 1)
	if err := client.WriteMessages([][]byte{bigPayload(512)}); err != nil {
		t.Fatal(err)
	}
	expectMessages(t, got, [][]byte{bigPayload(512)})
}

func TestWriteOverPeerLimit(t *testing.T) {
	l, cc := listen(t, transports[0], ListenConfig{ServerConfig: ServerConfig{MaxMessageSize: 512}}, ClientConfig{})
	client, server := pair(t, l, cc)
	if client.MaxMessageSize() != 512 {
		t.Fatalf("peer limit %d", client.MaxMessageSize())
	}
	err := client.WriteMessages([][]byte{[]byte("ok"), bigPayload(513)})
	if !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("got %v, want ErrMessageTooLarge", err)
	}
	got := readMessages(server, 1)
	if err := client.WriteMessages([][]byte{[]byte("after")}); err != nil {
		t.Fatal(err)
	}
	expectMessages(t, got, [][]byte{[]byte("after")}) // nothing of the refused batch came first
}

func TestRefusedOverTCP(t *testing.T) {
	t.Run("serializer unsupported", func(t *testing.T) {
		l, cc := listen(t, transports[0], ListenConfig{}, ClientConfig{Serializer: testCBOR})
		_, err := Dial(context.Background(), "tcp", l.Addr().String(), cc)
		var he *HandshakeError
		if !errors.As(err, &he) || he.Code != CodeSerializerUnsupported || !errors.Is(err, ErrSerializerUnsupported) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("max length unacceptable", func(t *testing.T) {
		l, cc := listen(t, transports[0], ListenConfig{ServerConfig: ServerConfig{MinPeerMessageSize: 4096}}, ClientConfig{MaxMessageSize: 1024})
		_, err := Dial(context.Background(), "tcp", l.Addr().String(), cc)
		if !errors.Is(err, ErrMaxLengthUnacceptable) {
			t.Fatalf("got %v", err)
		}
		if l.Stats().HandshakeFailed != 1 {
			// The failure is counted once the server side has finished.
			deadline := time.Now().Add(5 * time.Second)
			for l.Stats().HandshakeFailed != 1 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if got := l.Stats().HandshakeFailed; got != 1 {
				t.Fatalf("HandshakeFailed = %d", got)
			}
		}
	})
	for _, tr := range transports {
		t.Run("connection limit/"+tr.name, func(t *testing.T) {
			l, cc := listen(t, tr, ListenConfig{MaxConnections: 1}, ClientConfig{})
			_, server := pair(t, l, cc)
			_, err := Dial(context.Background(), l.Addr().Network(), l.Addr().String(), cc)
			if !errors.Is(err, ErrConnectionLimit) {
				t.Fatalf("second connection: %v, want ErrConnectionLimit", err)
			}
			server.Close() // frees the slot
			pair(t, l, cc)
			if s := l.Stats(); s.Refused != 1 || s.Accepted != 2 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

// TestListenerPerSourceLimit: with LimitLocalSources, loopback clients
// count against MaxConnectionsPerSource (one beyond gets error code 4, and
// a closed connection frees its place); without it they are not counted.
func TestListenerPerSourceLimit(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			l, cc := listen(t, tr, ListenConfig{MaxConnectionsPerSource: 2, LimitLocalSources: true}, ClientConfig{})
			_, s1 := pair(t, l, cc)
			pair(t, l, cc)
			_, err := Dial(context.Background(), l.Addr().Network(), l.Addr().String(), cc)
			if !errors.Is(err, ErrConnectionLimit) {
				t.Fatalf("third connection from one source: %v, want ErrConnectionLimit", err)
			}
			s1.Close() // frees a place
			pair(t, l, cc)
			if s := l.Stats(); s.RefusedSource != 1 || s.Refused != 1 || s.Accepted != 3 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
	l, cc := listen(t, transports[0], ListenConfig{MaxConnectionsPerSource: 1}, ClientConfig{})
	for range 3 {
		pair(t, l, cc) // loopback is not limited by default
	}
}

func TestListenerHandshakes(t *testing.T) {
	t.Run("silent client does not block others", func(t *testing.T) {
		l, cc := listen(t, transports[0], ListenConfig{ServerConfig: ServerConfig{HandshakeTimeout: time.Minute}}, ClientConfig{})
		silent, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer silent.Close()
		pair(t, l, cc) // completes while the silent client holds its handshake open
		l.Close()      // aborts the silent handshake
		silent.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := silent.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("silent client after Close: %v, want io.EOF", err)
		}
	})
	t.Run("handshake deadline closes a silent client", func(t *testing.T) {
		l, _ := listen(t, transports[0], ListenConfig{ServerConfig: ServerConfig{HandshakeTimeout: 20 * time.Millisecond}}, ClientConfig{})
		silent, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer silent.Close()
		silent.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := silent.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("silent client: %v, want io.EOF", err)
		}
	})
	t.Run("pending handshake limit: the oldest gives way", func(t *testing.T) {
		l, cc := listen(t, transports[0], ListenConfig{MaxPendingHandshakes: 1, ServerConfig: ServerConfig{HandshakeTimeout: time.Minute}}, ClientConfig{})
		silent, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer silent.Close()
		deadline := time.Now().Add(5 * time.Second)
		for l.Stats().PendingHandshake != 1 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond) // the accept loop runs on its own goroutine
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		go func() {
			if c, err := l.Accept(); err == nil {
				c.Close()
			}
		}()
		c, err := Dial(ctx, "tcp", l.Addr().String(), cc)
		if err != nil {
			t.Fatalf("a newcomer over the limit: %v, want served", err)
		}
		c.Close()
		silent.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := silent.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("the older silent client: %v, want io.EOF", err)
		}
		if st := l.Stats(); st.Evicted != 1 || st.Refused != 0 {
			t.Errorf("stats %+v, want 1 evicted, none refused", st)
		}
	})
	t.Run("close unblocks accept", func(t *testing.T) {
		l, _ := listen(t, transports[0], ListenConfig{}, ClientConfig{})
		res := make(chan error, 1)
		go func() {
			_, err := l.Accept()
			res <- err
		}()
		l.Close()
		select {
		case err := <-res:
			if !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Accept after Close: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Accept still blocked")
		}
	})
	t.Run("TLS config without a certificate", func(t *testing.T) {
		if _, err := Listen("tcp", "127.0.0.1:0", ListenConfig{TLS: &tls.Config{}}); err == nil {
			t.Fatal("accepted")
		}
	})
}

func TestPeerOverRawSocket(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			l, cc := listen(t, tr, ListenConfig{}, ClientConfig{})
			client, server := pair(t, l, cc)
			pc, ps := peer.New(client, peer.Config{}), peer.New(server, peer.Config{})
			defer pc.Close(nil)
			defer ps.Close(nil)
			// peer keeps the transport a wamp.Parker (TLS cannot wait
			// for input: true at once).
			_, parker := ps.Transport().(wamp.Parker)
			if in := server.waitInput(10 * time.Millisecond); !parker || in != tr.tls {
				t.Fatalf("peer.Conn: wamp.Parker %v, waitInput(10ms) with nothing sent: %v", parker, in)
			}
			const n = 500
			go func() {
				for i := range n {
					if err := pc.SendWait(context.Background(), &rawMessage{[]byte(fmt.Sprint("msg ", i))}); err != nil {
						return
					}
				}
			}()
			for i := range n {
				m, err := ps.Recv()
				if err != nil {
					t.Fatal(err)
				}
				if got, want := string(m.(*rawMessage).b), fmt.Sprint("msg ", i); got != want {
					t.Fatalf("got %q, want %q", got, want)
				}
			}
			if err := pc.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			pc.Close(nil)
			if _, err := ps.Recv(); !errors.Is(err, io.EOF) {
				t.Fatalf("after the client closed: %v", err)
			}
		})
	}
}
