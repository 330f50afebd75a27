package serialtransport

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// script plays one side of the line frame by frame, the way a
// microcontroller does: send writes a frame, expect waits for the next one
// of a type (skipping PINGs, which it counts).
type script struct {
	t      *testing.T
	end    *lineEnd
	frames chan []byte
	pings  int
}

func newScript(t *testing.T, end *lineEnd) *script {
	s := &script{t: t, end: end, frames: make(chan []byte, 1024)}
	t.Cleanup(func() { end.Close() })
	go func() {
		defer close(s.frames)
		d := NewFrameDecoder(4096)
		buf := make([]byte, 256)
		for {
			n, err := end.Read(buf)
			got, _ := decodeAll(d, buf[:n])
			for _, p := range got {
				s.frames <- p
			}
			if err != nil {
				return
			}
		}
	}()
	return s
}

func (s *script) send(payload []byte) {
	s.t.Helper()
	if _, err := s.end.Write(AppendFrame(nil, payload)); err != nil {
		s.t.Fatal(err)
	}
}

// expect returns the next frame of type want, failing on any other type
// but PING.
func (s *script) expect(want FrameType) []byte {
	s.t.Helper()
	for {
		select {
		case p, ok := <-s.frames:
			if !ok {
				s.t.Fatalf("line closed, expected %v", want)
			}
			if FrameType(p[0]) == TypePing && want != TypePing {
				s.pings++
				continue
			}
			if FrameType(p[0]) != want {
				s.t.Fatalf("got %v frame % x, expected %v", FrameType(p[0]), p, want)
			}
			return p
		case <-time.After(time.Minute):
			s.t.Fatalf("no %v frame within a minute", want)
		}
	}
}

// hello performs a device handshake as a microcontroller would.
func (s *script) hello(id uint32, window uint8) (gwID uint32) {
	s.t.Helper()
	s.send(appendHello(nil, 1, 2, window, id))
	p := s.expect(TypeHelloAck)
	h, ok := parseHello(p[1:], true)
	if !ok || h.echo != id || h.rs != [4]byte{0x7f, 0x12, 0, 0} {
		s.t.Fatalf("HELLO-ACK % x", p)
	}
	return h.id
}

