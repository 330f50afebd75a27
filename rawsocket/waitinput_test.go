package rawsocket

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

// TestWaitInput covers waitInput on each transport: it times out with
// nothing read, returns as soon as a frame arrives (which ReadMessage then
// returns whole, even when it was split across writes), reports buffered
// frames at once, gives way to an earlier read deadline, and reports the
// end of the stream, which ReadMessage then returns.
func TestWaitInput(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			l, cc := listen(t, tr, ListenConfig{}, ClientConfig{})
			client, server := pair(t, l, cc)

			if tr.tls {
				// TLS cannot be waited on without reading: at once, true.
				if !server.waitInput(time.Hour) {
					t.Fatal("waitInput on TLS: false, want true at once")
				}
				return
			}
			start := time.Now()
			if server.waitInput(20 * time.Millisecond) {
				t.Fatal("waitInput with nothing sent: true")
			}
			if waited := time.Since(start); waited < 20*time.Millisecond {
				t.Fatalf("waitInput returned after %v, before its 20ms", waited)
			}

			// A frame split in two writes: waitInput returns at the first
			// octets, ReadMessage waits for the rest.
			nc := client.NetConn()
			f := frame(frameMessage, []byte("split"))
			if _, err := nc.Write(f[:2]); err != nil {
				t.Fatal(err)
			}
			if !server.waitInput(5 * time.Second) {
				t.Fatal("waitInput after 2 octets: false")
			}
			go func() { time.Sleep(10 * time.Millisecond); nc.Write(f[2:]) }()
			if got, err := server.ReadMessage(); err != nil || string(got) != "split" {
				t.Fatalf("ReadMessage = %q, %v; want split", got, err)
			}

			// Two frames in one write: the second is buffered.
			if err := client.WriteMessages([][]byte{[]byte("one"), []byte("two")}); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"one", "two"} {
				if !server.waitInput(5 * time.Second) {
					t.Fatalf("waitInput before %q: false", want)
				}
				if got, err := server.ReadMessage(); err != nil || string(got) != want {
					t.Fatalf("ReadMessage = %q, %v; want %q", got, err, want)
				}
			}

			// A read deadline before d: waitInput gives way, ReadMessage
			// reports the timeout; clearing it, waitInput waits again.
			server.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
			if !server.waitInput(time.Hour) {
				t.Fatal("waitInput with an earlier read deadline: false")
			}
			if _, err := server.ReadMessage(); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("ReadMessage after the deadline: %v", err)
			}
			server.SetReadDeadline(time.Time{})
			if server.waitInput(10 * time.Millisecond) {
				t.Fatal("waitInput after clearing the deadline: true with nothing sent")
			}
			// The temporary deadline is gone: a read waits past it.
			go func() { time.Sleep(30 * time.Millisecond); client.WriteMessages([][]byte{[]byte("late")}) }()
			if got, err := server.ReadMessage(); err != nil || string(got) != "late" {
				t.Fatalf("ReadMessage after waitInput = %q, %v; want late", got, err)
			}

			// The end of the stream is input; ReadMessage returns it.
			client.Close()
			if !server.waitInput(5 * time.Second) {
				t.Fatal("waitInput after the client closed: false")
			}
			if _, err := server.ReadMessage(); !errors.Is(err, io.EOF) {
				t.Fatalf("ReadMessage after the client closed: %v, want io.EOF", err)
			}
		})
	}
}

// TestWaitInputUnbounded checks that waitInput(0) waits under the read
// deadline alone, and that a large frame read after it arrives whole.
func TestWaitInputUnbounded(t *testing.T) {
	l, cc := listen(t, transports[0], ListenConfig{}, ClientConfig{})
	client, server := pair(t, l, cc)
	big := bigPayload(100 << 10)
	go func() { time.Sleep(20 * time.Millisecond); client.WriteMessages([][]byte{big}) }()
	if !server.waitInput(0) {
		t.Fatal("waitInput(0): false")
	}
	if got, err := server.ReadMessage(); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("ReadMessage: %d octets, %v", len(got), err)
	}
	server.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if server.waitInput(0) {
		t.Fatal("waitInput(0) past the read deadline: true")
	}
}
