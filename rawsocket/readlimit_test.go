//go:build !edgewamp_board

package rawsocket

import (
	"bytes"
	"errors"
	"testing"
)

// TestSetReadLimit: a lowered read limit refuses a frame over it at its
// header; setting what ReadLimit gave before restores the announced limit.
func TestSetReadLimit(t *testing.T) {
	l, cc := listen(t, transports[0], ListenConfig{}, ClientConfig{})
	client, server := pair(t, l, cc)
	own := server.ReadLimit()
	server.SetReadLimit(100)
	server.SetReadLimit(own)
	if err := client.WriteMessages([][]byte{bytes.Repeat([]byte("a"), 1000)}); err != nil {
		t.Fatal(err)
	}
	if m, err := server.ReadMessage(); err != nil || len(m) != 1000 {
		t.Fatalf("after restoring the limit: %d bytes, %v", len(m), err)
	}
	server.SetReadLimit(100)
	if err := client.WriteMessages([][]byte{bytes.Repeat([]byte("a"), 100), bytes.Repeat([]byte("a"), 101)}); err != nil {
		t.Fatal(err)
	}
	if m, err := server.ReadMessage(); err != nil || len(m) != 100 {
		t.Fatalf("message at the lowered limit: %d bytes, %v", len(m), err)
	}
	if _, err := server.ReadMessage(); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("message over the lowered limit: %v, want ErrMessageTooLarge", err)
	}
}
