package minirouter

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// Wire scripts: each line is a step for a named client.
//
//	a> JSON          client a sends the text as one message
//	a< PATTERN       client a reads one message, which must match PATTERN
//	a< EOF           client a's connection must end
//	a: close         client a closes its transport
//
// Clients connect (over a JSON peer.Pipe attached with Attach) on their
// first step. In a PATTERN, "$name" matches an unsigned integer and binds it
// (a later "$name" must match the same value, and "$name" in a sent message
// is replaced by it), and "*" matches any one JSON value. The router's JSON
// encoder writes compact JSON with sorted keys, so patterns are written that
// way. Blank lines and lines starting with "#" are ignored.

// stepTimeout bounds each expected read.
const stepTimeout = 5 * time.Second

// newTestRouter returns a router closed at the end of the test.
func newTestRouter(t testing.TB, cfg Config) *Router {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// pipeClient connects a JSON transport to r through Attach and returns the
// client end and a channel receiving the session's end reason.
func pipeClient(t testing.TB, r *Router, s wamp.Serializer) (wamp.Transport, <-chan error) {
	t.Helper()
	a, b := peer.Pipe(s, 0)
	done := make(chan error, 1)
	r.Attach(context.Background(), b, func(err error) { done <- err })
	t.Cleanup(func() { a.Close() })
	return a, done
}

// runScript runs script with clients over JSON pipes.
func runScript(t *testing.T, r *Router, script string) {
	t.Helper()
	runScriptWith(t, script, func() wamp.Transport {
		c, _ := pipeClient(t, r, wamp.JSON)
		return c
	})
}

// scriptTransports are the transports the wire scripts run over: a JSON
// peer.Pipe attached with Attach, and RawSocket (JSON) over loopback TCP
// served by Serve.
var scriptTransports = []struct {
	name string
	conn func(t *testing.T, r *Router) func() wamp.Transport
}{
	{"pipe", func(t *testing.T, r *Router) func() wamp.Transport {
		return func() wamp.Transport {
			c, _ := pipeClient(t, r, wamp.JSON)
			return c
		}
	}},
	{"rawsocket", func(t *testing.T, r *Router) func() wamp.Transport {
		addr := serveTCP(t, r)
		return func() wamp.Transport {
			c, err := rawsocket.Dial(context.Background(), "tcp", addr, rawsocket.ClientConfig{Serializer: wamp.JSON})
			if err != nil {
				t.Fatalf("rawsocket.Dial: %v", err)
			}
			t.Cleanup(func() { c.Close() })
			return c
		}
	}},
}

// runScripts runs each script on a fresh router, over every transport.
func runScripts(t *testing.T, cfg Config, prefix string, scripts []struct{ name, script string }) {
	for _, tr := range scriptTransports {
		t.Run(tr.name, func(t *testing.T) {
			for _, sc := range scripts {
				t.Run(sc.name, func(t *testing.T) {
					r := newTestRouter(t, cfg)
					runScriptWith(t, prefix+sc.script, tr.conn(t, r))
				})
			}
		})
	}
}

// runScriptWith runs script, connecting each client with connect.
func runScriptWith(t *testing.T, script string, connect func() wamp.Transport) {
	t.Helper()
	clients := map[string]wamp.Transport{}
	vars := map[string]string{}
	for n, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.IndexAny(line, "><:")
		if i <= 0 {
			t.Fatalf("line %d: bad step %q", n+1, line)
		}
		who, op, arg := line[:i], line[i], strings.TrimSpace(line[i+1:])
		c := clients[who]
		if c == nil {
			c = connect()
			clients[who] = c
		}
		switch op {
		case '>':
			if err := c.WriteMessages([][]byte{[]byte(substitute(arg, vars))}); err != nil {
				t.Fatalf("line %d: %s sends: %v", n+1, who, err)
			}
		case '<':
			c.SetReadDeadline(time.Now().Add(stepTimeout))
			b, err := c.ReadMessage()
			if arg == "EOF" {
				if err == nil {
					t.Fatalf("line %d: %s expected the connection to end, got %s", n+1, who, b)
				}
				continue
			}
			if err != nil {
				t.Fatalf("line %d: %s expected %s, got error %v", n+1, who, arg, err)
			}
			if !matchPattern(arg, string(b), vars) {
				t.Fatalf("line %d: %s expected\n\t%s\ngot\n\t%s", n+1, who, arg, b)
			}
		case ':':
			switch arg {
			case "close":
				c.Close()
			default:
				t.Fatalf("line %d: unknown command %q", n+1, arg)
			}
		}
	}
}

