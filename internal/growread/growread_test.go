package growread

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// TestAppend appends payloads of several sizes, from a reader that returns
// few bytes at a time, after bytes already held (a fragmented message),
// checks that the buffer never holds more than twice what arrived (plus
// First), and that an early end is io.ErrUnexpectedEOF.
func TestAppend(t *testing.T) {
	buf := []byte("head")
	want := append([]byte(nil), buf...)
	for _, n := range []int{1, First - 1, First, First + 1, 100_000, 1 << 20} {
		part := make([]byte, n)
		for i := range part {
			part[i] = byte(i * 7)
		}
		want = append(want, part...)
		var err error
		if buf, err = Append(iotest.HalfReader(bytes.NewReader(part)), buf, n); err != nil || !bytes.Equal(buf, want) {
			t.Fatalf("n=%d: got %d bytes, %v", n, len(buf), err)
		}
		if cap(buf) > 2*len(buf)+First {
			t.Errorf("n=%d: capacity %d for %d bytes", n, cap(buf), len(buf))
		}
	}
	buf, err := Append(bytes.NewReader(make([]byte, 50_000)), nil, 1<<20)
	if err != io.ErrUnexpectedEOF || len(buf) != 50_000 || cap(buf) > 2*50_000+First {
		t.Errorf("short stream: %d bytes, capacity %d, %v; want 50000, at most %d, io.ErrUnexpectedEOF", len(buf), cap(buf), err, 2*50_000+First)
	}
	if buf, _ := Append(bytes.NewReader(make([]byte, 100)), nil, 100); cap(buf) != 100 {
		t.Errorf("capacity %d for a payload of 100 bytes: more than asked", cap(buf))
	}
	if buf, _ := Append(bytes.NewReader(make([]byte, 10)), make([]byte, 0, 64), 10); cap(buf) != 64 {
		t.Errorf("room already there not used: capacity %d", cap(buf))
	}
}
