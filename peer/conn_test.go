package peer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// gateTransport is a wamp.Transport whose writes block until the test
// releases them, recording each WriteMessages batch.
type gateTransport struct {
	gate    chan struct{} // one receive per WriteMessages call
	batches chan [][]byte // each batch written (copied)
	closed  chan struct{}
	once    sync.Once
	max     int
}

func newGate() *gateTransport {
	return &gateTransport{
		gate:    make(chan struct{}),
		batches: make(chan [][]byte, 100),
		closed:  make(chan struct{}),
		max:     1 << 20,
	}
}

func (g *gateTransport) Serializer() wamp.Serializer      { return fakeSerializer{} }
func (g *gateTransport) MaxMessageSize() int              { return g.max }
func (g *gateTransport) SetReadDeadline(time.Time) error  { return nil }
func (g *gateTransport) SetWriteDeadline(time.Time) error { return nil }
func (g *gateTransport) RemoteAddr() string               { return "gate" }
func (g *gateTransport) Close() error {
	g.once.Do(func() { close(g.closed) })
	return nil
}

func (g *gateTransport) ReadMessage() ([]byte, error) {
	<-g.closed
	return nil, io.ErrClosedPipe
}

func (g *gateTransport) WriteMessages(msgs [][]byte) error {
	select {
	case <-g.gate:
	case <-g.closed:
		return io.ErrClosedPipe
	}
	cp := make([][]byte, len(msgs))
	for i, m := range msgs {
		cp[i] = append([]byte(nil), m...)
	}
	g.batches <- cp
	return nil
}

// release lets one WriteMessages call through and returns its batch.
func (g *gateTransport) release(t *testing.T) [][]byte {
	t.Helper()
	select {
	case g.gate <- struct{}{}:
	case <-time.After(5 * time.Second):
		t.Fatal("no write pending")
	}
	select {
	case b := <-g.batches:
		return b
	case <-time.After(5 * time.Second):
		t.Fatal("write did not complete")
		return nil
	}
}

// waitPending waits until the writer is inside WriteMessages with n messages
// in flight.
func waitInflight(t *testing.T, c *Conn, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		got := int(c.inflight)
		c.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("inflight = %d, want %d", got, n)
		}
		runtime.Gosched()
	}
}

func TestSendRecvPipe(t *testing.T) {
	a, b := Pipe(fakeSerializer{}, 0)
	ca, cb := New(a, Config{}), New(b, Config{})
	defer ca.Close(nil)
	defer cb.Close(nil)
	const n = 1000
	go func() {
		for i := range n {
			if err := ca.SendWait(context.Background(), pub(fmt.Sprint("t.", i))); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range n {
		m, err := cb.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.(*wamp.Publish).Topic, wamp.URI(fmt.Sprint("t.", i)); got != want {
			t.Fatalf("message %d: topic %q, want %q", i, got, want)
		}
	}
	if err := ca.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A pipe cannot wait for input without reading: it is no wamp.Parker.
	if _, ok := cb.Transport().(wamp.Parker); ok {
		t.Error("pipe: a wamp.Parker")
	}
	sa, sb := ca.Stats(), cb.Stats()
	if sa.MessagesOut != n || sb.MessagesIn != n || sa.BytesOut != sb.BytesIn || sa.BytesOut == 0 {
		t.Errorf("stats: out %+v, in %+v", sa, sb)
	}
}

func TestQueueFull(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		topic  string
		accept int // messages accepted while the first write is stuck
	}{
		{"messages", Config{QueueMessages: 4}, "x", 4},
		{"bytes", Config{QueueBytes: 10}, "abcd", 2},              // 5 bytes each
		{"one large message", Config{QueueBytes: 3}, "abcdef", 1}, // alone, over the byte bound
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate()
			c := New(g, tt.cfg)
			defer c.Close(nil)
			other := New(newGate(), Config{})
			defer other.Close(nil)
			for i := range tt.accept {
				if err := c.Send(pub(tt.topic)); err != nil {
					t.Fatalf("send %d: %v", i, err)
				}
			}
			if err := c.Send(pub(tt.topic)); !errors.Is(err, ErrQueueFull) {
				t.Fatalf("send over the bound: %v, want ErrQueueFull", err)
			}
			if err := c.SendEncoded([]byte{16, 'x'}); !errors.Is(err, ErrQueueFull) {
				t.Fatalf("SendEncoded over the bound: %v, want ErrQueueFull", err)
			}
			// Another connection is not held up.
			if err := other.Send(pub("y")); err != nil {
				t.Fatal(err)
			}
			// Writing makes room again.
			n := 0
			for n < tt.accept {
				n += len(g.release(t))
			}
			if err := c.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := c.Send(pub(tt.topic)); err != nil {
				t.Fatalf("send after drain: %v", err)
			}
			g.release(t)
		})
	}
}

