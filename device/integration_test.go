package device_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/url"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// testTimeout bounds each integration step.
const testTimeout = 10 * time.Second

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newRouter starts an in-process router closed at the end of the test.
func newRouter(t testing.TB) *minirouter.Router {
	t.Helper()
	rt, err := minirouter.New(minirouter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

// serve serves rt on l until the test ends.
func serve(t testing.TB, rt *minirouter.Router, l net.Listener) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		listen.Serve(rt, l, listen.Config{})
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
	})
}

// connector joins a new client to the router of a test.
type connector func(ctx context.Context, cfg device.Config) (*device.Client, error)

// transports returns one connector per way of reaching rt: in process, and
// RawSocket over TCP (both serializers), TLS and a Unix socket.
func transports(t *testing.T, rt *minirouter.Router) map[string]connector {
	t.Helper()
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serve(t, rt, tcp)
	sock := filepath.Join(t.TempDir(), "wamp.sock")
	ul, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, rt, ul)
	serverTLS, clientTLS := testTLS(t)
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serve(t, rt, tls.NewListener(tl, serverTLS))

	dial := func(url string) connector {
		return func(ctx context.Context, cfg device.Config) (*device.Client, error) {
			cfg.TLS = clientTLS
			return device.Dial(ctx, url, cfg)
		}
	}
	return map[string]connector{
		"inproc": func(ctx context.Context, cfg device.Config) (*device.Client, error) {
			tr, err := rt.Connect(ctx)
			if err != nil {
				return nil, err
			}
			return device.NewClient(ctx, tr, cfg)
		},
		"rs-msgpack": dial("rs://" + tcp.Addr().String()),
		"tcp-json":   dial("tcp://" + tcp.Addr().String() + "?serializer=json"),
		"rss":        dial("rss://" + tl.Addr().String()),
		"unix":       dial("unix://" + sock),
	}
}

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
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
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
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return server, &tls.Config{RootCAs: pool}
}

