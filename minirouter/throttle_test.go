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
