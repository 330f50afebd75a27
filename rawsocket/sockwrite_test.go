package rawsocket

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/internal/sockio"
	"github.com/edgewamp/edgewamp/internal/testnet"
)

// TestRawOnlyForSockets: TLS and other wrappers are read and written
// through their own Read and Write.
func TestRawOnlyForSockets(t *testing.T) {
	wc, _ := testnet.SmallSendPair(t, "tcp")
	if socketRawConn(wc) == nil {
		t.Fatal("no raw connection for *net.TCPConn")
	}
	type wrapped struct{ net.Conn }
	if socketRawConn(wrapped{wc}) != nil {
		t.Fatal("a raw connection for a wrapper of a socket")
	}
}

// TestWriteMessagesManyFrames sends one batch of 1,500 frames (3,000
// buffers with their headers, more than one writev takes) over every
// transport.
func TestWriteMessagesManyFrames(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			l, cc := listen(t, tr, ListenConfig{}, ClientConfig{})
			client, server := pair(t, l, cc)
			if (client.raw == nil) != tr.tls {
				t.Fatalf("raw writes %v over %s", client.raw != nil, tr.name)
			}
			var msgs [][]byte
			for i := range 1500 {
				msgs = append(msgs, testnet.Patterned(1+i%300, i))
			}
			got := readMessages(server, len(msgs))
			if err := client.WriteMessages(msgs); err != nil {
				t.Fatal(err)
			}
			expectMessages(t, got, msgs)
		})
	}
}

// TestSockWriterAllocatesNothing: a raw write, and a writev of a batch,
// allocate nothing once the vector has grown (the Writer a connection's
// write scratch keeps).
func TestSockWriterAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	wc, rc := testnet.SmallSendPair(t, "tcp")
	go io.Copy(io.Discard, rc)
	raw, sw := socketRawConn(wc), new(sockio.Writer)
	wc.SetWriteDeadline(time.Now().Add(20 * time.Second))
	msg := make([]byte, 64)
	bufs := [][]byte{msg, msg, msg, msg}
	sw.Writev(raw, bufs)
	if a := testing.AllocsPerRun(1000, func() {
		if _, err := sw.Write(raw, msg); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("write allocates %v times", a)
	}
	if a := testing.AllocsPerRun(1000, func() {
		if err := sw.Writev(raw, bufs); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("writev allocates %v times", a)
	}
}
