package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// The attackers of TestHostileInput. Each one returns an attackResult; a wrong answer from the router (a
// WELCOME where none is due, a connection it never closes, an ABORT with the wrong reason) is its err.

// shedWithin is how long the router may take to close a connection it must close (the configured
// deadlines are 1 s; the rest is slack for a loaded machine).
const shedWithin = 10 * time.Second

type attackResult struct {
	name    string
	summary string
	err     error
}

var (
	jsonSer, _    = wamp.SerializerByName("json")
	msgpackSer, _ = wamp.SerializerByName("msgpack")
)

// helloDetails is a plain anonymous HELLO's details.
func helloDetails() wamp.Dict {
	return wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}, "publisher": wamp.Dict{}}}
}

// malformedCase is one malformed input on its own connection: raw bytes sent as a WAMP message, before
// HELLO or (joined) after WELCOME. The router must answer ABORT wamp.error.protocol_violation or close.
type malformedCase struct {
	name   string
	ser    wamp.Serializer
	joined bool
	msg    []byte
}

var malformedCases = []malformedCase{
	{"not JSON", jsonSer, false, []byte("hello, router")},
	{"truncated JSON", jsonSer, false, []byte(`[1, "site"`)},
	{"JSON object", jsonSer, false, []byte(`{"type": "HELLO"}`)},
	{"empty array", jsonSer, false, []byte(`[]`)},
	{"unknown code", jsonSer, false, []byte(`[999, {}]`)},
	{"WELCOME from a client", jsonSer, false, []byte(`[2, 1, {}]`)},
	{"realm not a string", jsonSer, false, []byte(`[1, 5, {"roles": {"caller": {}}}]`)},
	{"details not a dict", jsonSer, false, []byte(`[1, "site", "details"]`)},
	{"HELLO without roles", jsonSer, false, []byte(`[1, "site", {}]`)},
	{"huge number", jsonSer, false, []byte(`[1e999, "site", {}]`)},
	{"bad msgpack", msgpackSer, false, []byte{0xc1, 0xc1, 0xc1}},
	{"truncated msgpack", msgpackSer, false, []byte{0x93, 0x01, 0xa4, 's'}},
	{"msgpack map", msgpackSer, false, []byte{0x81, 0xa1, 'a', 0x01}},
	{"garbage in session", jsonSer, true, []byte("\x00\xff garbage")},
	{"PUBLISH without topic", jsonSer, true, []byte(`[16, 1, {}]`)},
	{"EVENT from a client", jsonSer, true, []byte(`[36, 1, 1, {}]`)},
	{"CALL with a dict as args", msgpackSer, true, []byte{0x95, 0x30, 0x01, 0x80, 0xa3, 'a', '.', 'b', 0x80}},
}

// attack runs every attacker at once, against the RawSocket listener at rsAddr and the WebSocket one at
// wsAddr, and returns their results.
func attack(ctx context.Context, rsAddr, wsAddr string) []attackResult {
	rs := []func(context.Context, string) attackResult{
		attackStalledHandshakes, attackSilentSessions, attackHelloFlood, attackShortSessions,
		attackOversized, attackMalformed, attackFailedAuth,
	}
	ws := []func(context.Context, string) attackResult{
		attackWSStalledRequests, attackWSNotUpgrades, attackWSSilentSessions, attackWSMalformed,
	}
	results := make([]attackResult, len(rs)+len(ws))
	var wg sync.WaitGroup
	for i, a := range rs {
		wg.Go(func() { results[i] = a(ctx, rsAddr) })
	}
	for i, a := range ws {
		wg.Go(func() { results[len(rs)+i] = a(ctx, wsAddr) })
	}
	wg.Wait()
	return results
}

// forEach runs f(i) for i in [0, n) on workers goroutines and returns the first error.
func forEach(n, workers int, f func(i int) error) error {
	var next atomic.Int64
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("#%d: %w", i, err)
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return first
}

// limitRefusals counts the handshakes dial saw refused with error code 4 (a connection bound), and
// unansweredRefusals those closed unanswered (to make room for newer pending handshakes from this
// address, the stalled ones'). A real client retries them, and so do dial and dialWS.
var limitRefusals, unansweredRefusals atomic.Int64

