package serialtransport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// testCfg is a config with short timers (virtual time under synctest).
func testCfg(window int) Config {
	return Config{
		Window:            window,
		RetransmitTimeout: 50 * time.Millisecond,
		MaxRetries:        50,
		HandshakeRetry:    100 * time.Millisecond,
		KeepAlive:         time.Second,
	}
}

// linkPair links a device and a gateway over an in-memory line.
func linkPair(t *testing.T, ab, ba *lineFaults, dcfg, gcfg Config) (dev, gw *Conn, l *Listener) {
	t.Helper()
	a, b := newLine(ab, ba)
	return linkOver(t, a, b, dcfg, gcfg)
}

// linkOver links a device on a and a gateway on b.
func linkOver(t *testing.T, a, b *lineEnd, dcfg, gcfg Config) (dev, gw *Conn, l *Listener) {
	t.Helper()
	l = NewListener(b, gcfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type res struct {
		c   *Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := Client(ctx, a, dcfg)
		ch <- res{c, err}
	}()
	gw, err := l.Accept(ctx)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatalf("Client: %v", r.err)
	}
	t.Cleanup(func() {
		r.c.Close()
		l.Close()
	})
	return r.c, gw, l
}

// testMsg is message i from tag: varied sizes, with zero bytes in it.
func testMsg(tag byte, i int) []byte {
	b := fmt.Appendf(nil, "%c%06d", tag, i)
	return append(b, bytes.Repeat([]byte{0, byte(i), 0xFF}, i%97)...)
}

// exchange sends n messages each way at once and checks that each side
// receives every message exactly once, in order.
func exchange(t *testing.T, dev, gw *Conn, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	send := func(c *Conn, tag byte) {
		defer wg.Done()
		for i := 0; i < n; {
			batch := [][]byte{}
			for k := 0; k < 1+i%5 && i < n; k++ {
				batch = append(batch, testMsg(tag, i))
				i++
			}
			if err := c.WriteMessages(batch); err != nil {
				errs <- fmt.Errorf("%c: write: %w", tag, err)
				return
			}
		}
	}
	recv := func(c *Conn, tag byte) {
		defer wg.Done()
		for i := range n {
			m, err := c.ReadMessage()
			if err != nil {
				errs <- fmt.Errorf("%c: read %d: %w", tag, i, err)
				return
			}
			if want := testMsg(tag, i); !bytes.Equal(m, want) {
				errs <- fmt.Errorf("%c: message %d = %q, want %q", tag, i, m, want)
				return
			}
		}
	}
	wg.Add(4)
	go send(dev, 'd')
	go send(gw, 'g')
	go recv(gw, 'd')
	go recv(dev, 'g')
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestLinkCleanLine(t *testing.T) {
	for _, w := range []int{1, 8} {
		t.Run(fmt.Sprintf("window%d", w), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dev, gw, l := linkPair(t, nil, nil, testCfg(w), testCfg(16))
				if dev.Window() != w || gw.Window() != w {
					t.Fatalf("windows %d/%d, want %d", dev.Window(), gw.Window(), w)
				}
				if dev.Serializer() != wamp.MsgPack || gw.Serializer() != wamp.MsgPack {
					t.Fatal("serializer not MessagePack")
				}
				exchange(t, dev, gw, 200)
				st := l.Stats()
				if st.Retransmissions != 0 || st.CRCErrors != 0 || st.Duplicates != 0 || st.Handshakes != 1 {
					t.Errorf("clean line stats: %+v", st)
				}
			})
		})
	}
}

func TestLinkLossyLine(t *testing.T) {
	noise := func(seed int64) *lineFaults {
		return &lineFaults{DropWrite: 0.05, DupWrite: 0.05, FlipByte: 0.0005, DropByte: 0.0005, Seed: seed}
	}
	for _, w := range []int{1, 8} {
		t.Run(fmt.Sprintf("window%d", w), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dev, gw, l := linkPair(t, noise(1), noise(2), testCfg(w), testCfg(w))
				exchange(t, dev, gw, 300)
				gs, ds := l.Stats(), dev.Stats()
				t.Logf("gateway %+v", gs)
				t.Logf("device  %+v", ds)
				if gs.Retransmissions+ds.Retransmissions == 0 {
					t.Error("no retransmission on a lossy line")
				}
				if gs.Duplicates+ds.Duplicates == 0 {
					t.Error("no duplicate on a line that duplicates")
				}
				if gs.CRCErrors+gs.COBSErrors+ds.CRCErrors+ds.COBSErrors == 0 {
					t.Error("no damaged frame on a noisy line")
				}
			})
		})
	}
}