// join joins a client through conn, closed at the end of the test.
func join(t *testing.T, conn connector) *device.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := conn(ctx, device.Config{Logger: quiet()})
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestIntegration(t *testing.T) {
	rt := newRouter(t)
	for name, conn := range transports(t, rt) {
		t.Run(name, func(t *testing.T) {
			callee, caller := join(t, conn), join(t, conn)
			t.Run("call", func(t *testing.T) { testCall(t, callee, caller) })
			t.Run("errors", func(t *testing.T) { testCallErrors(t, callee, caller) })
			t.Run("progress", func(t *testing.T) { testProgress(t, callee, caller) })
			t.Run("cancel", func(t *testing.T) { testCancel(t, callee, caller) })
			t.Run("timeout", func(t *testing.T) { testCallTimeout(t, callee, caller) })
			t.Run("pubsub", func(t *testing.T) { testPubSub(t, callee, caller) })
			t.Run("same topic twice", func(t *testing.T) { testSameTopicTwice(t, callee, caller) })
			t.Run("leave", func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
				defer cancel()
				for _, c := range []*device.Client{callee, caller} {
					if err := c.Leave(ctx); err != nil {
						t.Errorf("Leave: %v", err)
					}
					if !errors.Is(c.Err(), device.ErrSessionClosed) {
						t.Errorf("Err after Leave = %v", c.Err())
					}
				}
			})
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func testCall(t *testing.T, callee, caller *device.Client) {
	ctx := ctxT(t)
	reg, err := callee.Register(ctx, "com.example.add", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		a, _ := inv.Args[0].(int64)
		b, _ := inv.Args[1].(int64)
		return wamp.Payload{Args: wamp.List{a + b}, Kwargs: wamp.Dict{"by": uint64(inv.Caller)}}, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister(ctx)
	for i := range 20 {
		res, err := caller.Call(ctx, "com.example.add", wamp.Payload{Args: wamp.List{i, 2}}, &device.CallOptions{DiscloseMe: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Args[0] != int64(i+2) {
			t.Fatalf("add(%d, 2) = %v", i, res.Args)
		}
		if id, _ := wamp.OptID(res.Kwargs, "by"); id != caller.ID() {
			t.Errorf("disclosed caller = %v, want %d", res.Kwargs["by"], caller.ID())
		}
	}
}

func testCallErrors(t *testing.T, callee, caller *device.Client) {
	ctx := ctxT(t)
	if _, err := caller.Call(ctx, "com.example.nothing", wamp.Payload{}, nil); !errors.Is(err, wamp.ErrNoSuchProcedure) {
		t.Errorf("err = %v, want no_such_procedure", err)
	}
	reg, err := callee.Register(ctx, "com.example.fail", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		if len(inv.Args) > 0 {
			return wamp.Payload{}, wamp.NewError("com.example.error.too_hot", "98C")
		}
		return wamp.Payload{}, errors.New("plain failure")
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister(ctx)
	if _, err := callee.Register(ctx, "com.example.fail", func(context.Context, *device.Invocation) (wamp.Payload, error) {
		return wamp.Payload{}, nil
	}, nil); !errors.Is(err, wamp.ErrProcedureAlreadyExists) {
		t.Errorf("second register: %v", err)
	}
	_, err = caller.Call(ctx, "com.example.fail", wamp.Payload{Args: wamp.List{1}}, nil)
	var we *wamp.Error
	if !errors.As(err, &we) || we.URI != "com.example.error.too_hot" || we.Args[0] != "98C" {
		t.Errorf("err = %#v", err)
	}
	_, err = caller.Call(ctx, "com.example.fail", wamp.Payload{}, nil)
	if !errors.Is(err, wamp.ErrRuntimeError) || !errors.As(err, &we) || we.Args[0] != "plain failure" {
		t.Errorf("err = %v", err)
	}
}

func testProgress(t *testing.T, callee, caller *device.Client) {
	ctx := ctxT(t)
	reg, err := callee.Register(ctx, "com.example.count", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		n, _ := inv.Args[0].(int64)
		for i := range n {
			if err := inv.Progress(ctx, wamp.Payload{Args: wamp.List{i}}); err != nil {
				return wamp.Payload{}, err
			}
		}
		return wamp.Payload{Args: wamp.List{"done"}}, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister(ctx)
	var got []any
	res, err := caller.Call(ctx, "com.example.count", wamp.Payload{Args: wamp.List{5}}, &device.CallOptions{
		Progress: func(p wamp.Payload) { got = append(got, p.Args[0]) },
	})
	if err != nil || res.Args[0] != "done" {
		t.Fatalf("result %v, %v", res, err)
	}
	if want := []any{int64(0), int64(1), int64(2), int64(3), int64(4)}; !reflect.DeepEqual(got, want) {
		t.Errorf("progress = %v, want %v", got, want)
	}
	// Without Progress the callee may not send progressive results.
	res, err = caller.Call(ctx, "com.example.count", wamp.Payload{Args: wamp.List{1}}, nil)
	if !errors.Is(err, wamp.ErrRuntimeError) {
		t.Errorf("result %v, %v; want runtime_error (progress not requested)", res, err)
	}
}

func testCancel(t *testing.T, callee, caller *device.Client) {
	ctx := ctxT(t)
	started := make(chan struct{})
	interrupted := make(chan error, 1)
	reg, err := callee.Register(ctx, "com.example.slow", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		close(started)
		<-ctx.Done()
		interrupted <- context.Cause(ctx)
		return wamp.Payload{}, ctx.Err()
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister(ctx)
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := caller.Call(cctx, "com.example.slow", wamp.Payload{}, nil)
		errc <- err
	}()
	<-started
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("call err = %v", err)
	}
	select {
	case err := <-interrupted:
		if err == nil {
			t.Error("handler context ended without a cause")
		}
	case <-time.After(testTimeout):
		t.Fatal("handler not interrupted")
	}
}

func testCallTimeout(t *testing.T, callee, caller *device.Client) {
	ctx := ctxT(t)
	reg, err := callee.Register(ctx, "com.example.stuck", func(ctx context.Context, inv *device.Invocation) (wamp.Payload, error) {
		<-ctx.Done()
		return wamp.Payload{}, ctx.Err()
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister(ctx)
	_, err = caller.Call(ctx, "com.example.stuck", wamp.Payload{}, &device.CallOptions{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, wamp.ErrTimeout) {
		t.Errorf("err = %v, want wamp.error.timeout", err)
	}
}

func testPubSub(t *testing.T, subscriber, publisher *device.Client) {
	ctx := ctxT(t)
	const n = 50
	got := make(chan *device.Event, n)
	sub, err := subscriber.Subscribe(ctx, "com.example.sensor.", func(ev *device.Event) { got <- ev },
		&device.SubscribeOptions{Match: "prefix"})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe(ctx)
	for i := range n {
		o := &device.PublishOptions{DiscloseMe: true, Acknowledge: i == n-1}
		if err := publisher.Publish(ctx, "com.example.sensor.temp", wamp.Payload{Args: wamp.List{i}}, o); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		select {
		case ev := <-got:
			if ev.Args[0] != int64(i) || ev.Topic != "com.example.sensor.temp" || ev.Publisher != publisher.ID() {
				t.Fatalf("event %d: %+v", i, ev)
			}
		case <-time.After(testTimeout):
			t.Fatalf("event %d not received", i)
		}
	}
	// exclude_me defaults to true: the publisher does not get its own event.
	self := make(chan *device.Event, 1)
	own, err := publisher.Subscribe(ctx, "com.example.self", func(ev *device.Event) { self <- ev }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer own.Unsubscribe(ctx)
	if err := publisher.Publish(ctx, "com.example.self", wamp.Payload{Args: wamp.List{"excluded"}}, &device.PublishOptions{Acknowledge: true}); err != nil {
		t.Fatal(err)
	}
	if err := publisher.Publish(ctx, "com.example.self", wamp.Payload{Args: wamp.List{"mine"}}, &device.PublishOptions{IncludeMe: true}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-self:
		if ev.Args[0] != "mine" {
			t.Errorf("got %v", ev.Args[0])
		}
	case <-time.After(testTimeout):
		t.Fatal("own event not received with IncludeMe")
	}
}

func TestIntegrationJoinErrors(t *testing.T) {
	rt := newRouter(t)
	conns := transports(t, rt)
	ctx := ctxT(t)
	_, err := conns["rs-msgpack"](ctx, device.Config{Realm: "no.such.realm", Logger: quiet()})
	if !errors.Is(err, wamp.ErrNoSuchRealm) {
		t.Errorf("err = %v, want no_such_realm", err)
	}
	if _, err := device.Dial(ctx, "ws://127.0.0.1:1/ws", device.Config{}); !errors.Is(err, device.ErrUnsupportedScheme) {
		t.Errorf("ws without a dialer: %v", err)
	}
	if _, err := device.Dial(ctx, "rs://127.0.0.1:1?serializer=ubjson", device.Config{}); err == nil {
		t.Error("unknown serializer accepted")
	}
	// A plugged-in dialer receives the URL.
	var gotURL string
	_, err = device.Dial(ctx, "loop://router?serializer=json", device.Config{
		Logger: quiet(),
		Dialers: map[string]wamp.Dialer{"loop": func(ctx context.Context, u *url.URL, _ wamp.DialOptions) (wamp.Transport, error) {
			gotURL = u.String()
			return rt.Connect(ctx)
		}},
	})
	if err != nil || gotURL != "loop://router?serializer=json" {
		t.Errorf("plugged-in dialer: %v (url %q)", err, gotURL)
	}
}

func testSameTopicTwice(t *testing.T, subscriber, publisher *device.Client) {
	ctx := ctxT(t)
	a, b := make(chan any, 4), make(chan any, 4)
	subA, err := subscriber.Subscribe(ctx, "com.example.twice", func(ev *device.Event) { a <- ev.Args[0] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	subB, err := subscriber.Subscribe(ctx, "com.example.twice", func(ev *device.Event) { b <- ev.Args[0] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer subB.Unsubscribe(ctx)
	recv := func(ch chan any, want any) {
		t.Helper()
		select {
		case v := <-ch:
			if v != want {
				t.Errorf("got %v, want %v", v, want)
			}
		case <-time.After(testTimeout):
			t.Fatalf("%v not received", want)
		}
	}
	publisher.Publish(ctx, "com.example.twice", wamp.Payload{Args: wamp.List{"one"}}, nil)
	recv(a, "one")
	recv(b, "one")
	if err := subA.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	publisher.Publish(ctx, "com.example.twice", wamp.Payload{Args: wamp.List{"two"}}, nil)
	recv(b, "two")
}
