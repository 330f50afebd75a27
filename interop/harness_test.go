package interop

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests check the matrix machinery itself with our own client on both sides, so they run
// everywhere, peers installed or not.

func goConfig(transport, serializer string) config {
	for _, im := range impls {
		if im.name == "go" {
			return config{impl: im, transport: transport, serializer: serializer}
		}
	}
	panic("no go implementation in impls")
}

// TestGoCells runs go-against-go cells (not part of the matrix, which pairs different implementations)
// through runCell, over every transport and serializer, crossing them.
func TestGoCells(t *testing.T) {
	env := &peerEnv{}
	dir := t.TempDir()
	tests := []struct {
		kind           kind
		server, client config
	}{
		{kinds[0], goConfig("tcp", "json"), goConfig("unix", "msgpack")},
		{kinds[0], goConfig("unix", "msgpack"), goConfig("tcp", "json")},
		{kinds[1], goConfig("tcp", "msgpack"), goConfig("unix", "json")},
		{kinds[1], goConfig("unix", "json"), goConfig("tcp", "msgpack")},
		{kinds[0], goConfig("ws", "msgpack"), goConfig("tcp", "json")},
		{kinds[0], goConfig("unix", "json"), goConfig("ws", "json")},
		{kinds[1], goConfig("ws", "json"), goConfig("unix", "msgpack")},
		{kinds[1], goConfig("tcp", "json"), goConfig("ws", "msgpack")},
	}
	for i, tc := range tests {
		c := cell{kind: tc.kind, server: tc.server, client: tc.client}
		t.Run(c.name(), func(t *testing.T) {
			res := runCell(env, c, filepath.Join(dir, fmt.Sprintf("g%d.sock", i)))
			if !res.ok {
				t.Fatalf("%s\n%s", res.why, res.logs)
			}
		})
	}
}

// TestRunRoleFails checks that a role that cannot succeed says FAIL and returns an error.
func TestRunRoleFails(t *testing.T) {
	addrs, stop, err := startRouter(filepath.Join(t.TempDir(), "r.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	tests := []struct {
		name string
		url  string
		role Role
		want string // in the FAIL line
	}{
		{"caller without callee", "rs://" + addrs.tcp + "?serializer=json", Caller, "no_such_procedure"},
		{"subscriber without publisher", "unix://" + addrs.unix + "?serializer=msgpack", Subscriber, "events"},
		{"no router", "rs://127.0.0.1:1?serializer=json", Publisher, "dial"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			var out bytes.Buffer
			err := RunRole(ctx, &out, tc.url, "realm1", tc.role, 3)
			if err == nil {
				t.Fatalf("RunRole succeeded; output:\n%s", out.String())
			}
			v := verdict(out.String())
			if !strings.HasPrefix(v, "FAIL") || !strings.Contains(v, tc.want) {
				t.Errorf("verdict %q, want a FAIL line containing %q", v, tc.want)
			}
		})
	}
}

func TestVerdictAndReady(t *testing.T) {
	tests := []struct {
		out     string
		verdict string
		ready   bool
	}{
		{"", "", false},
		{"READY\nOK 3 calls\n", "OK 3 calls", true},
		{"READY", "", false}, // not a complete line yet
		{"noise READY\nFAIL timeout\n", "FAIL timeout", false},
		{"READY\nOK done\nFAIL later\n", "FAIL later", true},
		{"READY\r\nOKAY\n", "", true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.out), func(t *testing.T) {
			if got := verdict(tc.out); got != tc.verdict {
				t.Errorf("verdict = %q, want %q", got, tc.verdict)
			}
			o := newOutput()
			for i := range len(tc.out) { // byte by byte, as a pipe may deliver it
				o.Write([]byte{tc.out[i]})
			}
			select {
			case <-o.ready:
				if !tc.ready {
					t.Error("READY seen, want not")
				}
			default:
				if tc.ready {
					t.Error("READY not seen")
				}
			}
		})
	}
}

func TestCellsPairDifferentImplementations(t *testing.T) {
	all := cells()
	n := len(configs())
	per := map[*impl]int{} // configs per implementation
	for _, c := range configs() {
		per[c.impl]++
	}
	same := 0
	for _, k := range per {
		same += k * k
	}
	if want := len(kinds) * (n*n - same); len(all) != want {
		t.Errorf("%d cells, want %d", len(all), want)
	}
	seen := map[string]bool{}
	for _, c := range all {
		if c.server.impl == c.client.impl {
			t.Errorf("%s pairs an implementation with itself", c.name())
		}
		if seen[c.name()] {
			t.Errorf("%s twice", c.name())
		}
		seen[c.name()] = true
	}
	// every implementation takes every role
	for _, im := range impls {
		for _, r := range Roles {
			found := false
			for _, c := range all {
				if (c.server.impl == im && c.kind.server == r) || (c.client.impl == im && c.kind.client == r) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("%s never plays %s", im.name, r)
			}
		}
	}
	table := renderMatrix(all, map[string]result{all[0].name(): {ok: true}, all[1].name(): {why: "boom"}})
	for _, want := range []string{"interop: 1 passed, " + fmt.Sprint(len(all)-1) + " failed", "boom", "not run"} {
		if !strings.Contains(table, want) {
			t.Errorf("matrix lacks %q:\n%s", want, table)
		}
	}
}