// TestLinkBackpressure runs both directions at once over a line that holds
// one write per direction, with loss (so duplicates are re-acknowledged and
// PINGs answered by the readers): the readers must keep draining the line
// while both writers are blocked, or the link deadlocks.
func TestLinkBackpressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		noise := &lineFaults{DropWrite: 0.02, DupWrite: 0.05, Seed: 3}
		noise2 := *noise
		noise2.Seed = 4
		a, b := newLineCap(noise, &noise2, 1)
		cfg := testCfg(16)
		cfg.KeepAlive = 20 * time.Millisecond // PINGs all the time
		cfg.KeepAliveTimeout = time.Minute
		cfg.MaxMessageSize = 4096
		dev, gw, _ := linkOver(t, a, b, cfg, cfg)
		exchange(t, dev, gw, 300)
	})
}

func TestLinkMessageTooLarge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dcfg := testCfg(1)
		dcfg.MaxMessageSize = 4000 // rounded up to 4 KiB
		dev, gw, _ := linkPair(t, nil, nil, dcfg, testCfg(1))
		if dev.MaxMessageSize() != 1024 || gw.MaxMessageSize() != 4096 || dev.LocalMaxMessageSize() != 4096 {
			t.Fatalf("limits: device sends %d, gateway sends %d, device accepts %d", dev.MaxMessageSize(), gw.MaxMessageSize(), dev.LocalMaxMessageSize())
		}
		err := dev.WriteMessages([][]byte{{1}, make([]byte, 1025)})
		if !errors.Is(err, ErrMessageTooLarge) {
			t.Fatalf("WriteMessages(1025 bytes) = %v", err)
		}
		big := bytes.Repeat([]byte{0}, 4096)
		if err := gw.WriteMessages([][]byte{big}); err != nil {
			t.Fatal(err)
		}
		m, err := dev.ReadMessage()
		if err != nil || !bytes.Equal(m, big) {
			t.Fatalf("ReadMessage: %d bytes, %v", len(m), err)
		}
	})
}

func TestLinkWriteDeadlineWindowFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testCfg(2)
		cfg.KeepAlive = -1
		cfg.MaxRetries = 1000
		dev, gw, _ := linkPair(t, nil, nil, cfg, cfg)
		// nobody reads on the gateway: two messages fill the window
		if err := dev.WriteMessages([][]byte{{1}, {2}}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		dev.SetWriteDeadline(start.Add(time.Second))
		err := dev.WriteMessages([][]byte{{3}})
		if !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) != time.Second {
			t.Fatalf("WriteMessages on a full window = %v after %v", err, time.Since(start))
		}
		// reading frees the window
		dev.SetWriteDeadline(time.Time{})
		done := make(chan error)
		go func() { done <- dev.WriteMessages([][]byte{{3}}) }()
		for i := range 3 {
			m, err := gw.ReadMessage()
			if err != nil || m[0] != byte(i+1) {
				t.Fatalf("read %d: %v %v", i, m, err)
			}
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func TestLinkReadDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dev, _, _ := linkPair(t, nil, nil, testCfg(1), testCfg(1))
		start := time.Now()
		dev.SetReadDeadline(start.Add(300 * time.Millisecond))
		_, err := dev.ReadMessage()
		if !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) != 300*time.Millisecond {
			t.Fatalf("ReadMessage = %v after %v", err, time.Since(start))
		}
		// a deadline moved while blocked takes effect
		dev.SetReadDeadline(time.Time{})
		go func() {
			time.Sleep(100 * time.Millisecond)
			dev.SetReadDeadline(time.Now())
		}()
		if _, err := dev.ReadMessage(); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("ReadMessage = %v", err)
		}
	})
}

func TestLinkCloseResetsPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dev, gw, l := linkPair(t, nil, nil, testCfg(4), testCfg(4))
		gw.Close()
		if _, err := dev.ReadMessage(); !errors.Is(err, ErrLinkReset) {
			t.Fatalf("device ReadMessage after the gateway closed = %v", err)
		}
		if _, err := gw.ReadMessage(); !errors.Is(err, ErrClosed) {
			t.Fatalf("gateway ReadMessage after Close = %v", err)
		}
		if err := gw.WriteMessages([][]byte{{1}}); !errors.Is(err, ErrClosed) {
			t.Fatalf("WriteMessages after Close = %v", err)
		}
		if l.Stats().Handshakes != 1 {
			t.Fatal("handshakes")
		}
	})
}

func TestLinkDeviceCloseEndsGatewayLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dev, gw, _ := linkPair(t, nil, nil, testCfg(4), testCfg(4))
		dev.Close()
		if _, err := gw.ReadMessage(); !errors.Is(err, ErrLinkReset) {
			t.Fatalf("gateway ReadMessage after the device closed = %v", err)
		}
		dev.Close() // idempotent
	})
}

func TestLinkKeepAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testCfg(1)
		dev, gw, l := linkPair(t, nil, nil, cfg, cfg)
		// idle but both alive: PINGs keep the link up
		time.Sleep(10 * cfg.KeepAlive)
		if dev.Err() != nil || gw.Err() != nil {
			t.Fatalf("idle link died: %v / %v", dev.Err(), gw.Err())
		}
		if st := l.Stats(); st.FramesIn < 5 {
			t.Fatalf("no keepalive traffic: %+v", st)
		}
	})
}

func TestLinkHandshakeRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := newLine(nil, nil)
		gwSide := newScript(t, b)
		done := make(chan error, 1)
		go func() {
			_, err := Client(context.Background(), a, testCfg(1))
			done <- err
		}()
		p := gwSide.expect(TypeHello)
		h, _ := parseHello(p[1:], false)
		gwSide.send(appendHelloAck(nil, 1, 2, CodeSerializerUnsupported, 0, 0, h.id))
		err := <-done
		var he *HandshakeError
		if !errors.As(err, &he) || he.Code != CodeSerializerUnsupported || !errors.Is(err, ErrSerializerUnsupported) {
			t.Fatalf("Client = %v", err)
		}
		b.Close()
	})
}

func TestLinkHandshakeTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := newLine(nil, nil)
		defer b.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		// nobody answers: HELLO is repeated every HandshakeRetry until ctx ends
		var hellos int
		counted := make(chan struct{})
		go func() {
			defer close(counted)
			d := NewFrameDecoder(64)
			buf := make([]byte, 64)
			for {
				n, err := b.Read(buf)
				got, _ := decodeAll(d, buf[:n])
				hellos += len(got)
				if err != nil {
					return
				}
			}
		}()
		_, err := Client(ctx, a, testCfg(1))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Client = %v", err)
		}
		b.Close()
		<-counted
		if hellos < 19 || hellos > 21 {
			t.Fatalf("%d HELLOs in 2s at 100ms", hellos)
		}
	})
}

func TestListenerCloseResetsDevice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dev, _, l := linkPair(t, nil, nil, testCfg(1), testCfg(1))
		l.Close()
		if _, err := dev.ReadMessage(); !errors.Is(err, ErrLinkReset) {
			t.Fatalf("device ReadMessage after the gateway closed its line = %v", err)
		}
		if _, err := l.Accept(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Accept after Close = %v", err)
		}
	})
}

// TestLineRate measures, in virtual time on a line paced at 115200 baud
// 8N1, how many 64-byte messages per second one direction carries with
// window 1 and 8, against the line's raw 11,520 bytes/s.
func TestLineRate(t *testing.T) {
	const rate, size, n = 11520, 64, 500
	for _, w := range []int{1, 8} {
		t.Run(fmt.Sprintf("window%d", w), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				paced := func() *lineFaults { return &lineFaults{BytesPerSec: rate} }
				cfg := testCfg(w)
				cfg.RetransmitTimeout = 200 * time.Millisecond // a 1 KiB frame takes 90 ms
				dev, gw, l := linkPair(t, paced(), paced(), cfg, cfg)
				msg := bytes.Repeat([]byte{0x42}, size)
				start := time.Now()
				go func() {
					for range n {
						if err := dev.WriteMessages([][]byte{msg}); err != nil {
							t.Error(err)
							return
						}
					}
				}()
				for range n {
					if _, err := gw.ReadMessage(); err != nil {
						t.Fatal(err)
					}
				}
				el := time.Since(start)
				perSec := float64(n) / el.Seconds()
				st := l.Stats()
				t.Logf("window %d: %.0f msg/s, %.0f payload B/s = %.0f%% of the line; %d bytes on the wire per message, retransmissions %d",
					w, perSec, perSec*size, 100*perSec*size/rate, dev.Stats().BytesOut/uint64(n), st.Retransmissions+dev.Stats().Retransmissions)
				if st.Retransmissions+dev.Stats().Retransmissions != 0 {
					t.Error("retransmissions on a clean paced line")
				}
				if perSec*size < 0.5*rate {
					t.Errorf("%.0f payload B/s: under half the line rate", perSec*size)
				}
			})
		})
	}
}
