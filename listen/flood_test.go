package listen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/internal/testcert"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// The flood tests: a flood of connections that never finish their handshake, from some addresses (127.0.1.x,
// bound as the dialer's local address), while a well-behaved client from another one (127.0.0.1 or 127.0.0.2)
// joins. The client must join within joinBound, and the listener must hold no more of the flood than its
// pending-handshake caps.

const (
	// What a well-behaved client may wait while a flood holds: below the 3 s handshake timeout that frees the
	// flood's connections, so a client that had to wait for them fails, with room for a loaded machine.
	joinBound   = 2 * time.Second
	joinPatient = 6 * time.Second  // how long the client tries, so that a failure says how long it took
	floodPause  = 500 * ms         // a flooder's pause before it connects again once the server closed it
	floodSettle = 10 * time.Second // bound on the flood's first connections
	ms          = time.Millisecond
)

// floodSources are the flooders' addresses.
var floodSources = []string{"127.0.1.1", "127.0.1.2", "127.0.1.3", "127.0.1.4"}

// serveOn opens rawURL with cfg and serves it with a router of one realm, realm1, until the test ends.
func serveOn(t *testing.T, rawURL string, cfg Config) *Listener {
	t.Helper()
	r, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "realm1"}}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := Open(rawURL, cfg)
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Serve(r) }()
	t.Cleanup(func() { l.Close(); <-done; r.Close() })
	return l
}

// flood keeps connections open to a listener that it never completes.
type flood struct {
	open, dialed atomic.Int64 // connections open now; connections made
	cancel       context.CancelFunc
	wg           sync.WaitGroup
}

// startFlood keeps n connections to address open, from the sources srcs in turn (nil: the dialer's choice),
// writing prefix(i) on the i-th flooder's connections, and connects again floodPause after the server closes
// one, until the test ends or stop. It returns once each flooder has connected once.
func startFlood(t *testing.T, network, address string, srcs []string, n int, prefix func(i int) []byte) *flood {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &flood{cancel: cancel}
	t.Cleanup(f.stop)
	for i := range n {
		var d net.Dialer
		if len(srcs) > 0 {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(srcs[i%len(srcs)])}
		}
		var p []byte
		if prefix != nil {
			p = prefix(i)
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			for ctx.Err() == nil {
				if nc, err := d.DialContext(ctx, network, address); err == nil {
					f.dialed.Add(1)
					f.open.Add(1)
					stop := context.AfterFunc(ctx, func() { nc.Close() })
					if len(p) > 0 {
						nc.Write(p)
					}
					io.Copy(io.Discard, nc) // until the server closes it
					stop()
					nc.Close()
					f.open.Add(-1)
				}
				select {
				case <-time.After(floodPause):
				case <-ctx.Done():
				}
			}
		}()
	}
	for deadline := time.Now().Add(floodSettle); f.dialed.Load() < int64(n); time.Sleep(10 * ms) {
		if time.Now().After(deadline) {
			t.Fatalf("the flood made %d of its %d connections in %v", f.dialed.Load(), n, floodSettle)
		}
	}
	time.Sleep(300 * ms) // the listener accepts them
	return f
}

// stop ends the flood and closes its connections.
func (f *flood) stop() {
	f.cancel()
	f.wg.Wait()
}

// joinUnderFlood makes a well-behaved client join with try, again every 50 ms after a failure (a refused
// connection, or one closed under it), for up to joinPatient; it fails the test unless the client joined
// within joinBound, and logs the time it took.
func joinUnderFlood(t *testing.T, f *flood, try func(ctx context.Context) error) {
	t.Helper()
	start := time.Now()
	var last error
	attempts := 0
	for time.Since(start) < joinPatient {
		attempts++
		ctx, cancel := context.WithTimeout(context.Background(), joinPatient-time.Since(start))
		last = try(ctx)
		cancel()
		if last == nil {
			break
		}
		time.Sleep(50 * ms)
	}
	took := time.Since(start)
	if last != nil {
		t.Fatalf("no join in %v (%d attempts) while the flood held %d connections open: %v", took, attempts, f.open.Load(), last)
	}
	t.Logf("joined after %v (%d attempts) while the flood held %d connections open (%d made)", took.Round(ms), attempts, f.open.Load(), f.dialed.Load())
	if took > joinBound {
		t.Errorf("joined after %v, want within %v", took.Round(ms), joinBound)
	}
}

