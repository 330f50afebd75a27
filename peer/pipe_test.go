package peer

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

func TestPipe(t *testing.T) {
	a, b := Pipe(fakeSerializer{}, 4)
	if a.MaxMessageSize() != 4 || a.RemoteAddr() != "inproc" || a.Serializer().Name() != "fake" {
		t.Fatalf("pipe end: max %d addr %q", a.MaxMessageSize(), a.RemoteAddr())
	}
	src := []byte("ab")
	if err := a.WriteMessages([][]byte{src, []byte("cd")}); err != nil {
		t.Fatal(err)
	}
	src[0] = 'X' // the pipe copied it
	for _, want := range []string{"ab", "cd"} {
		got, err := b.ReadMessage()
		if err != nil || string(got) != want {
			t.Fatalf("read %q %v, want %q", got, err, want)
		}
	}
	// A batch with an oversized message is refused whole.
	if err := a.WriteMessages([][]byte{[]byte("ok"), []byte("toolong")}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
	// Read deadline.
	b.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if _, err := b.ReadMessage(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past deadline: %v", err)
	}
	b.SetReadDeadline(time.Time{})
	// Past deadline set while blocked? Set in the past: immediate.
	b.SetReadDeadline(time.Now().Add(-time.Second))
	if _, err := b.ReadMessage(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read with a past deadline: %v", err)
	}
	b.SetReadDeadline(time.Time{})
	// Write deadline: fill the pipe.
	a.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
	var err error
	for i := 0; i <= pipeCapacity && err == nil; i++ {
		err = a.WriteMessages([][]byte{[]byte("x")})
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write to a full pipe: %v", err)
	}
	a.SetWriteDeadline(time.Time{})
	// Closing a: b reads what is buffered, then io.EOF.
	a.Close()
	a.Close()
	n := 0
	for {
		_, err := b.ReadMessage()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != pipeCapacity {
		t.Fatalf("read %d buffered messages after close, want %d", n, pipeCapacity)
	}
	if err := b.WriteMessages([][]byte{[]byte("x")}); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("write to a closed peer: %v", err)
	}
	if _, err := a.ReadMessage(); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("read on the closed end: %v", err)
	}
}

func TestPipeCloseUnblocksRead(t *testing.T) {
	a, b := Pipe(fakeSerializer{}, 0)
	done := make(chan error, 1)
	go func() {
		_, err := a.ReadMessage()
		done <- err
	}()
	b.Close()
	select {
	case err := <-done:
		if err != io.EOF {
			t.Fatalf("got %v, want io.EOF", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock the other end")
	}
	a.Close()
}
