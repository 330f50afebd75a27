package wamp

import (
	"sync"
	"testing"
)

func TestNewGlobalID(t *testing.T) {
	seen := map[ID]bool{}
	for range 1000 {
		id := NewGlobalID()
		if id < 1 || id > MaxID {
			t.Fatalf("NewGlobalID() = %d, out of [1, 2^53]", id)
		}
		seen[id] = true
	}
	if len(seen) < 990 {
		t.Fatalf("only %d distinct IDs out of 1000", len(seen))
	}
}

func TestRequestIDs(t *testing.T) {
	var r RequestIDs
	for want := ID(1); want <= 3; want++ {
		if got := r.Next(); got != want {
			t.Fatalf("Next() = %d, want %d", got, want)
		}
	}
	r.last.Store(uint64(MaxID) - 1)
	if got := r.Next(); got != MaxID {
		t.Fatalf("Next() = %d, want 2^53", got)
	}
	if got := r.Next(); got != 1 {
		t.Fatalf("after 2^53, Next() = %d, want 1", got)
	}
}

func TestRequestIDsConcurrent(t *testing.T) {
	var r RequestIDs
	const workers, each = 8, 1000
	got := make([][]ID, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				got[w] = append(got[w], r.Next())
			}
		})
	}
	wg.Wait()
	seen := make(map[ID]bool, workers*each)
	for _, ids := range got {
		for _, id := range ids {
			if seen[id] || id < 1 || id > workers*each {
				t.Fatalf("ID %d duplicated or out of range", id)
			}
			seen[id] = true
		}
	}
}