// hello joins realm1 over t (JSON) and closes t.
func hello(t wamp.Transport) error {
	defer t.Close()
	if err := t.WriteMessages([][]byte{[]byte(`[1, "realm1", {"roles": {"caller": {}}}]`)}); err != nil {
		return err
	}
	t.SetReadDeadline(time.Now().Add(joinPatient))
	m, err := t.ReadMessage()
	if err != nil {
		return err
	}
	if len(m) < 3 || string(m[:3]) != "[2," {
		return fmt.Errorf("got %s, want WELCOME", m)
	}
	return nil
}

// rawJoin returns a try for joinUnderFlood: a RawSocket client from src (TLS with conf unless nil).
func rawJoin(network, address, src string, conf *tls.Config) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		var d net.Dialer
		if src != "" {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
		}
		nc, err := d.DialContext(ctx, network, address)
		if err != nil {
			return err
		}
		if conf != nil {
			tc := tls.Client(nc, conf)
			if err := tc.HandshakeContext(ctx); err != nil {
				nc.Close()
				return err
			}
			nc = tc
		}
		c, err := rawsocket.Client(ctx, nc, rawsocket.ClientConfig{Serializer: wamp.JSON})
		if err != nil {
			return err
		}
		return hello(c)
	}
}

// wsJoin returns a try for joinUnderFlood: a WebSocket client (from 127.0.0.1).
func wsJoin(rawURL string, conf *tls.Config) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		c, err := wstransport.Dial(ctx, rawURL, wstransport.ClientConfig{TLS: conf})
		if err != nil {
			return err
		}
		return hello(c)
	}
}

// halfHandshakes: the even flooders send nothing, the odd ones 2 of the 4 octets of a RawSocket handshake.
func halfHandshakes(i int) []byte {
	if i%2 == 1 {
		return []byte{0x7f, 0xf1}
	}
	return nil
}

// partialRequests: the even flooders send nothing, the odd ones an HTTP request whose headers never end.
func partialRequests(i int) []byte {
	if i%2 == 1 {
		return []byte("GET /ws HTTP/1.1\r\nHost: gateway\r\n")
	}
	return nil
}

// checkHeld fails the test when l holds more than max connections pending, or when the kernel lists
// more than thrice that many connections of its address open: the median of a few looks (connections
// closed by the listener stay open until their goroutine runs, which takes a while on a loaded machine).
func checkHeld(t *testing.T, l *Listener, max int) {
	t.Helper()
	if n := l.Stats().PendingHandshakes; n > int64(max) {
		t.Errorf("%d handshakes pending, want at most %d", n, max)
	}
	address := l.Addr()
	var looks [][2]int
	for range 5 {
		n, b, ok := serverHeld(address)
		if !ok {
			t.Log("cannot count the listener's connections here")
			return
		}
		looks = append(looks, [2]int{n, b})
		time.Sleep(50 * ms)
	}
	slices.SortFunc(looks, func(a, b [2]int) int { return a[0] - b[0] })
	held, backlog := looks[2][0], looks[2][1]
	t.Logf("the listener holds %d connections (%d more wait in its listen backlog) (bound %d)", held, backlog, max)
	if held > 3*max {
		t.Errorf("the listener holds %d connections, want at most %d", held, max)
	}
}

// serverHeld counts the connections the TCP listener at address has accepted and not closed, and those
// in its listen backlog, from Linux's /proc/net/tcp: its established connections (local port: the
// listener's) less the backlog (the listening socket's rx_queue).
func serverHeld(address string) (held, backlog int, ok bool) {
	_, port, err := net.SplitHostPort(address)
	if err != nil {
		return 0, 0, false
	}
	p, _ := strconv.Atoi(port)
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return 0, 0, false
	}
	local := fmt.Sprintf(":%04X", p)
	established := 0
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasSuffix(f[1], local) {
			continue
		}
		switch f[3] {
		case "01":
			established++
		case "0A":
			if _, rx, ok := strings.Cut(f[4], ":"); ok {
				n, _ := strconv.ParseInt(rx, 16, 64)
				backlog = int(n)
			}
		}
	}
	return established - backlog, backlog, true
}