// dial completes a RawSocket handshake with ser, retrying one refused every 20 ms for up to shedWithin.
func dial(ctx context.Context, addr string, ser wamp.Serializer) (*rawsocket.Conn, error) {
	return retryShed(ctx, func() (*rawsocket.Conn, error) {
		return rawsocket.Dial(ctx, "tcp", addr, rawsocket.ClientConfig{Serializer: ser, MaxMessageSize: 1 << 20})
	})
}

// retryShed runs try again, every 20 ms for up to shedWithin, while it fails with a refusal: error code 4,
// or a connection closed before its handshake was done (the listener closes the oldest pending
// connections of this address, the stalled attackers', to make room for newer ones, and at times
// a well-behaved one that came before the last of them).
func retryShed[T any](ctx context.Context, try func() (T, error)) (T, error) {
	deadline := time.Now().Add(shedWithin)
	for {
		c, err := try()
		switch {
		case err == nil || time.Now().After(deadline):
			return c, err
		case errors.Is(err, rawsocket.ErrConnectionLimit):
			limitRefusals.Add(1)
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
			strings.Contains(err.Error(), "server closed idle connection"): // net/http's word for a connection closed before any answer
			unansweredRefusals.Add(1)
		default:
			return c, err
		}
		select {
		case <-ctx.Done():
			return c, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func send(c wamp.Transport, msgs ...wamp.Message) error {
	bufs := make([][]byte, len(msgs))
	for i, m := range msgs {
		b, err := c.Serializer().AppendMessage(nil, m)
		if err != nil {
			return err
		}
		bufs[i] = b
	}
	return c.WriteMessages(bufs)
}

// recv reads one message within shedWithin; a connection closed by the router is (nil, nil).
func recv(c wamp.Transport) (wamp.Message, error) {
	c.SetReadDeadline(time.Now().Add(shedWithin))
	b, err := c.ReadMessage()
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, fmt.Errorf("connection still open after %v", shedWithin)
		}
		return nil, nil
	}
	return c.Serializer().DecodeMessage(b)
}

// join sends HELLO and expects WELCOME.
func join(c wamp.Transport) error {
	if err := send(c, &wamp.Hello{Realm: "site", Details: helloDetails()}); err != nil {
		return err
	}
	m, err := recv(c)
	if err != nil {
		return err
	}
	if _, ok := m.(*wamp.Welcome); !ok {
		return fmt.Errorf("%v instead of WELCOME", describe(m))
	}
	return nil
}

func describe(m wamp.Message) string {
	switch m := m.(type) {
	case nil:
		return "connection closed"
	case *wamp.Abort:
		return "ABORT " + string(m.Reason)
	default:
		return m.Type().String()
	}
}

// expectShed reads until the router closes c; it must send nothing but an ABORT with reason (any reason
// when reason is "") first. It returns what it got.
func expectShed(c wamp.Transport, reason wamp.URI) (string, error) {
	var got []string
	for {
		m, err := recv(c)
		if err != nil {
			return strings.Join(got, ", "), err
		}
		got = append(got, describe(m))
		if m == nil {
			return strings.Join(got, ", "), nil
		}
		a, ok := m.(*wamp.Abort)
		if !ok || (reason != "" && a.Reason != reason) {
			return strings.Join(got, ", "), fmt.Errorf("got %s, want ABORT %s or a close", describe(m), reason)
		}
	}
}

func attackStalledHandshakes(ctx context.Context, addr string) attackResult {
	r := attackResult{name: "stalled RawSocket handshakes"}
	start := time.Now()
	slowest, err := stall(ctx, addr, stalledHandshakes, func(i int) []byte {
		if i%2 == 1 { // half a handshake: the magic octet and the length/serializer octet
			return []byte{0x7f, 0xf1}
		}
		return nil
	})
	r.err = err
	r.summary = fmt.Sprintf("%d connections (half sent 2 of 4 handshake octets), all closed by the router; slowest after %v (handshake_timeout 1s); %v in all",
		stalledHandshakes, slowest.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	return r
}

// stall opens n connections at once, sends prefix(i) on the i-th and waits for the server to close each
// (within shedWithin); it returns the longest wait.
func stall(ctx context.Context, addr string, n int, prefix func(i int) []byte) (time.Duration, error) {
	var slowest atomic.Int64
	err := forEach(n, n, func(i int) error {
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		defer nc.Close()
		if p := prefix(i); len(p) > 0 {
			if _, err := nc.Write(p); err != nil {
				return err
			}
		}
		t0 := time.Now()
		if err := isClosed(nc, shedWithin); err != nil {
			return err
		}
		for d := int64(time.Since(t0)); d > slowest.Load(); {
			if slowest.CompareAndSwap(slowest.Load(), d) {
				break
			}
		}
		return nil
	})
	return time.Duration(slowest.Load()), err
}

func attackSilentSessions(ctx context.Context, addr string) attackResult {
	return silent("handshake, then no HELLO", silentSessions, func() (wamp.Transport, error) { return dial(ctx, addr, jsonSer) })
}

// silent opens n transports with dial at once, sends nothing and expects the router to close each.
func silent(name string, n int, dial func() (wamp.Transport, error)) attackResult {
	r := attackResult{name: name}
	start := time.Now()
	r.err = forEach(n, n, func(int) error {
		c, err := dial()
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = expectShed(c, "")
		return err
	})
	r.summary = fmt.Sprintf("%d connections, all closed by the router (hello_timeout 1s) within %v", n, time.Since(start).Round(time.Millisecond))
	return r
}

func attackHelloFlood(ctx context.Context, addr string) attackResult {
	r := attackResult{name: "HELLO flood on one connection"}
	c, err := dial(ctx, addr, msgpackSer)
	if err != nil {
		r.err = err
		return r
	}
	defer c.Close()
	msgs := make([]wamp.Message, floodHellos)
	for i := range msgs {
		msgs[i] = &wamp.Hello{Realm: "site", Details: helloDetails()}
	}
	send(c, msgs...) // may fail part way once the router has closed the connection
	m, err := recv(c)
	if err != nil {
		r.err = err
		return r
	}
	if _, ok := m.(*wamp.Welcome); !ok {
		r.err = fmt.Errorf("first answer %s, want WELCOME", describe(m))
		return r
	}
	got, err := expectShed(c, wamp.ErrProtocolViolation.URI)
	r.err = err
	r.summary = fmt.Sprintf("%d HELLOs: WELCOME, then %s", floodHellos, got)
	return r
}

func attackShortSessions(ctx context.Context, addr string) attackResult {
	r := attackResult{name: "short sessions"}
	start := time.Now()
	r.err = forEach(shortSessions, attackWorkers, func(i int) error {
		c, err := dial(ctx, addr, jsonSer)
		if err != nil {
			return err
		}
		defer c.Close()
		if err := join(c); err != nil {
			return err
		}
		if i%2 == 0 {
			return nil // dropped without GOODBYE
		}
		if err := send(c, &wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseRealm.URI}); err != nil {
			return err
		}
		m, err := recv(c)
		if err != nil {
			return err
		}
		if _, ok := m.(*wamp.Goodbye); !ok {
			return fmt.Errorf("%s instead of GOODBYE", describe(m))
		}
		return nil
	})
	r.summary = fmt.Sprintf("%d sessions joined and left (half by GOODBYE, half by dropping the connection) in %v",
		shortSessions, time.Since(start).Round(time.Millisecond))
	return r
}

func attackOversized(ctx context.Context, addr string) attackResult {
	r := attackResult{name: "oversized frames"}
	var outcomes []string
	for _, joined := range []bool{false, true} {
		c, err := dial(ctx, addr, jsonSer)
		if err != nil {
			r.err = err
			return r
		}
		if joined {
			if err := join(c); err != nil {
				c.Close()
				r.err = err
				return r
			}
		}
		// A WAMP frame announcing 16 MiB - 1 (the limit is 64 KiB), followed by 256 KiB of it.
		hdr := []byte{0x00, 0xff, 0xff, 0xff}
		body := make([]byte, 256<<10)
		for i := range body {
			body[i] = 'x'
		}
		c.NetConn().SetWriteDeadline(time.Now().Add(shedWithin))
		c.NetConn().Write(append(hdr, body...)) // the router may close before taking it all
		got, err := expectShed(c, "")
		c.Close()
		if err != nil {
			r.err = err
			return r
		}
		outcomes = append(outcomes, fmt.Sprintf("joined=%v: %s", joined, got))
	}
	r.summary = "16 MiB frame header (limit 64 KiB): " + strings.Join(outcomes, "; ")
	return r
}

func attackMalformed(ctx context.Context, addr string) attackResult {
	return sendMalformed("malformed messages", malformedCases, func(ser wamp.Serializer) (wamp.Transport, error) {
		return dial(ctx, addr, ser)
	})
}

// sendMalformed sends each case on its own connection from dial and expects ABORT
// wamp.error.protocol_violation, then a close.
func sendMalformed(name string, cases []malformedCase, dial func(wamp.Serializer) (wamp.Transport, error)) attackResult {
	r := attackResult{name: name}
	var outcomes []string
	for _, mc := range cases {
		c, err := dial(mc.ser)
		if err != nil {
			r.err = err
			return r
		}
		if mc.joined {
			if err := join(c); err != nil {
				c.Close()
				r.err = fmt.Errorf("%s: %w", mc.name, err)
				return r
			}
		}
		if err := c.WriteMessages([][]byte{mc.msg}); err != nil {
			c.Close()
			r.err = fmt.Errorf("%s: %w", mc.name, err)
			return r
		}
		got, err := expectShed(c, wamp.ErrProtocolViolation.URI)
		c.Close()
		if err == nil && !strings.Contains(got, "ABORT") {
			err = errors.New("closed without ABORT")
		}
		if err != nil && r.err == nil {
			r.err = fmt.Errorf("%s: %s: %w", mc.name, got, err)
		}
		outcomes = append(outcomes, mc.name+": "+got)
	}
	r.summary = fmt.Sprintf("%d cases: %s", len(cases), strings.Join(outcomes, "; "))
	return r
}

// refusalReasons are the ABORT reasons that may refuse a wrong ticket (see interop/auth_test.go).
var refusalReasons = []wamp.URI{"wamp.error.authentication_failed", "wamp.error.authentication_denied", "wamp.error.not_authorized"}

func attackFailedAuth(ctx context.Context, addr string) attackResult {
	r := attackResult{name: "failed authentications"}
	start := time.Now()
	var mu sync.Mutex
	reasons := map[string]int{}
	r.err = forEach(failedAuths, attackWorkers, func(int) error {
		c, err := dial(ctx, addr, jsonSer)
		if err != nil {
			return err
		}
		defer c.Close()
		d := helloDetails()
		d["authmethods"], d["authid"] = wamp.List{"ticket"}, "dev"
		if err := send(c, &wamp.Hello{Realm: "locked", Details: d}); err != nil {
			return err
		}
		m, err := recv(c)
		if err != nil {
			return err
		}
		outcome := describe(m)
		if _, ok := m.(*wamp.Challenge); ok {
			if err := send(c, &wamp.Authenticate{Signature: "wrong-ticket", Extra: wamp.Dict{}}); err != nil {
				return err
			}
			m, err = recv(c)
			if err != nil {
				return err
			}
			outcome = "CHALLENGE, " + describe(m)
		}
		mu.Lock()
		reasons[outcome]++
		mu.Unlock()
		// Refused after the check, or before it when the router throttles this address.
		if a, ok := m.(*wamp.Abort); !ok || !slices.Contains(refusalReasons, a.Reason) {
			return fmt.Errorf("%s, want ABORT with one of %v", outcome, refusalReasons)
		}
		return nil
	})
	r.summary = fmt.Sprintf("%d wrong tickets from 127.0.0.1 in %v (answers: %v)", failedAuths, time.Since(start).Round(time.Millisecond), reasons)
	return r
}
