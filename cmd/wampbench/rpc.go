package main

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// slabSize is the size of the chunks pre-encoded messages are cut from: a
// message given to peer.Conn.SendEncoded must not be reused, so each gets
// its own bytes, and a slab makes that one allocation per many messages.
const slabSize = 64 << 10

// slab hands out non-overlapping byte slices.
type slab struct{ b []byte }

// take returns an empty slice with room for n bytes that no other take
// returns.
func (s *slab) take(n int) []byte {
	if cap(s.b)-len(s.b) < n {
		s.b = make([]byte, 0, max(slabSize, n))
	}
	at := len(s.b)
	s.b = s.b[:at+n]
	return s.b[at : at : at+n]
}

// rpcRun is the shared state of one RPC run.
type rpcRun struct {
	clk      clock
	stop     atomic.Bool
	sent     atomic.Uint64
	answered atomic.Uint64
	errs     atomic.Uint64
}

// caller is one caller session with its calls in flight. Its fields but
// open belong to its goroutine (first calls, then readLoop).
type caller struct {
	run    *rpcRun
	conn   *peer.Conn
	tp     *template
	slab   slab
	seq    uint64
	mask   uint64
	sentAt []int64 // send time by seq & mask
	open   atomic.Int64
	h      histogram
}

// runRPC runs the RPC scenario: a callee the generator registers, and
// callers with calls in flight against it.
func runRPC(ctx context.Context, c *config, tg *target) (*result, error) {
	setup, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	cs, err := joinMany(setup, tg, c.realm, 1, 1)
	if err != nil {
		return nil, err
	}
	if _, err := cs[0].register(setup, c.procedure); err != nil {
		cs[0].t.Close()
		return nil, err
	}
	callee := peer.New(cs[0].t, peer.Config{QueueMessages: 1 << 14, QueueBytes: 64 << 20})
	var readers sync.WaitGroup
	var callers []*caller
	defer func() {
		for _, cl := range callers {
			closePeer(cl.conn)
		}
		closePeer(callee)
		readers.Wait()
	}()
	readers.Add(1)
	go func() {
		defer readers.Done()
		calleeLoop(callee, strings.Repeat("y", c.size))
	}()

	css, err := joinMany(setup, tg, c.realm, c.callers, 32)
	if err != nil {
		return nil, err
	}
	tp, err := newTemplate(tg.ser, &wamp.Call{Request: templateID, Options: wamp.Dict{}, Procedure: wamp.URI(c.procedure),
		Payload: wamp.Payload{Args: wamp.List{strings.Repeat("x", c.size)}}}, false)
	if err != nil {
		closeAll(css)
		return nil, fmt.Errorf("CALL template: %w", err)
	}
	run := &rpcRun{clk: clock{start: time.Now()}}
	ring := uint64(1) << bits.Len(uint(2*c.inflight))
	callers = make([]*caller, len(css))
	for i, s := range css {
		cl := &caller{run: run, tp: tp, mask: ring - 1, sentAt: make([]int64, ring),
			conn: peer.New(s.t, peer.Config{QueueMessages: 2*c.inflight + 16, QueueBytes: 64 << 20})}
		callers[i] = cl
		readers.Add(1)
		go func() { // the caller's state is this goroutine's alone: it sends the first calls too
			defer readers.Done()
			for range c.inflight {
				cl.call()
			}
			cl.readLoop()
		}()
	}
	sleepCtx(ctx, c.duration)
	run.stop.Store(true)
	end := run.clk.now()
	answeredAtStop := run.answered.Load()
	waitFor(drainTimeout, func() bool { return run.answered.Load()+run.errs.Load() >= run.sent.Load() })

	r := newResult(c, tg.url, "wamp", tg.ser.Name())
	r.Seconds = float64(end) / 1e9
	r.Callers, r.InFlight, r.PayloadBytes = c.callers, c.inflight, c.size
	r.Calls, r.Answered, r.CallErrors = run.sent.Load(), run.answered.Load(), run.errs.Load()
	r.CallsPerSec = rate(answeredAtStop, end)
	for _, cl := range callers {
		closePeer(cl.conn)
	}
	closePeer(callee)
	readers.Wait()
	var h histogram
	for _, cl := range callers {
		h.merge(&cl.h)
	}
	r.Latency = h.summary()
	return r, nil
}