// substitute replaces "$name" by its bound value.
func substitute(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		j := i + 1
		for j < len(s) && isNameByte(s[j]) {
			j++
		}
		b.WriteString(vars[s[i+1:j]])
		i = j - 1
	}
	return b.String()
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// matchPattern matches act against pat (see the script syntax above).
func matchPattern(pat, act string, vars map[string]string) bool {
	i, j := 0, 0
	for i < len(pat) {
		switch pat[i] {
		case '$':
			k := i + 1
			for k < len(pat) && isNameByte(pat[k]) {
				k++
			}
			name := pat[i+1 : k]
			l := j
			for l < len(act) && act[l] >= '0' && act[l] <= '9' {
				l++
			}
			if l == j {
				return false
			}
			if v, ok := vars[name]; ok && v != act[j:l] {
				return false
			}
			vars[name] = act[j:l]
			i, j = k, l
		case '*':
			l := skipValue(act, j)
			if l < 0 {
				return false
			}
			i, j = i+1, l
		default:
			if j >= len(act) || pat[i] != act[j] {
				return false
			}
			i, j = i+1, j+1
		}
	}
	return j == len(act)
}

// skipValue returns the index after the JSON value starting at s[i], or -1.
func skipValue(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	depth, inStr := 0, false
	for k := i; k < len(s); k++ {
		c := s[k]
		switch {
		case inStr:
			if c == '\\' {
				k++
			} else if c == '"' {
				inStr = false
				if depth == 0 {
					return k + 1
				}
			}
		case c == '"':
			inStr = true
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			if depth == 0 {
				return k
			}
			depth--
			if depth == 0 {
				return k + 1
			}
		case c == ',' && depth == 0:
			return k
		}
	}
	if depth == 0 && !inStr {
		return len(s)
	}
	return -1
}

// Typed clients, for tests that look at decoded values.

type testClient struct {
	t  testing.TB
	tr wamp.Transport
	id wamp.ID
}

// allRoles announces every client role with the features tests rely on.
func allRoles() wamp.Dict {
	return wamp.Dict{
		"publisher":  wamp.Dict{},
		"subscriber": wamp.Dict{},
		"caller":     wamp.Dict{"features": wamp.Dict{"call_canceling": true, "progressive_call_results": true}},
		"callee":     wamp.Dict{"features": wamp.Dict{"call_canceling": true, "progressive_call_results": true}},
	}
}

// joinClient connects over Connect (MessagePack) and joins realm1.
func joinClient(t testing.TB, r *Router, roles wamp.Dict) *testClient {
	t.Helper()
	tr, err := r.Connect(context.Background())
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { tr.Close() })
	c := &testClient{t: t, tr: tr}
	c.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": roles}})
	c.id = expect[*wamp.Welcome](c).Session
	return c
}

func (c *testClient) send(m wamp.Message) {
	c.t.Helper()
	b, err := c.tr.Serializer().AppendMessage(nil, m)
	if err != nil {
		c.t.Fatalf("encode %v: %v", m.Type(), err)
	}
	if err := c.tr.WriteMessages([][]byte{b}); err != nil {
		c.t.Fatalf("send %v: %v", m.Type(), err)
	}
}

func (c *testClient) recv() (wamp.Message, error) {
	c.tr.SetReadDeadline(time.Now().Add(stepTimeout))
	b, err := c.tr.ReadMessage()
	if err != nil {
		return nil, err
	}
	return c.tr.Serializer().DecodeMessage(b)
}

// expect reads one message and fails the test unless it is a T.
func expect[T wamp.Message](c *testClient) T {
	c.t.Helper()
	m, err := c.recv()
	if err != nil {
		c.t.Fatalf("expected %T: %v", *new(T), err)
	}
	v, ok := m.(T)
	if !ok {
		c.t.Fatalf("expected %T, got %#v", *new(T), m)
	}
	return v
}

// expectError reads an ERROR and checks its URI.
func (c *testClient) expectError(uri wamp.URI) *wamp.ErrorMessage {
	c.t.Helper()
	e := expect[*wamp.ErrorMessage](c)
	if e.Error != uri {
		c.t.Fatalf("expected ERROR %s, got %s %v", uri, e.Error, e.Args)
	}
	return e
}

// expectEnd reads until the connection ends, failing on any message.
func (c *testClient) expectEnd() {
	c.t.Helper()
	m, err := c.recv()
	if err == nil {
		c.t.Fatalf("expected the connection to end, got %#v", m)
	}
	if errors.Is(err, wamp.ErrProtocolViolation) {
		c.t.Fatalf("undecodable message: %v", err)
	}
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pat, act string
		want     bool
	}{
		{`[33,1,$a]`, `[33,1,77]`, true},
		{`[33,1,$a]`, `[33,2,77]`, false},
		{`[36,$a,$a]`, `[36,5,5]`, true},
		{`[36,$a,$a]`, `[36,5,6]`, false},
		{`[3,{"message":*},"x"]`, `[3,{"message":"a,]b"},"x"]`, true},
		{`[3,*,"x"]`, `[3,{"a":[1,{"b":2}]},"x"]`, true},
		{`[3,*,"x"]`, `[3,{"a":1},"y"]`, false},
		{`[2,1]`, `[2,1,{}]`, false},
		{`[2,$s,*]`, `[2,x,{}]`, false},
	}
	for _, tc := range tests {
		if got := matchPattern(tc.pat, tc.act, map[string]string{}); got != tc.want {
			t.Errorf("matchPattern(%s, %s) = %v, want %v", tc.pat, tc.act, got, tc.want)
		}
	}
}
