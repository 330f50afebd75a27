package rawsocket

import (
	"testing"
	"unsafe"
)

// TestConnSize: a Conn (one per connection, idle ones included) fits the
// 192-byte size class of Go's allocator on 64-bit systems; 8 bytes more
// would take every connection to the 208-byte class. A new field has to
// find its room, or live behind a pointer made when needed (as the
// keepalive state does).
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); unsafe.Sizeof(uintptr(0)) == 8 && n > 192 {
		t.Errorf("Conn is %d bytes, over the 192-byte size class", n)
	}
}
