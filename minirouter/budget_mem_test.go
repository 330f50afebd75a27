package minirouter

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/internal/memtest"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// The memory tests attack a router over loopback RawSocket with what the
// hostile-input suite of issue 17 sent, read the router's heap (after a
// collection) while the attackers still hold their connections, and
// assert a budget. They use the default limits, so that each also runs
// against a router without budgets (its figure is in the log).

// lockedRealm is a realm whose user authenticates with a ticket: a HELLO
// for it is held until the AUTHENTICATE.
var lockedRealm = RealmConfig{Name: "locked", Users: []User{{AuthID: "dev", Ticket: "right-ticket"}}}

// heapGrowth fails t when the heap grew by more than budget since before.
func heapGrowth(t *testing.T, before uint64, budget int64, what string) {
	t.Helper()
	grown := int64(memtest.Heap()) - int64(before)
	t.Logf("%s: heap grew %.1f MiB (budget %d MiB)", what, float64(grown)/(1<<20), budget>>20)
	if grown > budget {
		t.Errorf("%s: heap grew %d MiB, budget %d MiB", what, grown>>20, budget>>20)
	}
}

// bigHello encodes a HELLO for the locked realm whose details also hold
// "x", a list of empty dicts filling about n bytes.
func bigHello(t *testing.T, s wamp.Serializer, n int) []byte {
	b, err := s.AppendMessage(nil, &wamp.Hello{Realm: "locked", Details: wamp.Dict{
		"roles": allRoles(), "authmethods": wamp.List{"ticket"}, "authid": "dev", "x": wamp.List{}}})
	if err != nil {
		t.Fatal(err)
	}
	// Splice the elements into the empty list that ends the message.
	switch s {
	case wamp.JSON:
		i := bytes.LastIndex(b, []byte("[]"))
		elems := strings.Repeat("{},", n/3) + "{}"
		return append(b[:i+1], append([]byte(elems), b[i+1:]...)...)
	default: // MessagePack: fixarray 0x90 becomes array32
		i := bytes.LastIndexByte(b, 0x90)
		k := n
		out := append(b[:i:i], 0xdd, byte(k>>24), byte(k>>16), byte(k>>8), byte(k))
		out = append(out, bytes.Repeat([]byte{0x80}, k)...)
		return append(out, b[i+1:]...)
	}
}

// TestPreAuthHelloMemory: 4 unauthenticated connections each send a HELLO
// of about 1 MiB of empty dicts (MessagePack, JSON) to a realm with users
// and wait for their CHALLENGE; the router must not hold decoded HELLOs
// many times their size.
func TestPreAuthHelloMemory(t *testing.T) {
	for _, s := range []wamp.Serializer{wamp.MsgPack, wamp.JSON} {
		t.Run(s.Name(), func(t *testing.T) {
			r := newTestRouter(t, Config{Realms: []RealmConfig{lockedRealm}})
			addr := serveTCP(t, r)
			hello := bigHello(t, s, 1<<20-4096)
			before := memtest.Heap()
			for range 4 {
				c := dialClient(t, addr, rawsocket.ClientConfig{Serializer: s})
				if err := c.tr.WriteMessages([][]byte{hello}); err != nil {
					t.Logf("HELLO of %d bytes not all sent: %v", len(hello), err) // closed at the frame's header
					continue
				}
				m, err := c.recv()
				t.Logf("HELLO of %d bytes answered: %v %v", len(hello), msgSummary(m), err)
			}
			heapGrowth(t, before, 8<<20, fmt.Sprintf("4 connections, HELLOs of %d KiB of empty %s dicts", len(hello)>>10, s.Name()))
		})
	}
}

// ask sends m and returns the answer.
func ask(t *testing.T, c *testClient, m wamp.Message) wamp.Message {
	t.Helper()
	c.send(m)
	return mustRecv(t, c)
}

