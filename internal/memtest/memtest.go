// Package memtest measures the heap for tests that bound the memory a
// client can make a server hold.
package memtest

import (
	"runtime"
	"testing"
	"time"
)

// Heap returns the bytes of live heap objects, after a garbage collection.
func Heap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// Within waits until n values came on served (each a connection being
// served) and a moment more for their readers to take in what was sent,
// then fails t when the heap has grown by more than budget bytes since
// before (a Heap value).
func Within(t testing.TB, served <-chan struct{}, n int, before uint64, budget int64, what string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for range n {
		select {
		case <-served:
		case <-timeout:
			t.Fatalf("%s: connections not served", what)
		}
	}
	time.Sleep(300 * time.Millisecond)
	grown := int64(Heap()) - int64(before)
	t.Logf("%s: heap grew %d KiB", what, grown>>10)
	if grown > budget {
		t.Errorf("%s: heap grew %d MiB, budget %d MiB", what, grown>>20, budget>>20)
	}
}
