package peer

import (
	"testing"
)

// TestSharedHeldUntilWritten checks that a Shared queued on several
// connections keeps its bytes until every one of them has written it, while
// its maker has released it and new Shareds (which may reuse pooled
// buffers) are encoded meanwhile; and that it is refused, and not held, by
// a connection whose queue is full.
func TestSharedHeldUntilWritten(t *testing.T) {
	gates := []*gateTransport{newGate(), newGate(), newGate()}
	var conns []*Conn
	for _, g := range gates {
		c := New(g, Config{QueueMessages: 2})
		defer c.Close(nil)
		conns = append(conns, c)
	}
	// conns[2]'s queue is full: one message in flight, one waiting.
	for _, topic := range []string{"busy.1", "busy.2"} {
		if err := conns[2].Send(pub(topic)); err != nil {
			t.Fatal(err)
		}
		if topic == "busy.1" {
			waitInflight(t, conns[2], 1)
		}
	}

	sh := NewShared()
	if err := sh.Encode(fakeSerializer{}, pub("reading.1")); err != nil {
		t.Fatal(err)
	}
	for i, c := range conns {
		err := c.SendShared(sh)
		if full := i == 2; (err != nil) != full {
			t.Fatalf("conn %d: SendShared: %v", i, err)
		}
	}
	sh.Release()
	if got := sh.refs.Load(); got != 2 {
		t.Fatalf("%d holds after the maker's release, want 2 (the two queues)", got)
	}
	for range 100 { // pooled buffers are reused now, but not sh's
		other := NewShared()
		if err := other.Encode(fakeSerializer{}, pub("overwritten")); err != nil {
			t.Fatal(err)
		}
		other.Release()
	}
	for i, g := range gates[:2] {
		b := g.release(t)
		if len(b) != 1 || string(b[0][1:]) != "reading.1" {
			t.Fatalf("conn %d wrote %q, want the shared reading.1", i, b)
		}
	}
	for _, c := range conns[:2] {
		waitWriterExit(t, c, "writer did not exit")
	}
	if got := sh.refs.Load(); got != 0 {
		t.Errorf("%d holds after both writes, want 0", got)
	}
}

// sinkTransport is a wamp.Transport whose writes succeed at once.
type sinkTransport struct{ gateTransport }

func (*sinkTransport) WriteMessages([][]byte) error { return nil }

// TestBusyQueuesKeepTheirArrays checks that a busy connection's queue
// keeps its array between its writer's runs while another connection,
// trimmed whenever it goes idle (a router's parked device session), sends
// one message at a time: the writers share scratch arrays, which must not
// hand the busy queue's array to the trimmed one and leave it a small
// one to grow again.
func TestBusyQueuesKeepTheirArrays(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items at random")
	}
	busy, device := New(&sinkTransport{*newGate()}, Config{}), New(&sinkTransport{*newGate()}, Config{})
	defer busy.Close(nil)
	defer device.Close(nil)
	sh := NewShared()
	if err := sh.Encode(fakeSerializer{}, pub("reading")); err != nil {
		t.Fatal(err)
	}
	defer sh.Release()
	burst := func(c *Conn, n int) {
		for range n {
			if err := c.SendShared(sh); err != nil {
				t.Fatal(err)
			}
		}
		waitWriterExit(t, c, "writer did not exit")
	}
	round := func() {
		burst(device, 1)
		device.Trim() // its queue's array goes
		burst(busy, 40)
	}
	for range 10 {
		round()
	}
	// The trimmed connection makes its queue's array and its writer's
	// method value again each round (what trimming costs); the busy
	// queue makes nothing.
	if allocs := testing.AllocsPerRun(50, round); allocs > 2 {
		t.Errorf("%v allocations per round, want 2 (the trimmed connection's)", allocs)
	}
}

// TestSharedDoubleReleasePanics checks that releasing a Shared more often
// than it is held panics rather than pool a buffer twice.
func TestSharedDoubleReleasePanics(t *testing.T) {
	sh := NewShared()
	sh.Release()
	defer func() {
		if recover() == nil {
			t.Error("a second Release did not panic")
		}
	}()
	sh.Release()
}
