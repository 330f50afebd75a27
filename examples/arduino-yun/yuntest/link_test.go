package yuntest

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/serialtransport"
	"github.com/edgewamp/edgewamp/wamp"
)

// rawLine plays the gateway frame by frame on the firmware's pty, to check
// the sketch's link layer against serialtransport's specification.
type rawLine struct {
	t      *testing.T
	port   io.ReadWriteCloser
	frames chan []byte
}

func openRawLine(t *testing.T, pty string) *rawLine {
	t.Helper()
	port, err := serialtransport.OpenPort(pty, 250000)
	if err != nil {
		t.Fatal(err)
	}
	l := &rawLine{t: t, port: port, frames: make(chan []byte, 256)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d := serialtransport.NewFrameDecoder(2048)
		buf := make([]byte, 512)
		var raw []byte // the frame being received, as sent
		for {
			n, err := port.Read(buf)
			for _, b := range buf[:n] {
				raw = append(raw, b)
				if b != 0 {
					continue
				}
				if len(raw) > 1 { // not the lone 0x00 sent before HELLO
					payload, _, ferr := d.Next(raw)
					if ferr != nil || payload == nil {
						t.Errorf("firmware sent a bad frame % x: %v", raw, ferr)
					} else if want := serialtransport.AppendFrame(nil, payload); !bytes.Equal(raw, want) {
						// the same bytes as the Go encoder: canonical COBS, big-endian CRC
						t.Errorf("firmware frame % x, Go encodes its payload as % x", raw, want)
					} else {
						l.frames <- bytes.Clone(payload)
					}
				}
				raw = raw[:0]
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { port.Close(); <-done })
	return l
}

func (l *rawLine) send(payload []byte) {
	l.t.Helper()
	if _, err := l.port.Write(serialtransport.AppendFrame(nil, payload)); err != nil {
		l.t.Fatal(err)
	}
}

func (l *rawLine) sendMessage(seq byte, m wamp.Message) {
	l.t.Helper()
	b, err := wamp.MsgPack.AppendMessage([]byte{3, seq}, m)
	if err != nil {
		l.t.Fatal(err)
	}
	l.send(b)
}

// next returns the next frame, skipping the firmware's keepalive PINGs.
func (l *rawLine) next(d time.Duration) []byte {
	l.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case p := <-l.frames:
			if p[0] == byte(serialtransport.TypePing) {
				continue
			}
			return p
		case <-deadline:
			l.t.Fatalf("no frame from the firmware within %v", d)
			return nil
		}
	}
}

// nextSkipping returns the next frame not of type skip (nor a PING).
func (l *rawLine) nextSkipping(d time.Duration, skip serialtransport.FrameType) []byte {
	l.t.Helper()
	for {
		if p := l.next(d); serialtransport.FrameType(p[0]) != skip {
			return p
		}
	}
}

// nextSkippingData returns the next frame that is not DATA seq (a
// retransmission), a HELLO or a PING.
func (l *rawLine) nextSkippingData(d time.Duration, seq byte) []byte {
	l.t.Helper()
	for {
		p := l.nextSkipping(d, serialtransport.TypeHello)
		if !(p[0] == byte(serialtransport.TypeData) && len(p) > 1 && p[1] == seq) {
			return p
		}
	}
}

// expect returns the next frame, which must be of type typ.
func (l *rawLine) expect(typ serialtransport.FrameType, d time.Duration) []byte {
	l.t.Helper()
	p := l.next(d)
	if serialtransport.FrameType(p[0]) != typ {
		l.t.Fatalf("got %v frame % x, want %v", serialtransport.FrameType(p[0]), p, typ)
	}
	return p
}

func (l *rawLine) expectMessage(seq byte, d time.Duration) wamp.Message {
	l.t.Helper()
	p := l.expect(serialtransport.TypeData, d)
	if p[1] != seq {
		l.t.Fatalf("DATA seq %d, want %d", p[1], seq)
	}
	m, err := wamp.MsgPack.DecodeMessage(p[2:])
	if err != nil {
		l.t.Fatalf("DATA %d: %v (% x)", seq, err, p[2:])
	}
	return m
}

// expectHello checks a HELLO frame (MessagePack, 512 B, window 1) and
// returns its link id.
func (l *rawLine) expectHello(d time.Duration) uint32 {
	l.t.Helper()
	p := l.expect(serialtransport.TypeHello, d)
	if len(p) != 10 || !bytes.Equal(p[1:6], []byte{0x7f, 0x02, 0, 0, 1}) {
		l.t.Fatalf("HELLO % x, want 01 7f 02 00 00 01 <id>", p)
	}
	id := binary.BigEndian.Uint32(p[6:])
	if id == 0 {
		l.t.Fatal("HELLO with link id 0")
	}
	return id
}

func helloAck(gw, dev uint32) []byte {
	p := []byte{2, 0x7f, 0x02, 0, 0, 1}
	p = binary.BigEndian.AppendUint32(p, gw)
	return binary.BigEndian.AppendUint32(p, dev)
}

