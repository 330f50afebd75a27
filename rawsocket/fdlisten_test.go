//go:build linux && !edgewamp_board

package rawsocket

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// openFDs counts the process's open descriptors, once the pollers the
// package starts for good are running.
func openFDs(t *testing.T) int {
	t.Helper()
	thePoller()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// settleFDs waits (up to 5s) for the open descriptors to come back to want.
func settleFDs(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := openFDs(t)
		if got <= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d descriptors open, %d before: %d leaked", got, want, got-want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFDListenerAccepts: Listen (no TLS) accepts into an fdConn, never a
// net.Conn: before any park the server's connection is outside Go's
// poller, with the peer's address, the net package's TCP options, and a
// working handshake and message flow.
func TestFDListenerAccepts(t *testing.T) {
	for _, tr := range transports {
		if tr.tls || tr.poller {
			continue
		}
		t.Run(tr.name, func(t *testing.T) {
			l, cc := listen(t, tr, ListenConfig{}, ClientConfig{})
			client, server := pair(t, l, cc)
			f, ok := server.NetConn().(*fdConn)
			if !ok {
				t.Fatalf("accepted connection is a %T, want an fdConn", server.NetConn())
			}
			if tr.network == "tcp" {
				if got, want := server.RemoteAddr(), client.NetConn().LocalAddr().String(); got != want {
					t.Fatalf("RemoteAddr %q, want the client's %q", got, want)
				}
				if got := f.Source(); got != "127.0.0.1" {
					t.Fatalf("Source %q, want 127.0.0.1", got)
				}
				for _, o := range []struct{ level, opt int }{
					{syscall.IPPROTO_TCP, syscall.TCP_NODELAY}, {syscall.SOL_SOCKET, syscall.SO_KEEPALIVE},
				} {
					var v int
					(*fdRaw)(f).Control(func(fd uintptr) { v, _ = syscall.GetsockoptInt(int(fd), o.level, o.opt) })
					if v == 0 {
						t.Fatalf("socket option %d/%d not set", o.level, o.opt)
					}
				}
			} else if got, want := f.Source(), "unix uid "; len(got) < len(want) || got[:len(want)] != want {
				t.Fatalf("Source %q, want the peer process's credentials", got)
			}
			got := readMessages(server, 1)
			if err := client.WriteMessages([][]byte{[]byte("ping")}); err != nil {
				t.Fatal(err)
			}
			expectMessages(t, got, [][]byte{[]byte("ping")})
			back := readMessages(client, 1)
			if err := server.WriteMessages([][]byte{[]byte("pong")}); err != nil {
				t.Fatal(err)
			}
			expectMessages(t, back, [][]byte{[]byte("pong")})
		})
	}
}

// TestFDListenerBadHandshake: on the accept4 path a request for a
// serializer not offered gets error reply 1, and a request without the
// magic octet is closed without a reply; neither reaches Accept.
func TestFDListenerBadHandshake(t *testing.T) {
	l, _ := listen(t, transports[0], ListenConfig{}, ClientConfig{})
	for _, c := range []struct {
		name      string
		req, want []byte
	}{
		{"serializer unsupported", []byte{0x7F, 0xF3, 0, 0}, []byte{0x7F, byte(CodeSerializerUnsupported) << 4, 0, 0}},
		{"bad magic", []byte{'G', 'E', 'T', ' '}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			nc, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := nc.Write(c.req); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(nc)
			if err != nil && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatal(err)
			}
			if string(got) != string(c.want) {
				t.Fatalf("reply % x, want % x", got, c.want)
			}
		})
	}
	waitStats(t, l, func(s ListenerStats) bool { return s.Accepted == 0 && s.HandshakeFailed == 2 && s.OpenConnections == 0 })
}

// waitStats waits (up to 5s) for l's counters to meet ok: they change
// once the server side is done, after the client has seen the outcome.
func waitStats(t *testing.T, l *Listener, ok func(ListenerStats) bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(l.Stats()); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v after 5s", l.Stats())
		}
	}
}

// TestFDListenerCloseRacesAccept: Close while Accept waits, and while
// clients connect, ends Accept with an error wrapping net.ErrClosed and
// leaves no descriptor behind.
func TestFDListenerCloseRacesAccept(t *testing.T) {
	before := openFDs(t)
	for i := range 20 {
		network, addr := "tcp", "127.0.0.1:0"
		if i%2 == 1 {
			network, addr = "unix", filepath.Join(t.TempDir(), "race.sock")
		}
		nl, err := net.Listen(network, addr)
		if err != nil {
			t.Fatal(err)
		}
		fl := FDListener(nl)
		if _, ok := fl.(*fdListener); !ok {
			t.Fatalf("FDListener(%T) = %T", nl, fl)
		}
		var wg sync.WaitGroup
		done := make(chan error, 1)
		go func() {
			for {
				c, err := fl.Accept()
				if err != nil {
					done <- err
					return
				}
				if _, ok := c.(*fdConn); !ok {
					t.Errorf("Accept returned a %T", c)
				}
				c.Close()
			}
		}()
		for range i % 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if c, err := net.Dial(network, nl.Addr().String()); err == nil {
					c.Close()
				}
			}()
		}
		time.Sleep(time.Duration(i%3) * time.Millisecond)
		if err := fl.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Accept after Close: %v, want net.ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Accept still waiting 5s after Close")
		}
		wg.Wait()
	}
	settleFDs(t, before)
}

// TestFDListenerNoLeak: connections that join and close, fail their
// handshake, are refused for the connection limit, or stay silent past
// the handshake timeout leave no descriptor open once the listener closes.
func TestFDListenerNoLeak(t *testing.T) {
	before := openFDs(t)
	lc := ListenConfig{MaxConnections: 4, ServerConfig: ServerConfig{HandshakeTimeout: 100 * time.Millisecond}}
	l, cc := listen(t, transports[0], lc, ClientConfig{})
	for range 5 {
		client, server := pair(t, l, cc)
		tryPark(t, server, true)
		client.Close()
		server.Close()
	}
	for range 3 {
		nc, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		nc.Write([]byte{0x7F, 0xF3, 0, 0})
		io.ReadAll(nc)
		nc.Close()
	}
	silent, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(silent); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("a silent client: %v, want closed after the handshake timeout", err)
	}
	silent.Close()
	waitStats(t, l, func(s ListenerStats) bool { return s.OpenConnections == 0 })
	var held []*Conn
	for range 4 {
		_, s := pair(t, l, cc)
		held = append(held, s)
	}
	if _, err := Dial(context.Background(), "tcp", l.Addr().String(), cc); !errors.Is(err, ErrConnectionLimit) {
		t.Fatalf("a fifth connection: %v, want ErrConnectionLimit", err)
	}
	for _, s := range held {
		s.Close()
	}
	l.Close()
	settleFDs(t, before+4) // the clients of held, closed at the test's end
}

// TestFDListenerIPv6: an IPv6 peer's address survives the fdConn's compact
// form.
func TestFDListenerIPv6(t *testing.T) {
	l, err := Listen("tcp6", "[::1]:0", ListenConfig{})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	client, server := pair(t, l, ClientConfig{Serializer: testMsgPack})
	if _, ok := server.NetConn().(*fdConn); !ok {
		t.Fatalf("accepted connection is a %T, want an fdConn", server.NetConn())
	}
	if got, want := server.RemoteAddr(), client.NetConn().LocalAddr().String(); got != want {
		t.Fatalf("RemoteAddr %q, want the client's %q", got, want)
	}
	if got := server.NetConn().(*fdConn).Source(); got != "::1" {
		t.Fatalf("Source %q, want ::1", got)
	}
}