func TestWriterBatchesAndExits(t *testing.T) {
	g := newGate()
	c := New(g, Config{})
	defer c.Close(nil)

	if err := c.Send(pub("first")); err != nil {
		t.Fatal(err)
	}
	waitInflight(t, c, 1)
	for i := range 5 {
		if err := c.Send(pub(fmt.Sprint("more.", i))); err != nil {
			t.Fatal(err)
		}
	}
	if b := g.release(t); len(b) != 1 {
		t.Fatalf("first batch: %d messages", len(b))
	}
	if b := g.release(t); len(b) != 5 {
		t.Fatalf("second batch: %d messages, want all 5 queued in one WriteMessages", len(b))
	}
	waitWriterExit(t, c, "writer did not exit when the queue was empty")
	if m, by := c.Queued(); m != 0 || by != 0 {
		t.Errorf("queued %d messages, %d bytes after drain", m, by)
	}
	// A new message starts a new writer, which exits again.
	if err := c.Send(pub("again")); err != nil {
		t.Fatal(err)
	}
	g.release(t)
	waitWriterExit(t, c, "second writer did not exit")
}

// waitWriterExit waits until c's writer goroutine has exited, or fails
// with msg after 5 s.
func waitWriterExit(t *testing.T, c *Conn, msg string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; runtime.Gosched() {
		c.mu.Lock()
		writing := c.writing
		c.mu.Unlock()
		if !writing {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
	}
}

func TestIdleConnHoldsNoWriter(t *testing.T) {
	a, b := Pipe(fakeSerializer{}, 0)
	ca, cb := New(a, Config{}), New(b, Config{})
	before := runtime.NumGoroutine()
	for range 100 {
		if err := ca.Send(pub("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := cb.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	if err := ca.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d, before: %d", runtime.NumGoroutine(), before)
		}
		runtime.Gosched()
	}
	ca.Close(nil)
	cb.Close(nil)
}

func TestCloseUnblocksAndDiscards(t *testing.T) {
	g := newGate()
	c := New(g, Config{})
	recvErr := make(chan error, 1)
	go func() {
		_, err := c.Recv()
		recvErr <- err
	}()
	if err := c.Send(pub("stuck")); err != nil {
		t.Fatal(err)
	}
	waitInflight(t, c, 1)
	if err := c.Send(pub("queued")); err != nil {
		t.Fatal(err)
	}
	reason := errors.New("test reason")
	if err := c.Close(reason); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(errors.New("second")); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed")
	}
	if err := c.Err(); err != reason {
		t.Fatalf("Err = %v, want the first reason", err)
	}
	select {
	case err := <-recvErr:
		if !errors.Is(err, ErrClosed) || !errors.Is(err, reason) {
			t.Fatalf("Recv after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock Recv")
	}
	for _, err := range []error{c.Send(pub("late")), c.SendEncoded([]byte{16}), c.Flush(context.Background())} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("after Close: %v, want ErrClosed", err)
		}
	}
	select {
	case b := <-g.batches:
		t.Fatalf("written after Close: %q", b)
	default:
	}
}

func TestFlush(t *testing.T) {
	g := newGate()
	c := New(g, Config{})
	defer c.Close(nil)
	if err := c.Flush(context.Background()); err != nil {
		t.Fatalf("Flush of an empty queue: %v", err)
	}
	if err := c.Send(pub("a")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Flush(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Flush with canceled ctx: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Flush(context.Background()) }()
	g.release(t)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Flush did not return after the write")
	}
}