// TestFirmwareLinkConversation plays the gateway's side of the serial link
// against the firmware: HELLO repetition, resynchronisation after garbage
// and a corrupt frame, retransmission of an unacknowledged DATA, PING/PONG,
// duplicate DATA answered by the last ACK, window 1, and a new link id after
// a RESET.
func TestFirmwareLinkConversation(t *testing.T) {
	requireTools(t)
	elf, harness := build(t)
	s := startSim(t, harness, elf, 750)
	l := openRawLine(t, s.pty)
	const wait = 5 * time.Second

	id := l.expectHello(wait)
	if again := l.expectHello(2 * time.Second); again != id {
		t.Fatalf("repeated HELLO changed link id: %08x then %08x", id, again)
	}
	// garbage, a frame with a bad CRC, then the answer
	l.port.Write([]byte{0x13, 0x37, 0xff, 0x00, 0x55, 0x00})
	bad := serialtransport.AppendFrame(nil, helloAck(0x9abcdef0, id))
	bad[3] ^= 0x40
	l.port.Write(bad)
	l.send(helloAck(0x9abcdef0, id))

	// the WAMP HELLO (HELLOs sent before our answer arrived may come first),
	// sent again while unacknowledged
	first := l.nextSkipping(wait, serialtransport.TypeHello)
	if !bytes.HasPrefix(first, []byte{3, 0}) {
		t.Fatalf("got % x, want DATA 0", first)
	}
	m, err := wamp.MsgPack.DecodeMessage(first[2:])
	if h, ok := m.(*wamp.Hello); err != nil || !ok || h.Realm != "realm1" {
		t.Fatalf("first message %#v (%v), want HELLO realm1", m, err)
	}
	if again := l.nextSkipping(wait, serialtransport.TypeHello); !bytes.Equal(again, first) {
		t.Fatalf("got % x, want DATA 0 again (retransmission)", again)
	}
	l.send([]byte{4, 0}) // ACK 0

	// PING is answered with the same bytes
	l.send([]byte{5, 0xde, 0xad, 0x00, 0x01})
	if p := l.expect(serialtransport.TypePong, wait); !bytes.Equal(p, []byte{6, 0xde, 0xad, 0x00, 0x01}) {
		t.Fatalf("PONG % x", p)
	}

	// WELCOME: the firmware registers light.set, and acknowledges WELCOME
	// once the REGISTER is on its way
	l.sendMessage(0, &wamp.Welcome{Session: 4242, Details: wamp.Dict{"roles": wamp.Dict{"dealer": wamp.Dict{}}}})
	reg, ok := l.expectMessage(1, wait).(*wamp.Register)
	if !ok || reg.Procedure != "light.set" || reg.Request != 1 {
		t.Fatalf("second message %#v, want REGISTER 1 light.set", reg)
	}
	// (the ACK comes after the REGISTER, which is sent again every 300 ms
	// until acknowledged: such retransmissions are skipped)
	if p := l.nextSkippingData(wait, 1); !bytes.Equal(p, []byte{4, 0}) {
		t.Fatalf("got % x, want ACK 04 00", p)
	}
	// a duplicate WELCOME (our ACK "lost") gets the ACK again, nothing else
	l.sendMessage(0, &wamp.Welcome{Session: 4242, Details: wamp.Dict{}})
	if p := l.nextSkippingData(wait, 1); !bytes.Equal(p, []byte{4, 0}) {
		t.Fatalf("got % x, want ACK 04 00 again", p)
	}
	// window 1: REGISTER 2 only after REGISTER 1 is acknowledged (until
	// then, only retransmissions of DATA 1)
	l.sendMessage(1, &wamp.Registered{Request: 1, Registration: 77})
	quiet := time.After(150 * time.Millisecond)
	for waiting := true; waiting; {
		select {
		case p := <-l.frames:
			if p[0] == byte(serialtransport.TypeData) && p[1] != 1 {
				t.Fatalf("DATA % x sent while DATA 1 was unacknowledged", p)
			}
		case <-quiet:
			waiting = false
		}
	}
	l.send([]byte{4, 1})
	// then REGISTER 2 and ACK 1, in either order
	var reg2 wamp.Message
	var ack []byte
	for reg2 == nil || ack == nil {
		p := l.nextSkipping(wait, serialtransport.TypeHello)
		switch {
		case bytes.HasPrefix(p, []byte{3, 1}): // a late retransmission of DATA 1
		case bytes.HasPrefix(p, []byte{3, 2}):
			if reg2, err = wamp.MsgPack.DecodeMessage(p[2:]); err != nil {
				t.Fatalf("DATA 2: %v", err)
			}
		case p[0] == byte(serialtransport.TypeAck) && ack == nil:
			ack = p
		default:
			t.Fatalf("unexpected frame % x", p)
		}
	}
	if !bytes.Equal(ack, []byte{4, 1}) {
		t.Fatalf("ACK % x, want 04 01", ack)
	}
	if r, ok := reg2.(*wamp.Register); !ok || r.Procedure != "light.get" || r.Request != 2 {
		t.Fatalf("third message %#v, want REGISTER 2 light.get", reg2)
	}
	l.send([]byte{4, 2})

	// the gateway forgets the link: RESET, and the firmware starts a new one
	l.send([]byte{7, 1})
	if id2 := l.expectHello(wait); id2 == id {
		t.Fatalf("new link with the same id %08x", id)
	}
}