// TestFloodRawSocket: silent connections and half handshakes from a few addresses on rs:// do not keep a
// client from another address out.
func TestFloodRawSocket(t *testing.T) {
	l := serveOn(t, "rs://127.0.0.1:0", Config{RawSocket: rawsocket.ServerConfig{HandshakeTimeout: 3 * time.Second}})
	f := startFlood(t, "tcp", l.Addr(), floodSources, 400, halfHandshakes)
	joinUnderFlood(t, f, rawJoin("tcp", l.Addr(), "127.0.0.2", nil))
	checkHeld(t, l, DefaultMaxPendingHandshakes)
}

// TestFloodOneSourceAtItsCap: one address holding as many silent connections as its per-address cap,
// which equals max_pending_handshakes, does not keep a client from another address out.
func TestFloodOneSourceAtItsCap(t *testing.T) {
	l := serveOn(t, "rs://127.0.0.1:0", Config{RawSocket: rawsocket.ServerConfig{HandshakeTimeout: 3 * time.Second},
		MaxPendingHandshakes: 64, MaxConnsPerSource: 64, LimitLocal: true})
	f := startFlood(t, "tcp", l.Addr(), floodSources[:1], 64, nil)
	joinUnderFlood(t, f, rawJoin("tcp", l.Addr(), "127.0.0.2", nil))
}

// TestFloodWebSocket: silent connections and unfinished HTTP requests on ws:// do not keep a client out,
// the listener holds no more of them than its pending caps, and they close when the flood stops.
func TestFloodWebSocket(t *testing.T) {
	hs := 3 * time.Second
	l := serveOn(t, "ws://127.0.0.1:0/ws", Config{WebSocket: wstransport.ServerConfig{HandshakeTimeout: hs}})
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f := startFlood(t, "tcp", l.Addr(), floodSources, 400, partialRequests)
	joinUnderFlood(t, f, wsJoin("ws://"+l.Addr()+"/ws", nil))
	checkHeld(t, l, DefaultMaxPendingHandshakes)
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	f.stop()
	// Every connection the server held is closed within the handshake timeout.
	waitFor(t, hs+2*time.Second, "the listener's pending handshakes to end", func() bool { return l.Stats().PendingHandshakes == 0 })
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("heap in use: %.1f MiB before the flood, %.1f MiB during it, %.1f MiB after it",
		mib(before.HeapInuse), mib(during.HeapInuse), mib(after.HeapInuse))
	if grew := mib(after.HeapInuse) - mib(before.HeapInuse); grew > 8 {
		t.Errorf("the heap kept %.1f MiB after the flood", grew)
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// waitFor polls cond every 20 ms for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(20 * ms) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
	}
}

// checkSilentClosed fails the test unless a connection that sends nothing is closed within a second
// of the handshake timeout hs.
func checkSilentClosed(t *testing.T, network, address string, hs time.Duration) {
	t.Helper()
	nc, err := net.Dial(network, address)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	start := time.Now()
	nc.SetReadDeadline(start.Add(hs + 4*time.Second))
	_, err = nc.Read(make([]byte, 1))
	took := time.Since(start)
	t.Logf("a silent connection closed after %v (handshake_timeout %v)", took.Round(ms), hs)
	if !errors.Is(err, io.EOF) || took > hs+time.Second {
		t.Errorf("a silent connection: %v after %v, want closed after handshake_timeout %v", err, took.Round(ms), hs)
	}
}

// TestFloodUniSocket: uni:// closes a silent connection at handshake_timeout, holds no more silent
// connections from one address than its caps, and lets a client from another address in.
func TestFloodUniSocket(t *testing.T) {
	hs := time.Second
	l := serveOn(t, "uni://127.0.0.1:0/ws", Config{RawSocket: rawsocket.ServerConfig{HandshakeTimeout: hs},
		WebSocket: wstransport.ServerConfig{HandshakeTimeout: hs}, MaxConnsPerSource: 64, LimitLocal: true})
	t.Run("handshake_timeout", func(t *testing.T) { checkSilentClosed(t, "tcp", l.Addr(), hs) })
	t.Run("flood", func(t *testing.T) {
		f := startFlood(t, "tcp", l.Addr(), floodSources[:1], 300, nil)
		checkHeld(t, l, 64)
		joinUnderFlood(t, f, rawJoin("tcp", l.Addr(), "127.0.0.2", nil))
		joinUnderFlood(t, f, wsJoin("ws://"+l.Addr()+"/ws", nil))
	})
}