func TestSendWait(t *testing.T) {
	g := newGate()
	c := New(g, Config{QueueMessages: 1})
	defer c.Close(nil)
	if err := c.Send(pub("a")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := c.SendWait(ctx, pub("b")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SendWait on a full queue: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- c.SendWait(context.Background(), pub("c")) }()
	if b := g.release(t); string(b[0][1:]) != "a" {
		t.Fatalf("first write %q", b)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if b := g.release(t); string(b[0][1:]) != "c" {
		t.Fatalf("second write %q", b)
	}
}

func TestTooLarge(t *testing.T) {
	a, b := Pipe(fakeSerializer{}, 8)
	c := New(a, Config{})
	defer c.Close(nil)
	defer b.Close()
	if err := c.Send(pub("0123456789")); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Send: %v, want ErrTooLarge", err)
	}
	if err := c.SendEncoded(make([]byte, 9)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("SendEncoded: %v, want ErrTooLarge", err)
	}
	if err := c.Send(pub("0123456")); err != nil { // 8 bytes: at the limit
		t.Fatal(err)
	}
	if err := c.Send(&wamp.Hello{}); err == nil {
		t.Fatal("encode error not returned")
	}
	if c.Err() != nil {
		t.Fatalf("connection closed: %v", c.Err())
	}
}

func TestWriteTimeoutCloses(t *testing.T) {
	a, b := Pipe(fakeSerializer{}, 0)
	defer b.Close()
	c := New(a, Config{WriteTimeout: 20 * time.Millisecond})
	// Nobody reads b: the pipe fills up and the write stalls.
	for range pipeCapacity + 10 {
		if err := c.Send(pub("x")); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("stalled write did not close the connection")
	}
	if err := c.Err(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("close reason %v, want a deadline error", err)
	}
}

func TestRecvErrors(t *testing.T) {
	a, b := Pipe(fakeSerializer{}, 0)
	c := New(a, Config{})
	if err := b.WriteMessages([][]byte{{0xff}, {16, 'o', 'k'}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Recv(); !errors.Is(err, wamp.ErrProtocolViolation) {
		t.Fatalf("bad message: %v, want protocol violation", err)
	}
	if m, err := c.Recv(); err != nil || m.(*wamp.Publish).Topic != "ok" {
		t.Fatalf("after a bad message: %v %v", m, err)
	}
	b.Close()
	if _, err := c.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("remote close: %v, want io.EOF", err)
	}
	if err := c.Err(); !errors.Is(err, io.EOF) {
		t.Fatalf("close reason %v", err)
	}
	if err := c.Send(pub("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after remote close: %v", err)
	}
}

func BenchmarkSendRecvPipe(b *testing.B) {
	ta, tb := Pipe(fakeSerializer{}, 0)
	ca, cb := New(ta, Config{}), New(tb, Config{})
	defer ca.Close(nil)
	defer cb.Close(nil)
	m := pub("com.example.topic.sensor.temperature")
	b.ReportAllocs()
	for b.Loop() {
		if err := ca.SendWait(context.Background(), m); err != nil {
			b.Fatal(err)
		}
		if _, err := cb.Recv(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRealSerializerOverPipe(t *testing.T) {
	for _, s := range []wamp.Serializer{wamp.JSON, wamp.MsgPack} {
		t.Run(s.Name(), func(t *testing.T) {
			a, b := Pipe(s, 0)
			ca, cb := New(a, Config{}), New(b, Config{})
			defer ca.Close(nil)
			defer cb.Close(nil)
			if err := ca.Send(&wamp.Publish{Request: 1, Options: wamp.Dict{}, Topic: "com.example.t", Payload: wamp.Payload{Args: wamp.List{"x", int64(2)}}}); err != nil {
				t.Fatal(err)
			}
			m, err := cb.Recv()
			if err != nil {
				t.Fatal(err)
			}
			p, ok := m.(*wamp.Publish)
			if !ok || p.Topic != "com.example.t" || len(p.Args) != 2 || p.Args[0] != "x" {
				t.Fatalf("got %#v", m)
			}
		})
	}
}

func BenchmarkSendRecvPipeMsgPack(b *testing.B) {
	ta, tb := Pipe(wamp.MsgPack, 0)
	ca, cb := New(ta, Config{}), New(tb, Config{})
	defer ca.Close(nil)
	defer cb.Close(nil)
	m := &wamp.Event{Subscription: 1, Publication: 2, Details: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{21.5, "celsius"}}}
	b.ReportAllocs()
	for b.Loop() {
		if err := ca.SendWait(context.Background(), m); err != nil {
			b.Fatal(err)
		}
		if _, err := cb.Recv(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDoneAfterClose checks Done's channel: it closes on Close, and asked
// for after Close it is closed already.
func TestDoneAfterClose(t *testing.T) {
	a, b := Pipe(wamp.JSON, 1<<16)
	ca, cb := New(a, Config{}), New(b, Config{})
	defer cb.Close(nil)
	done := ca.Done()
	select {
	case <-done:
		t.Fatal("Done closed while open")
	default:
	}
	ca.Close(nil)
	for _, ch := range []<-chan struct{}{done, ca.Done()} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatal("Done not closed after Close")
		}
	}
	cb.Close(nil)
	select {
	case <-cb.Done(): // asked for the first time after Close
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after Close")
	}
}

// TestTrim checks that Trim drops the outbound arrays of an idle
// connection only, and that sending goes on after it.
func TestTrim(t *testing.T) {
	a, b := Pipe(wamp.JSON, 1<<16)
	ca, cb := New(a, Config{}), New(b, Config{})
	defer ca.Close(nil)
	defer cb.Close(nil)
	for i := range 3 {
		if err := ca.Send(&wamp.Publish{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Topic: "t"}); err != nil {
			t.Fatal(err)
		}
		ca.Trim() // may run while the writer writes: a no-op then
		if _, err := cb.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ca.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	ca.Trim()
	ca.mu.Lock()
	held := ca.queue != nil || ca.writeLoopFn != nil
	ca.mu.Unlock()
	if held {
		t.Error("an idle connection holds its outbound arrays after Trim")
	}
}
