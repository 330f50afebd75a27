package minirouter

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

func TestPacer(t *testing.T) {
	if newPacer(0, 5) != nil {
		t.Fatal("rate 0 gave a pacer")
	}
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(10, 3) // 3 at once, then one per 100ms
		start := time.Now()
		waited := 0
		for range 8 {
			if p.wait(nil) {
				waited++
			}
		}
		if el := time.Since(start); el != 500*time.Millisecond || waited != 5 {
			t.Errorf("8 publications took %v with %d waits; want 500ms and 5", el, waited)
		}
		time.Sleep(time.Second) // the bucket refills, up to the burst only
		start = time.Now()
		for range 4 {
			p.wait(nil)
		}
		if el := time.Since(start); el != 100*time.Millisecond {
			t.Errorf("after a rest, 4 publications took %v; want 100ms", el)
		}
		done := make(chan struct{})
		close(done)
		start = time.Now()
		if !p.wait(done) || time.Since(start) != 0 {
			t.Error("a closed connection did not end the wait")
		}
	})
}

// TestPublishRate: a publisher over its realm's rate is slowed, not
// dropped: every event arrives and the waits are counted.
func TestPublishRate(t *testing.T) {
	r := newTestRouter(t, Config{Realms: []RealmConfig{{Name: "realm1", PublishRate: 4, PublishBurst: 1}}})
	sub := joinClient(t, r, allRoles())
	sub.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "t"})
	expect[*wamp.Subscribed](sub)
	pub := joinClient(t, r, allRoles())
	for i := range 3 {
		pub.send(&wamp.Publish{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Topic: "t", Payload: wamp.Payload{Args: wamp.List{i}}})
	}
	for i := range 3 {
		if ev := expect[*wamp.Event](sub); ev.Args[0] != int64(i) {
			t.Fatalf("event %d: %v", i, ev.Args)
		}
	}
	if n := r.Stats().PublishesPaced; n < 1 {
		t.Errorf("PublishesPaced = %d, want at least 1 of 3 publications sent at once at 4/s", n)
	}
}
