//go:build linux

package serialtransport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/internal/ptytest"
	"github.com/edgewamp/edgewamp/wamp"
)

// openPTY opens a pty pair closed at the end of the test.
func openPTY(t *testing.T) *ptytest.PTY {
	t.Helper()
	p, err := ptytest.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// portOpeners are the serial port implementations the port tests run
// against: OpenPort (go.bug.st/serial, or termios in an edgewamp_termios
// build) and, on Linux, openTermios (port_termios_test.go adds it).
var portOpeners = []struct {
	name string
	open func(path string, baud int) (Port, error)
}{{"OpenPort", OpenPort}}

// eachOpener runs f as a subtest per implementation.
func eachOpener(t *testing.T, f func(t *testing.T, open func(string, int) (Port, error))) {
	for _, o := range portOpeners {
		t.Run(o.name, func(t *testing.T) { f(t, o.open) })
	}
}

func TestOpenPortQuirks(t *testing.T) {
	eachOpener(t, testOpenPortQuirks)
}

func testOpenPortQuirks(t *testing.T, open func(string, int) (Port, error)) {
	p := openPTY(t)
	port, err := open(p.SlavePath, 115200)
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	dl := port.(interface{ SetReadDeadline(time.Time) error })

	// a timeout is an error, not (0, nil)
	start := time.Now()
	dl.SetReadDeadline(start.Add(50 * time.Millisecond))
	n, err := port.Read(make([]byte, 8))
	if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline = %d, %v", n, err)
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > 5*time.Second {
		t.Fatalf("deadline read took %v", d)
	}
	// data arrives
	dl.SetReadDeadline(time.Now().Add(5 * time.Second))
	p.Master.Write([]byte{0, 1, 0x7f, 0xff})
	got := make([]byte, 4)
	if _, err := io.ReadFull(port, got); err != nil || !bytes.Equal(got, []byte{0, 1, 0x7f, 0xff}) {
		t.Fatalf("Read = % x, %v", got, err)
	}
	// Close unblocks a pending Read, which reports os.ErrClosed
	dl.SetReadDeadline(time.Time{})
	errc := make(chan error, 1)
	go func() {
		_, err := port.Read(make([]byte, 8))
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond) // let Read block (no way to observe it)
	port.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Read after Close = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock Read")
	}
}

func TestOpenPortErrors(t *testing.T) {
	eachOpener(t, testOpenPortErrors)
}

func testOpenPortErrors(t *testing.T, open func(string, int) (Port, error)) {
	_, err := open("/dev/does-not-exist-serialtransport", 0)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("open(missing) = %v", err)
	}
	// not a tty
	regular := filepath.Join(t.TempDir(), "regular")
	if err := os.WriteFile(regular, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if port, err := open(regular, 0); err == nil {
		port.Close()
		t.Fatal("open(a regular file) succeeded")
	}
	// hangup: the master goes away, Read fails instead of spinning
	p := openPTY(t)
	port, err := open(p.SlavePath, 9600)
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	p.Close()
	errc := make(chan error, 1)
	go func() {
		_, err := port.Read(make([]byte, 8))
		errc <- err
	}()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("Read after hangup succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read after hangup blocked")
	}
}