// mustRecv reads one message.
func mustRecv(t *testing.T, c *testClient) wamp.Message {
	t.Helper()
	m, err := c.recv()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// msgSummary names a message and, for ABORT and ERROR, its reason.
func msgSummary(m wamp.Message) string {
	switch m := m.(type) {
	case nil:
		return "nothing"
	case *wamp.Abort:
		return "ABORT " + string(m.Reason)
	case *wamp.ErrorMessage:
		return "ERROR " + string(m.Error)
	}
	return m.Type().String()
}

// longURI returns a valid URI of n octets, distinct for each i.
func longURI(i, n int) wamp.URI {
	p := fmt.Sprintf("com.example.u%d.", i)
	return wamp.URI(p + strings.Repeat("x", n-len(p)))
}

// TestLongURIMemory: one anonymous session subscribes to 50 and registers
// 50 URIs of about 1 MiB each.
func TestLongURIMemory(t *testing.T) {
	r := newTestRouter(t, Config{})
	addr := serveTCP(t, r)
	c := dialSession(t, addr, wamp.MsgPack)
	before := memtest.Heap()
	answers := map[string]int{}
	for i := range 100 {
		uri := longURI(i, 1<<20-1024)
		var m wamp.Message = &wamp.Subscribe{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Topic: uri}
		if i%2 == 1 {
			m = &wamp.Register{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Procedure: uri}
		}
		answers[msgSummary(ask(t, c, m))]++
	}
	t.Logf("answers: %v", answers)
	heapGrowth(t, before, 8<<20, "100 subscriptions and registrations of 1 MiB URIs")
}

// addTestamentOf builds an add_testament CALL whose args hold n bytes.
func addTestamentOf(req wamp.ID, scope string, n int) *wamp.Call {
	return &wamp.Call{Request: req, Options: wamp.Dict{}, Procedure: "wamp.session.add_testament",
		Payload: wamp.Payload{Args: wamp.List{"com.example.will", wamp.List{strings.Repeat("w", n)}, wamp.Dict{}},
			Kwargs: wamp.Dict{"scope": scope}}}
}

// TestTestamentMemory: 4 sessions each leave 32 testaments of 1 MB (16
// per scope).
func TestTestamentMemory(t *testing.T) {
	r := newTestRouter(t, Config{})
	addr := serveTCP(t, r)
	before := memtest.Heap()
	answers := map[string]int{}
	for range 4 {
		c := dialSession(t, addr, wamp.MsgPack)
		for i := range 32 {
			answers[msgSummary(ask(t, c, addTestamentOf(wamp.ID(i+1), []string{"destroyed", "detached"}[i%2], 1_000_000)))]++
		}
	}
	t.Logf("answers: %v", answers)
	heapGrowth(t, before, 8<<20, "4 sessions x 32 testaments of 1 MB")
}

// subscribeMany makes n sessions that each subscribe to k topics of
// uriLen octets, over RawSocket, with 8 sessions at a time; it returns the
// sessions and the answers by kind.
func subscribeMany(t *testing.T, addr string, n, k, uriLen int) ([]*testClient, map[string]int) {
	var (
		mu      sync.Mutex
		clients []*testClient
		answers = map[string]int{}
		wg      sync.WaitGroup
		sem     = make(chan struct{}, 8)
	)
	for i := range n {
		c := dialClient(t, addr, rawsocket.ClientConfig{Serializer: wamp.MsgPack})
		c.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles()}})
		if m, err := c.recv(); err != nil || m.Type() != wamp.WELCOME {
			mu.Lock()
			answers["HELLO: "+msgSummary(m)]++
			mu.Unlock()
			continue
		}
		clients = append(clients, c)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			local := map[string]int{}
			for j := range k {
				uri := wamp.URI(fmt.Sprintf("com.example.s%d.t%d", i, j))
				if uriLen > 0 {
					uri = longURI(i*k+j, uriLen)
				}
				b, _ := c.tr.Serializer().AppendMessage(nil, &wamp.Subscribe{Request: wamp.ID(j + 1), Options: wamp.Dict{}, Topic: uri})
				if err := c.tr.WriteMessages([][]byte{b}); err != nil {
					local["send failed"]++
					return
				}
				m, err := c.recv()
				if err != nil {
					local["recv failed"]++
					return
				}
				local[msgSummary(m)]++
			}
			mu.Lock()
			for a, v := range local {
				answers[a] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return clients, answers
}