// call sends the caller's next CALL.
func (cl *caller) call() {
	cl.seq++
	b := cl.tp.appendTo(cl.slab.take(len(cl.tp.b)), idBase+wamp.ID(cl.seq), 0)
	cl.sentAt[cl.seq&cl.mask] = cl.run.clk.now()
	if err := cl.conn.SendEncoded(b); err != nil {
		return
	}
	cl.open.Add(1)
	cl.run.sent.Add(1)
}

// readLoop reads RESULTs and ERRORs, records each call's round trip and,
// until the run stops, sends the next call.
func (cl *caller) readLoop() {
	t := cl.conn.Transport()
	bin := t.Serializer().Binary()
	for {
		b, err := t.ReadMessage()
		if err != nil {
			return
		}
		now := cl.run.clk.now()
		typ, at, ok := peekType(b, bin)
		var id wamp.ID
		if ok {
			id, ok = peekID(b, at, bin)
		}
		if !ok {
			m, err := t.Serializer().DecodeMessage(b)
			if err != nil {
				continue
			}
			switch m := m.(type) {
			case *wamp.Result:
				typ, id = wamp.RESULT, m.Request
			case *wamp.ErrorMessage:
				typ, id = wamp.ERROR, m.Request
			default:
				continue
			}
		}
		switch typ {
		case wamp.RESULT:
			cl.run.answered.Add(1)
		case wamp.ERROR:
			// [ERROR, CALL, Request, ...]: the request ID is the field after.
			if m, err := t.Serializer().DecodeMessage(b); err == nil {
				if em, ok := m.(*wamp.ErrorMessage); ok {
					id = em.Request
				}
			}
			cl.run.errs.Add(1)
		default:
			continue
		}
		seq := uint64(id - idBase)
		cl.h.record(now - cl.sentAt[seq&cl.mask])
		cl.open.Add(-1)
		if !cl.run.stop.Load() {
			cl.call()
		}
	}
}

// calleeLoop answers every INVOCATION with a YIELD carrying result until the
// connection closes.
func calleeLoop(conn *peer.Conn, result string) {
	t := conn.Transport()
	bin := t.Serializer().Binary()
	y := &wamp.Yield{Options: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{result}}}
	for {
		b, err := t.ReadMessage()
		if err != nil {
			return
		}
		typ, at, ok := peekType(b, bin)
		var id wamp.ID
		if ok && typ == wamp.INVOCATION {
			id, ok = peekID(b, at, bin)
		}
		if !ok {
			m, err := t.Serializer().DecodeMessage(b)
			if err != nil {
				continue
			}
			inv, isInv := m.(*wamp.Invocation)
			if !isInv {
				continue
			}
			typ, id = wamp.INVOCATION, inv.Request
		}
		if typ != wamp.INVOCATION {
			continue
		}
		y.Request = id // Send encodes y before it returns: one Yield serves every call
		if err := conn.Send(y); err != nil && !sendWait(conn, y, err) {
			return
		}
	}
}

// sendWait sends m when Send failed with err because conn's queue was full,
// waiting up to 5 s for room; false when it was not sent.
func sendWait(conn *peer.Conn, m wamp.Message, err error) bool {
	if !errors.Is(err, peer.ErrQueueFull) {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return conn.SendWait(ctx, m) == nil
}

// closePeer says GOODBYE on conn, lets it out (briefly) and closes it.
func closePeer(conn *peer.Conn) {
	select {
	case <-conn.Done():
		return
	default:
	}
	if conn.Send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal.URI}) == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Flush(ctx)
		cancel()
	}
	conn.Close(nil)
}