func TestGatewayRestartDetection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := newLine(nil, nil)
		l := NewListener(b, testCfg(8))
		defer l.Close()
		mcu := newScript(t, a)
		ctx := context.Background()

		gid := mcu.hello(0x11111111, 1)
		c1, err := l.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c1.Window() != 1 {
			t.Fatalf("window %d, want 1", c1.Window())
		}
		// a repeated HELLO (our HELLO-ACK was lost) gets the same answer
		if again := mcu.hello(0x11111111, 1); again != gid {
			t.Fatalf("repeated HELLO answered with link id %08x, then %08x", gid, again)
		}
		mcu.send([]byte{byte(TypeData), 0, 'h', 'i'})
		m, err := c1.ReadMessage()
		if err != nil || string(m) != "hi" {
			t.Fatalf("ReadMessage = %q, %v", m, err)
		}
		if p := mcu.expect(TypeAck); !bytes.Equal(p, []byte{4, 0}) {
			t.Fatalf("ACK % x", p)
		}
		// the MCU resets: a new link id
		mcu.hello(0x22222222, 1)
		if _, err := c1.ReadMessage(); !errors.Is(err, ErrPeerRestarted) {
			t.Fatalf("old link ReadMessage = %v, want ErrPeerRestarted", err)
		}
		c2, err := l.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, peer := c2.LinkIDs(); peer != 0x22222222 {
			t.Fatalf("new link's peer id %08x", peer)
		}
		// sequence numbers start again at 0
		mcu.send([]byte{byte(TypeData), 0, 'y', 'o'})
		if m, err := c2.ReadMessage(); err != nil || string(m) != "yo" {
			t.Fatalf("new link ReadMessage = %q, %v", m, err)
		}
		mcu.expect(TypeAck)
		if st := l.Stats(); st.Restarts != 1 || st.Handshakes != 2 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestGatewayDuplicatesAndOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := newLine(nil, nil)
		l := NewListener(b, testCfg(8))
		defer l.Close()
		mcu := newScript(t, a)
		mcu.hello(7, 4)
		c, _ := l.Accept(context.Background())
		mcu.send([]byte{3, 0, 'a'})
		mcu.send([]byte{3, 0, 'a'}) // duplicate, not yet read
		mcu.send([]byte{3, 2, 'c'}) // after a gap: discarded
		mcu.send([]byte{3, 1, 'b'})
		for _, want := range []string{"a", "b"} {
			m, err := c.ReadMessage()
			if err != nil || string(m) != want {
				t.Fatalf("ReadMessage = %q, %v; want %q", m, err, want)
			}
			mcu.expect(TypeAck)
		}
		mcu.send([]byte{3, 1, 'b'}) // duplicate after it was read: ACKed again
		if p := mcu.expect(TypeAck); p[1] != 1 {
			t.Fatalf("re-ACK % x", p)
		}
		st := l.Stats()
		if st.Duplicates != 2 || st.OutOfOrder != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestGatewayWindowAndRetransmit(t *testing.T) {
	for _, w := range []uint8{1, 8} {
		t.Run(string('0'+rune(w)), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a, b := newLine(nil, nil)
				cfg := testCfg(8)
				cfg.KeepAlive = -1
				cfg.MaxRetries = 3
				l := NewListener(b, cfg)
				defer l.Close()
				mcu := newScript(t, a)
				mcu.hello(9, w)
				c, _ := l.Accept(context.Background())
				msgs := make([][]byte, 10)
				for i := range msgs {
					msgs[i] = []byte{byte(i)}
				}
				done := make(chan error, 1)
				go func() { done <- c.WriteMessages(msgs) }()
				// exactly w DATA frames come before any retransmission
				for i := range int(w) {
					p := mcu.expect(TypeData)
					if p[1] != byte(i) || p[2] != byte(i) {
						t.Fatalf("DATA % x, want seq %d", p, i)
					}
				}
				synctest.Wait()
				start := time.Now()
				p := mcu.expect(TypeData) // the first retransmission
				if p[1] != 0 || time.Since(start) != cfg.RetransmitTimeout {
					t.Fatalf("after the window: DATA % x after %v", p, time.Since(start))
				}
				// ACK everything as it comes; the writer finishes
				mcu.send([]byte{byte(TypeAck), w - 1})
				for i := int(w); i < len(msgs); i++ {
					p := mcu.expect(TypeData)
					for p[1] != byte(i) { // skip retransmissions of earlier ones
						p = mcu.expect(TypeData)
					}
					mcu.send([]byte{byte(TypeAck), byte(i)})
				}
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				// unacknowledged: declared dead after MaxRetries
				c.WriteMessages([][]byte{{0xEE}})
				<-c.Done()
				if !errors.Is(c.Err(), ErrLinkDead) {
					t.Fatalf("Err = %v", c.Err())
				}
				if l.Stats().Retransmissions < 3 {
					t.Fatalf("stats %+v", l.Stats())
				}
			})
		})
	}
}

func TestGatewayKeepAliveDeath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := newLine(nil, nil)
		cfg := testCfg(1)
		cfg.KeepAlive = time.Second
		cfg.KeepAliveTimeout = 3500 * time.Millisecond
		l := NewListener(b, cfg)
		defer l.Close()
		mcu := newScript(t, a)
		mcu.hello(5, 1)
		c, _ := l.Accept(context.Background())
		start := time.Now()
		// the MCU answers one PING, then goes silent
		p := mcu.expect(TypePing)
		if time.Since(start) != time.Second {
			t.Fatalf("first PING after %v", time.Since(start))
		}
		p[0] = byte(TypePong)
		mcu.send(p)
		_, err := c.ReadMessage()
		if !errors.Is(err, ErrLinkDead) || time.Since(start) != time.Second+cfg.KeepAliveTimeout {
			t.Fatalf("ReadMessage = %v after %v", err, time.Since(start))
		}
	})
}

func TestGatewayAnswersPingAndUnknownLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := newLine(nil, nil)
		l := NewListener(b, testCfg(1))
		defer l.Close()
		mcu := newScript(t, a)
		// no link: DATA gets RESET "unknown link"
		mcu.send([]byte{3, 0, 'x'})
		if p := mcu.expect(TypeReset); !bytes.Equal(p, []byte{7, 1}) {
			t.Fatalf("RESET % x", p)
		}
		mcu.hello(1, 1)
		mcu.send([]byte{5, 'a', 0, 'b'})
		if p := mcu.expect(TypePong); !bytes.Equal(p, []byte{6, 'a', 0, 'b'}) {
			t.Fatalf("PONG % x", p)
		}
		// garbage, an oversize run and unknown types are counted and do
		// not hurt the link
		a.Write([]byte("\x00noise\xff\x00"))
		a.Write(bytes.Repeat([]byte{0x55}, 5000))
		a.Write([]byte{0})
		mcu.send([]byte{0x42, 1, 2})
		mcu.send([]byte{5})
		mcu.expect(TypePong)
		st := l.Stats()
		if st.Unknown != 1 || st.CRCErrors+st.COBSErrors != 1 || st.Oversize != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestDeviceSeesGatewayRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := newLine(nil, nil)
		gw := newScript(t, b)
		type res struct {
			c   *Conn
			err error
		}
		ch := make(chan res, 1)
		go func() {
			c, err := Client(context.Background(), a, testCfg(4))
			ch <- res{c, err}
		}()
		p := gw.expect(TypeHello)
		h, _ := parseHello(p[1:], false)
		if h.window != 4 || h.rs != [4]byte{0x7f, 0x12, 0, 0} {
			t.Fatalf("HELLO % x", p)
		}
		gw.send(appendHelloAck(nil, 1, 2, 0, 2, 0xAB, h.id+1)) // not ours: ignored
		gw.send(appendHelloAck(nil, 1, 2, 0, 2, 0xAB, h.id))
		r := <-ch
		if r.err != nil {
			t.Fatal(r.err)
		}
		c := r.c
		defer c.Close()
		if c.Window() != 2 {
			t.Fatalf("window %d", c.Window())
		}
		gw.send([]byte{byte(TypeReset), resetUnknownLink})
		if _, err := c.ReadMessage(); !errors.Is(err, ErrPeerRestarted) {
			t.Fatalf("ReadMessage = %v", err)
		}
		if err := c.WriteMessages([][]byte{{1}}); !errors.Is(err, ErrPeerRestarted) {
			t.Fatalf("WriteMessages = %v", err)
		}
	})
}

func TestDeviceKeepAliveDeath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := newLine(nil, nil)
		gw := newScript(t, b)
		cfg := testCfg(1)
		cfg.KeepAlive = 500 * time.Millisecond
		cfg.KeepAliveTimeout = 2 * time.Second
		ch := make(chan *Conn, 1)
		go func() {
			c, err := Client(context.Background(), a, cfg)
			if err != nil {
				t.Error(err)
			}
			ch <- c
		}()
		p := gw.expect(TypeHello)
		h, _ := parseHello(p[1:], false)
		gw.send(appendHelloAck(nil, 1, 2, 0, 1, 0xAB, h.id))
		c := <-ch
		if c == nil {
			t.FailNow()
		}
		defer c.Close()
		start := time.Now()
		// the gateway never answers: PINGs every KeepAlive, then death
		_, err := c.ReadMessage()
		if !errors.Is(err, ErrLinkDead) || time.Since(start) != cfg.KeepAliveTimeout {
			t.Fatalf("ReadMessage = %v after %v", err, time.Since(start))
		}
		if p := gw.expect(TypeReset); p[1] != resetClosed { // the device says goodbye
			t.Fatalf("RESET % x", p)
		}
		if gw.pings != 3 { // at 0.5, 1 and 1.5 s
			t.Fatalf("%d PINGs in %v at %v", gw.pings, cfg.KeepAliveTimeout, cfg.KeepAlive)
		}
	})
}