// TestSessionsLeaveMemory: 40 sessions subscribe to 1,024 topics each and
// leave; the router must give back what they held.
func TestSessionsLeaveMemory(t *testing.T) {
	r := newTestRouter(t, Config{})
	addr := serveTCP(t, r)
	dialSession(t, addr, wamp.MsgPack).tr.Close() // warm up
	before := memtest.Heap()
	clients, answers := subscribeMany(t, addr, 40, 1024, 0)
	t.Logf("answers: %v; heap while subscribed: +%.1f MiB", answers, float64(int64(memtest.Heap())-int64(before))/(1<<20))
	for _, c := range clients {
		c.tr.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.Stats().Sessions > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	heapGrowth(t, before, 2<<20, "after 40 sessions x 1,024 subscriptions left")
}

// TestSourceMemory: 32 sessions from one address, each within its
// per-session caps, subscribe to 1,024 topics of 1,000 octets.
func TestSourceMemory(t *testing.T) {
	r := newTestRouter(t, Config{LimitLocal: true})
	addr := serveTCP(t, r)
	before := memtest.Heap()
	clients, answers := subscribeMany(t, addr, 32, 1024, 1000)
	t.Logf("answers: %v", answers)
	heapGrowth(t, before, 24<<20, "32 sessions from one address x 1,024 subscriptions of 1,000-octet topics")
	for _, c := range clients {
		c.tr.Close()
	}
}

// stalledFrames opens 64 RawSocket connections to addr, readies each with
// setup (a handshake, maybe a session), then has each send all but one
// octet of a 1 MiB frame of fill and stall; it fails t when the router's
// heap grew by more than budget.
func stalledFrames(t *testing.T, addr string, fill byte, setup func(nc net.Conn), budget int64, what string) {
	const n = 1<<20 - 16
	payload := append([]byte{0, n >> 16, n >> 8 & 0xff, n & 0xff}, bytes.Repeat([]byte{fill}, n-1)...)
	before := memtest.Heap()
	var wg sync.WaitGroup
	for range 64 {
		nc := dialRaw(t, addr)
		setup(nc)
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc.Write(payload) // fails once the router closes the connection
		}()
	}
	wg.Wait()
	time.Sleep(300 * time.Millisecond) // for the router's readers to take in what came
	heapGrowth(t, before, budget, what)
}

// TestPreAuthPartialFrames: 64 connections each send all but one octet of
// a 1 MiB HELLO frame and stall; before WELCOME the router must not buffer
// more than the pre-authentication budget of each.
func TestPreAuthPartialFrames(t *testing.T) {
	r := newTestRouter(t, Config{})
	stalledFrames(t, serveTCP(t, r), 0x80, func(nc net.Conn) {
		nc.Write([]byte{0x7F, 0xF2, 0, 0}) // MessagePack
		var reply [4]byte
		if _, err := io.ReadFull(nc, reply[:]); err != nil {
			t.Fatalf("handshake: %v", err)
		}
	}, 8<<20, "64 connections, 1 MiB HELLO frames stalled one octet short")
}

// TestSourcePartialFrames: 64 sessions from one address join, then each
// sends all but one octet of a 1 MiB frame and stalls; what they hold in
// flight must stay within about the address's budget.
func TestSourcePartialFrames(t *testing.T) {
	r := newTestRouter(t, Config{LimitLocal: true})
	hello := frame(0, `[1,"realm1",{"roles":{"caller":{}}}]`)
	stalledFrames(t, serveTCP(t, r), ' ', func(nc net.Conn) {
		rawHandshake(t, nc)
		nc.Write(hello)
		if typ, welcome := readFrame(t, nc); typ != 0 || !bytes.HasPrefix(welcome, []byte("[2,")) {
			t.Fatalf("HELLO answered %q", welcome)
		}
	}, 24<<20, "64 sessions from one address, 1 MiB frames stalled one octet short")
}