// tlsFiles writes a server certificate for 127.0.0.1 and returns its files and a client config that
// trusts it.
func tlsFiles(t *testing.T) (cert, key string, client *tls.Config) {
	t.Helper()
	ca, err := testcert.NewCA("flood test CA")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Server()
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err = testcert.WritePair(pair, t.TempDir(), "server")
	if err != nil {
		t.Fatal(err)
	}
	return cert, key, &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1"}
}

// TestFloodTLS: stalled TLS handshakes on rss:// and wss:// do not keep a client out.
func TestFloodTLS(t *testing.T) {
	cert, key, conf := tlsFiles(t)
	hs := 3 * time.Second
	cfg := Config{Cert: cert, Key: key, RawSocket: rawsocket.ServerConfig{HandshakeTimeout: hs},
		WebSocket: wstransport.ServerConfig{HandshakeTimeout: hs}}
	t.Run("rss", func(t *testing.T) {
		l := serveOn(t, "rss://127.0.0.1:0", cfg)
		f := startFlood(t, "tcp", l.Addr(), floodSources, 200, nil)
		joinUnderFlood(t, f, rawJoin("tcp", l.Addr(), "127.0.0.2", conf))
		checkHeld(t, l, DefaultMaxPendingHandshakes)
	})
	t.Run("wss", func(t *testing.T) {
		l := serveOn(t, "wss://127.0.0.1:0/ws", cfg)
		f := startFlood(t, "tcp", l.Addr(), floodSources, 300, nil)
		joinUnderFlood(t, f, wsJoin("wss://"+l.Addr()+"/ws", conf))
		checkHeld(t, l, DefaultMaxPendingHandshakes)
	})
}

// unixFloodEnv names the socket a re-run of this test binary floods (TestUnixFloodHelper).
const unixFloodEnv = "EDGEWAMP_TEST_UNIX_FLOOD"

// TestUnixFloodHelper is the flooding process of TestFloodUnix: it holds 200 silent connections to the
// socket named by unixFloodEnv until its standard input closes.
func TestUnixFloodHelper(t *testing.T) {
	path := os.Getenv(unixFloodEnv)
	if path == "" {
		t.Skip("the flooding process of TestFloodUnix")
	}
	f := startFlood(t, "unix", path, nil, 200, nil)
	fmt.Println("flooding")
	io.Copy(io.Discard, os.Stdin)
	f.stop()
}

// TestFloodUnix: on unix://, silent connections from another process (its own source: the peer's
// credentials) do not keep this process's client out, and a silent connection is closed at
// handshake_timeout.
func TestFloodUnix(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peer credentials are read on Linux")
	}
	hs := 2 * time.Second
	path := filepath.Join(t.TempDir(), "gw.sock")
	l := serveOn(t, "unix://"+path, Config{RawSocket: rawsocket.ServerConfig{HandshakeTimeout: hs}})
	t.Run("handshake_timeout", func(t *testing.T) { checkSilentClosed(t, "unix", path, hs) })
	t.Run("flood", func(t *testing.T) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUnixFloodHelper$", "-test.v")
		cmd.Env = append(os.Environ(), unixFloodEnv+"="+path)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { stdin.Close(); cmd.Wait() }()
		buf := make([]byte, 64)
		if _, err := io.ReadAtLeast(out, buf, len("flooding")); err != nil {
			t.Fatalf("flooding process: %v", err)
		}
		go io.Copy(io.Discard, out)
		time.Sleep(300 * ms)
		t.Logf("flooding process %d; pending handshakes %d", cmd.Process.Pid, l.Stats().PendingHandshakes)
		joinUnderFlood(t, &flood{}, rawJoin("unix", path, "", nil))
	})
}
