package device

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/internal/testcert"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/serialtransport"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// allDialers plugs in every transport of the module, as a binary that wants them all does.
var allDialers = map[string]wamp.Dialer{
	"ws": wstransport.DialURL, "wss": wstransport.DialURL, "serial": serialtransport.DialURL,
}

// testTLS returns a server certificate for 127.0.0.1 and a client config trusting it.
func testTLS(t *testing.T) (server *tls.Config, client *tls.Config) {
	t.Helper()
	ca, err := testcert.NewCA("dial test CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Server()
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, &tls.Config{RootCAs: ca.Pool}
}

// rawSocketServer accepts RawSocket connections on network and address (over TLS when conf is set)
// and sends the serializer of each to the channel; it returns the address listened on.
func rawSocketServer(t *testing.T, network, address string, conf *tls.Config) (string, <-chan string) {
	t.Helper()
	l, err := rawsocket.Listen(network, address, rawsocket.ListenConfig{TLS: conf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	got := make(chan string, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			got <- c.Serializer().Name()
			c.Close()
		}
	}()
	return l.Addr().String(), got
}

// webSocketServer serves WebSocket on 127.0.0.1 (over TLS when conf is set) and sends the serializer
// of each connection to the channel; it returns the address listened on.
func webSocketServer(t *testing.T, conf *tls.Config) (string, <-chan string) {
	t.Helper()
	got := make(chan string, 4)
	srv := wstransport.NewServer("127.0.0.1:0", wstransport.Handler(wstransport.ServerConfig{}, func(tr wamp.Transport) {
		got <- tr.Serializer().Name()
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if conf != nil {
		l = tls.NewListener(l, conf)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(l) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return addr, got
}

// serialServer, where there are ptys, runs a serial gateway on a pty's master and returns the
// slave's path; the serializer of each link goes to the channel (dialtransport_linux_test.go).
var serialServer func(t *testing.T) (string, <-chan string)

// transportName names the package of a transport.
func transportName(tr wamp.Transport) string {
	switch tr.(type) {
	case *rawsocket.Conn:
		return "rawsocket"
	case *wstransport.Conn:
		return "wstransport"
	case *serialtransport.Conn:
		return "serialtransport"
	}
	return "unknown"
}

// TestDialTransportSchemes dials every scheme against a real server of its transport and checks
// which transport the URL chose and which serializer it asked for.
func TestDialTransportSchemes(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	rs, rsGot := rawSocketServer(t, "tcp", "127.0.0.1:0", nil)
	rss, rssGot := rawSocketServer(t, "tcp", "127.0.0.1:0", serverTLS)
	sock, unixGot := rawSocketServer(t, "unix", filepath.Join(t.TempDir(), "wamp.sock"), nil)
	ws, wsGot := webSocketServer(t, nil)
	wss, wssGot := webSocketServer(t, serverTLS)
	tests := []struct {
		name       string
		url        func() (string, <-chan string)
		cfg        Config
		transport  string
		serializer string
	}{
		{"rs", func() (string, <-chan string) { return "rs://" + rs, rsGot }, Config{}, "rawsocket", "msgpack"},
		{"rs upper case", func() (string, <-chan string) { return "RS://" + rs, rsGot }, Config{}, "rawsocket", "msgpack"},
		{"tcp json", func() (string, <-chan string) { return "tcp://" + rs + "?serializer=json", rsGot }, Config{}, "rawsocket", "json"},
		{"rs config serializer", func() (string, <-chan string) { return "rs://" + rs, rsGot }, Config{Serializer: "json"}, "rawsocket", "json"},
		{"rs URL wins", func() (string, <-chan string) { return "rs://" + rs + "?serializer=msgpack", rsGot }, Config{Serializer: "json"}, "rawsocket", "msgpack"},
		{"rss", func() (string, <-chan string) { return "rss://" + rss, rssGot }, Config{TLS: clientTLS}, "rawsocket", "msgpack"},
		{"unix", func() (string, <-chan string) { return "unix://" + sock, unixGot }, Config{}, "rawsocket", "msgpack"},
		{"ws", func() (string, <-chan string) { return "ws://" + ws + "/ws", wsGot }, Config{Dialers: allDialers}, "wstransport", "json"},
		{"wss msgpack", func() (string, <-chan string) { return "wss://" + wss + "/ws?serializer=msgpack", wssGot }, Config{Dialers: allDialers, TLS: clientTLS}, "wstransport", "msgpack"},
		{"serial", func() (string, <-chan string) {
			if serialServer == nil {
				t.Skip("no pty on this system")
			}
			path, got := serialServer(t)
			return "serial://" + path, got
		}, Config{Dialers: allDialers}, "serialtransport", "msgpack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			u, got := tt.url()
			tr, err := DialTransport(ctx, u, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			if name := transportName(tr); name != tt.transport || tr.Serializer().Name() != tt.serializer {
				t.Errorf("%s: %s with %s, want %s with %s", u, name, tr.Serializer().Name(), tt.transport, tt.serializer)
			}
			select {
			case s := <-got:
				if s != tt.serializer {
					t.Errorf("the server saw %s, want %s", s, tt.serializer)
				}
			case <-ctx.Done():
				t.Fatal("the server saw no connection")
			}
		})
	}
	if clientTLS.ServerName != "" {
		t.Errorf("DialTransport wrote ServerName %q into the caller's TLS config", clientTLS.ServerName)
	}
}

// TestDialTransportErrors checks every bad URL form: each error names the URL, and an unknown
// scheme lists the schemes there are.
func TestDialTransportErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		url  string
		cfg  Config
		want string
		is   error
	}{
		{url: "://", want: "missing protocol scheme"},
		{url: "rs//h:1", want: `unsupported URL scheme "" (built in: rs, rss, tcp, unix; plugged in: none;`, is: ErrUnsupportedScheme},
		{url: "foo://h:1", want: `unsupported URL scheme "foo" (built in: rs, rss, tcp, unix; plugged in: none;`, is: ErrUnsupportedScheme},
		{url: "foo://h:1", cfg: Config{Dialers: allDialers}, want: "plugged in: serial, ws, wss", is: ErrUnsupportedScheme},
		{url: "ws://h:1/", want: "ws and wss: wstransport.DialURL", is: ErrUnsupportedScheme},
		{url: "wss://h:1/", want: "ws and wss: wstransport.DialURL", is: ErrUnsupportedScheme},
		{url: "serial:///dev/ttyUSB0", want: "serial: serialtransport.DialURL", is: ErrUnsupportedScheme},
		{url: "rs://h", want: "rs URL without a port"},
		{url: "tcp://h:", want: "tcp URL without a port"},
		{url: "rss://h", want: "rss URL without a port"},
		{url: "rs:///path", want: "rs URL without host:port"},
		{url: "rss://", want: "rss URL without host:port"},
		{url: "unix://", want: "unix URL without a socket path"},
		{url: "unix:", want: "unix URL without a socket path"},
		{url: "rs://h:1?serializer=ubjson", want: `unknown serializer "ubjson"`},
		{url: "rs://h:1", cfg: Config{Serializer: "ubjson"}, want: `unknown serializer "ubjson"`},
		{url: "ws://h:1/?serializer=ubjson", cfg: Config{Dialers: allDialers}, want: `unknown serializer "ubjson"`},
		{url: "ws:///path", cfg: Config{Dialers: allDialers}, want: "no host"},
		{url: "serial://host/dev/ttyUSB0", cfg: Config{Dialers: allDialers}, want: "want serial:///path/to/device"},
		{url: "rs://127.0.0.1:1", want: "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			tr, err := DialTransport(ctx, tt.url, tt.cfg)
			if err == nil || tr != nil {
				t.Fatalf("DialTransport = %v, %v", tr, err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.url) ||
				(tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("err = %v, want %q and the URL", err, tt.want)
			}
		})
	}
}

func TestDialErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		url  string
		want string
		is   error
	}{
		{"ws://h:1/", "unsupported URL scheme", ErrUnsupportedScheme},
		{"serial:///dev/ttyUSB0", "plugged in: none", ErrUnsupportedScheme},
		{"rs://h:1?serializer=ubjson", "unknown serializer", nil},
		{"rs://h", "without a port", nil},
		{"://", "missing protocol scheme", nil},
		{"rs://127.0.0.1:1", "refused", nil},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := Dial(ctx, tt.url, Config{Logger: quietLogger()})
			if err == nil || c != nil {
				t.Fatalf("Dial = %v, %v", c, err)
			}
			if !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDialPluggedIn(t *testing.T) {
	var gotSerializer wamp.Serializer
	cfg := Config{Logger: quietLogger(), Dialers: map[string]wamp.Dialer{
		"loop": func(ctx context.Context, u *url.URL, opts wamp.DialOptions) (wamp.Transport, error) {
			gotSerializer = opts.Serializer
			a, b := peer.Pipe(wamp.JSON, 0)
			r := newFakeRouter(t, b)
			go func() {
				expect[*wamp.Hello](r)
				r.send(&wamp.Welcome{Session: 5, Details: wamp.Dict{}})
			}()
			return a, nil
		},
		"broken": func(ctx context.Context, u *url.URL, opts wamp.DialOptions) (wamp.Transport, error) {
			return nil, errors.New("no such port")
		},
	}}
	c, err := Dial(context.Background(), "loop://x?serializer=json", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.ID() != 5 || gotSerializer != wamp.JSON {
		t.Errorf("id %d, serializer %v", c.ID(), gotSerializer)
	}
	if _, err := Dial(context.Background(), "broken://x", cfg); err == nil || !strings.Contains(err.Error(), "no such port") {
		t.Errorf("err = %v", err)
	}
}

func TestDialPluggedInDefaultSerializer(t *testing.T) {
	var got wamp.Serializer = wamp.MsgPack
	cfg := Config{Logger: quietLogger(), Dialers: map[string]wamp.Dialer{
		"ws": func(ctx context.Context, u *url.URL, opts wamp.DialOptions) (wamp.Transport, error) {
			got = opts.Serializer
			return nil, errors.New("stop here")
		},
	}}
	Dial(context.Background(), "ws://x/", cfg)
	if got != nil {
		t.Errorf("serializer passed to the dialer = %v, want nil (the transport's default)", got)
	}
}

// TestDialTransportOptions checks what reaches a dialer: Config.Transport's limits, with
// Config.TLS winning over its TLS.
func TestDialTransportOptions(t *testing.T) {
	mine, theirs := &tls.Config{ServerName: "mine"}, &tls.Config{ServerName: "theirs"}
	var got wamp.DialOptions
	cfg := Config{
		TLS:       mine,
		Transport: wamp.DialOptions{TLS: theirs, MaxMessageSize: 4096, HandshakeTimeout: time.Second, KeepAlive: -1},
		Dialers: map[string]wamp.Dialer{"x": func(ctx context.Context, u *url.URL, opts wamp.DialOptions) (wamp.Transport, error) {
			got = opts
			return nil, errors.New("stop here")
		}},
	}
	DialTransport(context.Background(), "x://h", cfg)
	if got.TLS != mine || got.MaxMessageSize != 4096 || got.HandshakeTimeout != time.Second || got.KeepAlive != -1 {
		t.Errorf("options = %+v", got)
	}
}

func TestCheckURL(t *testing.T) {
	ws := map[string]wamp.Dialer{"ws": func(context.Context, *url.URL, wamp.DialOptions) (wamp.Transport, error) { return nil, nil }}
	for _, tt := range []struct {
		url, want string // want: part of the error, "" for none
	}{
		{"rs://127.0.0.1:8081", ""},
		{"unix:///run/r.sock?serializer=json", ""},
		{"ws://h/ws", ""},
		{"wss://h/ws", "unsupported URL scheme"},
		{"ftp://x", `unsupported URL scheme "ftp"`},
		{"rs://127.0.0.1", "want rs://host:port"},
		{"unix://relative", "want unix:///absolute/path"},
		{"rs://h:1?serializer=cbor9", `unknown serializer "cbor9"`},
	} {
		err := CheckURL(tt.url, Config{Dialers: ws})
		if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckURL(%q) = %v, want %q", tt.url, err, tt.want)
		}
	}
	if err := CheckURL("ftp://x", Config{}); !errors.Is(err, ErrUnsupportedScheme) {
		t.Errorf("CheckURL(ftp) = %v, want ErrUnsupportedScheme", err)
	}
}
