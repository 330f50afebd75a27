package minirouter

import (
	"testing"
	"time"
)

func TestAuthThrottle(t *testing.T) {
	th := newAuthThrottle(3, time.Second)
	t0 := time.Unix(1000, 0)
	for i := range 3 {
		if !th.allowed("a", t0) {
			t.Fatalf("refused after %d failures", i)
		}
		th.failed("a", t0)
	}
	if th.allowed("a", t0) {
		t.Fatal("allowed after the burst")
	}
	if !th.allowed("b", t0) {
		t.Fatal("another source refused")
	}
	if th.allowed("a", t0.Add(900*time.Millisecond)) {
		t.Fatal("allowed before a token came back")
	}
	if !th.allowed("a", t0.Add(time.Second)) {
		t.Fatal("refused once a token came back")
	}
	th.failed("a", t0.Add(time.Second))
	if th.allowed("a", t0.Add(1500*time.Millisecond)) {
		t.Fatal("the failure after the refill did not count")
	}
	if !th.allowed("a", t0.Add(time.Hour)) || len(th.sources) != 1 {
		t.Fatalf("not back after an hour, or %d sources", len(th.sources))
	}
	for i := range throttleSources + 10 {
		th.failed(string(rune('A'+i%26))+time.Duration(i).String(), t0.Add(time.Duration(i)))
	}
	if len(th.sources) > throttleSources {
		t.Errorf("%d sources remembered, at most %d", len(th.sources), throttleSources)
	}
}

func TestSourceOf(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7:5000": "192.0.2.7", "[::1]:80": "::1", "inproc": "inproc", "/run/x.sock": "/run/x.sock", "": "",
	} {
		if got := sourceOf(in); got != want {
			t.Errorf("sourceOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLocalSource(t *testing.T) {
	for src, want := range map[string]bool{
		"127.0.0.1": true, "127.3.2.1": true, "::1": true, "inproc": true, "/run/x.sock": true, "": true,
		"192.0.2.7": false, "10.0.0.1": false, "2001:db8::1": false,
	} {
		if got := localSource(src); got != want {
			t.Errorf("localSource(%q) = %v", src, got)
		}
	}
}
