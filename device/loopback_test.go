package device

import (
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// answerTransport is a JSON wamp.Transport whose far end is a minimal
// router written for measuring the client alone: it answers what the client
// writes from pre-shaped frames (only the request ID is filled in), so that
// neither a router nor a second codec pass allocates during a benchmark.
// PUBLISH with options is answered PUBLISHED, PUBLISH without them is
// dropped, CALL is answered RESULT, REGISTER and SUBSCRIBE are answered with
// registration or subscription 1, YIELD is reported on yields. inject
// queues a frame for the client to read. With MessagePack (ser) it answers
// nothing: it then serves unacknowledged publishing only.
type answerTransport struct {
	ser    wamp.Serializer
	in     chan []byte // frames for the client's reader
	yields chan struct{}
	closed chan struct{}
	once   sync.Once

	ring [8][]byte // answer buffers, reused in turn
	next int       // writer goroutine only
}

func newAnswerTransport(ser wamp.Serializer) *answerTransport {
	t := &answerTransport{
		ser:    ser,
		in:     make(chan []byte, len(answerTransport{}.ring)-2),
		yields: make(chan struct{}, 1),
		closed: make(chan struct{}),
	}
	for i := range t.ring {
		t.ring[i] = make([]byte, 0, 128)
	}
	return t
}

var errAnswerClosed = errors.New("answerTransport: closed")

func (t *answerTransport) Serializer() wamp.Serializer     { return t.ser }
func (t *answerTransport) MaxMessageSize() int             { return 1 << 20 }
func (t *answerTransport) SetReadDeadline(time.Time) error { return nil }
func (t *answerTransport) SetWriteDeadline(time.Time) error {
	return nil
}
func (t *answerTransport) RemoteAddr() string { return "answer" }

func (t *answerTransport) Close() error {
	t.once.Do(func() { close(t.closed) })
	return nil
}

func (t *answerTransport) ReadMessage() ([]byte, error) {
	select {
	case b := <-t.in:
		return b, nil
	case <-t.closed:
		return nil, errAnswerClosed
	}
}

// inject queues frame b (which must stay unmodified) for the client.
func (t *answerTransport) inject(b []byte) {
	select {
	case t.in <- b:
	case <-t.closed:
	}
}

func (t *answerTransport) WriteMessages(msgs [][]byte) error {
	if t.ser != wamp.JSON {
		return nil
	}
	for _, m := range msgs {
		typ, id, rest := frameHead(m)
		var b []byte
		switch typ {
		case wamp.PUBLISH:
			if len(rest) < 2 || rest[0] != '{' || rest[1] == '}' {
				continue // no options, so no acknowledge
			}
			b = t.answer(wamp.PUBLISHED, id, ",7]")
		case wamp.CALL:
			b = t.answer(wamp.RESULT, id, ",{}]")
		case wamp.REGISTER:
			b = t.answer(wamp.REGISTERED, id, ",1]")
		case wamp.SUBSCRIBE:
			b = t.answer(wamp.SUBSCRIBED, id, ",1]")
		case wamp.YIELD:
			t.yields <- struct{}{}
			continue
		default:
			continue
		}
		select {
		case t.in <- b:
		case <-t.closed:
			return errAnswerClosed
		}
	}
	return nil
}

// answer builds "[typ,id" + tail in the next ring buffer.
func (t *answerTransport) answer(typ wamp.MessageType, id uint64, tail string) []byte {
	b := t.ring[t.next][:0]
	t.next = (t.next + 1) % len(t.ring)
	b = append(b, '[')
	b = strconv.AppendUint(b, uint64(typ), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, id, 10)
	b = append(b, tail...)
	return b
}

// frameHead parses "[typ,id," from a JSON frame, returning what follows.
func frameHead(m []byte) (wamp.MessageType, uint64, []byte) {
	num := func(b []byte) (uint64, []byte) {
		var n uint64
		i := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			n = n*10 + uint64(b[i]-'0')
			i++
		}
		if i < len(b) {
			i++ // the comma
		}
		return n, b[i:]
	}
	if len(m) < 2 {
		return 0, 0, nil
	}
	typ, rest := num(m[1:])
	id, rest := num(rest)
	return wamp.MessageType(typ), id, rest
}

// answerClient returns a client joined (without a handshake) over an
// answerTransport speaking JSON.
func answerClient(tb interface {
	Helper()
	Cleanup(func())
}, cfg Config) (*Client, *answerTransport) {
	tb.Helper()
	return answerClientWith(tb, wamp.JSON, cfg)
}

// answerClientWith is answerClient with serializer ser.
func answerClientWith(tb interface {
	Helper()
	Cleanup(func())
}, ser wamp.Serializer, cfg Config) (*Client, *answerTransport) {
	tb.Helper()
	tr := newAnswerTransport(ser)
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	cfg = cfg.withDefaults()
	c := &Client{cfg: cfg, log: cfg.Logger}
	c.cur.Store(newSession(peer.New(tr, cfg.Peer), cfg, &wamp.Welcome{Session: 42, Details: routerDetails}, &c.stats))
	tb.Cleanup(func() { c.Close() })
	return c, tr
}
