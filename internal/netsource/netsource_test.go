package netsource

import (
	"testing"

	"github.com/edgewamp/edgewamp/internal/sockio"
	"github.com/edgewamp/edgewamp/internal/testnet"
)

func TestHostAndLocal(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7:5000": "192.0.2.7", "[::1]:80": "::1", "inproc": "inproc", "/run/x.sock": "/run/x.sock", "": "",
	} {
		if got := Host(in); got != want {
			t.Errorf("Host(%q) = %q, want %q", in, got, want)
		}
	}
	for src, want := range map[string]bool{
		"127.0.0.1": true, "127.3.2.1": true, "::1": true, "inproc": true, "/run/x.sock": true, "": true,
		"192.0.2.7": false, "10.0.0.1": false, "2001:db8::1": false,
	} {
		if got := Local(src); got != want {
			t.Errorf("Local(%q) = %v", src, got)
		}
	}
}

func TestCounter(t *testing.T) {
	c := &Counter{Max: 2}
	a1, ok1 := c.Take("192.0.2.7:1")
	_, ok2 := c.Take("192.0.2.7:2")
	if _, ok := c.Take("192.0.2.7:3"); !ok1 || !ok2 || ok {
		t.Fatalf("third from one source: admitted %v (first two %v %v)", ok, ok1, ok2)
	}
	if _, ok := c.Take("192.0.2.8:1"); !ok {
		t.Fatal("another source refused")
	}
	c.Release(a1)
	if _, ok := c.Take("192.0.2.7:4"); !ok {
		t.Fatal("a released place not taken again")
	}
	for range 5 {
		if src, ok := c.Take("127.0.0.1:9"); !ok || src != "" {
			t.Fatalf("loopback counted without LimitLocal: %q %v", src, ok)
		}
	}
	local := &Counter{Max: 1, LimitLocal: true}
	if src, ok := local.Take("@"); !ok || src != "local" {
		t.Fatalf("Unix client: %q %v", src, ok)
	}
	if _, ok := local.Take(""); ok {
		t.Error("a second Unix client admitted with Max 1")
	}
	var none Counter
	if src, ok := none.Take("192.0.2.7:1"); !ok || src != "" {
		t.Error("the zero Counter counted")
	}
	none.Release("")
}

// TestOfWrapped: a listener's socket wrapped for raw reads and writes
// (sockio) has the source of the socket itself.
func TestOfWrapped(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		_, accepted := testnet.Pair(t, network)
		if got, want := Of(sockio.Wrap(accepted)), Of(accepted); got != want || got == "local" {
			t.Errorf("%s: source of the wrapped socket %q, of the socket %q", network, got, want)
		}
	}
}
