package minirouter

import (
	"testing"
	"unsafe"
)

// TestSessionSize: a session with its connection (one allocation per idle
// session, see Router.track) fits the 352-byte size class of Go's
// allocator; 8 bytes more would take every session to the 384-byte class.
// A new field has to find its room (or live behind a pointer made on first
// use, as the routing tables do: see sessionTables).
func TestSessionSize(t *testing.T) {
	if n := unsafe.Sizeof(session{}); n > 352 {
		t.Errorf("session is %d bytes, over the 352-byte size class", n)
	}
}