// wamp messages carried in the pty tests
func wampMsgs(t *testing.T, s wamp.Serializer, from string, n int) [][]byte {
	t.Helper()
	var out [][]byte
	for i := range n {
		m := &wamp.Publish{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Topic: wamp.URI("sensor." + from),
			Payload: wamp.Payload{Args: wamp.List{int64(i), "T:21.50", []byte{0, 1, 2, 0}}}}
		b, err := s.AppendMessage(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// carry sends msgs from a to b and back (b's own), checking what arrives.
func carry(t *testing.T, a, b *Conn, n int) {
	t.Helper()
	am, bm := wampMsgs(t, a.Serializer(), "a", n), wampMsgs(t, b.Serializer(), "b", n)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, d := range []struct {
		from, to *Conn
		msgs     [][]byte
	}{{a, b, am}, {b, a, bm}} {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for _, m := range d.msgs {
				if err := d.from.WriteMessages([][]byte{m}); err != nil {
					errs <- err
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			d.to.SetReadDeadline(time.Now().Add(60 * time.Second))
			for i, want := range d.msgs {
				got, err := d.to.ReadMessage()
				if err != nil {
					errs <- fmt.Errorf("message %d: %w", i, err)
					return
				}
				if !bytes.Equal(got, want) {
					errs <- fmt.Errorf("message %d differs", i)
					return
				}
				if _, err := d.to.Serializer().DecodeMessage(got); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// dialPTY links a device on the slave (opened with go.bug.st/serial through
// Dial) to a gateway on the master.
func dialPTY(t *testing.T, query string, gcfg Config) (dev, gw *Conn, l *Listener) {
	t.Helper()
	p := openPTY(t)
	l = NewListener(p.Master, gcfg)
	t.Cleanup(func() { l.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	devc := make(chan *Conn, 1)
	go func() {
		c, err := Dial(ctx, "serial://"+p.SlavePath+"?baud=115200"+query, Config{})
		if err != nil {
			t.Error(err)
		}
		devc <- c
	}()
	gw, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dev = <-devc
	if dev == nil {
		t.FailNow()
	}
	t.Cleanup(func() { dev.Close() })
	return dev, gw, l
}

// noLeak fails the test when goroutines started during it outlive it.
func noLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Errorf("%d goroutines left (had %d):\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(10 * time.Millisecond) // polling for exits: nothing to wait on
		}
	})
}

func TestPTYLink(t *testing.T) {
	noLeak(t)
	for _, q := range []string{"&window=1", "&window=8&serializer=json", "&maxlen=65536"} {
		t.Run(q[1:], func(t *testing.T) {
			dev, gw, l := dialPTY(t, q, Config{MaxMessageSize: 1 << 16})
			if dev.RemoteAddr() == "" || gw.Serializer() != dev.Serializer() {
				t.Fatal("link not set up")
			}
			carry(t, dev, gw, 100)
			if st := l.Stats(); st.CRCErrors+st.COBSErrors+st.Retransmissions != 0 {
				t.Errorf("clean pty: %+v", st)
			}
		})
	}
}

// wire joins two pty masters like a serial cable: each direction paced at
// bytesPerSec (0: unpaced) and, when flip > 0, with random bit flips.
func wire(t *testing.T, a, b *os.File, bytesPerSec int, flip float64, seed int64) {
	t.Helper()
	var wg sync.WaitGroup
	pump := func(src, dst *os.File, seed int64) {
		defer wg.Done()
		rng := rand.New(rand.NewSource(seed))
		buf := make([]byte, 64)
		for {
			n, err := src.Read(buf)
			for i := range buf[:n] {
				if rng.Float64() < flip {
					buf[i] ^= 1 << rng.Intn(8)
				}
			}
			if bytesPerSec > 0 && n > 0 {
				time.Sleep(time.Duration(n) * time.Second / time.Duration(bytesPerSec))
			}
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	wg.Add(2)
	go pump(a, b, seed)
	go pump(b, a, seed+1)
	t.Cleanup(func() {
		a.Close()
		b.Close()
		wg.Wait()
	})
}

func TestPTYWireNoisyPaced(t *testing.T) {
	if testing.Short() {
		t.Skip("paced line: seconds")
	}
	p1, p2 := openPTY(t), openPTY(t)
	wire(t, p1.Master, p2.Master, 11520, 1e-3, 42) // 115200 8N1
	l, err := Listen("serial://"+p2.SlavePath+"?baud=115200", Config{RetransmitTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	devc := make(chan *Conn, 1)
	go func() {
		c, err := Dial(ctx, "serial://"+p1.SlavePath+"?baud=115200&window=4", Config{RetransmitTimeout: 100 * time.Millisecond})
		if err != nil {
			t.Error(err)
		}
		devc <- c
	}()
	gw, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dev := <-devc
	if dev == nil {
		t.FailNow()
	}
	defer dev.Close()
	start := time.Now()
	carry(t, dev, gw, 100)
	if st := l.Stats(); st.CRCErrors+st.COBSErrors == 0 && dev.Stats().CRCErrors+dev.Stats().COBSErrors == 0 {
		t.Error("no damaged frame on a noisy line")
	}
	t.Logf("200 messages over a paced noisy 115200 line in %v; gateway %+v; device %+v", time.Since(start), l.Stats(), dev.Stats())
}
