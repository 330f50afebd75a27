package wstransport

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// TestAppendFrameHeader checks the header at each length encoding's bounds
// (RFC 6455, 5.2), unmasked and masked.
func TestAppendFrameHeader(t *testing.T) {
	key := &[4]byte{1, 2, 3, 4}
	for _, tc := range []struct {
		op   byte
		n    int
		key  *[4]byte
		want string
	}{
		{opText, 0, nil, "8100"},
		{opBinary, 125, nil, "827d"},
		{opBinary, 126, nil, "827e007e"},
		{opText, 65535, nil, "817effff"},
		{opText, 65536, nil, "817f0000000000010000"},
		{opBinary, 5, key, "828501020304"},
		{opBinary, 300, key, "82fe012c01020304"},
	} {
		got := hex.EncodeToString(appendFrameHeader(nil, tc.op, tc.n, tc.key))
		if got != tc.want {
			t.Errorf("op %#x n %d masked %v: %s, want %s", tc.op, tc.n, tc.key != nil, got, tc.want)
		}
	}
	if got := appendMasked(nil, []byte{1, 2, 3, 4, 5}, key); !bytes.Equal(got, []byte{0, 0, 0, 0, 4}) {
		t.Errorf("appendMasked = %v", got)
	}
}

// TestManyMessagesOneCall sends more than one write's worth of frames
// (batchBytes) in one WriteMessages call each way, and reads them back in
// order.
func TestManyMessagesOneCall(t *testing.T) {
	for _, ser := range defaultSerializers() {
		t.Run(ser.Name(), func(t *testing.T) {
			ts := startServer(t, ServerConfig{}, nil, nil) // echoes
			c := dial(t, ts.url, ClientConfig{Serializer: ser})
			var msgs [][]byte
			for i := range 300 {
				msgs = append(msgs, bytes.Repeat([]byte{byte('a' + i%26)}, 1+i*7%1000))
			}
			if err := c.WriteMessages(msgs); err != nil {
				t.Fatal(err)
			}
			readBack(t, c, msgs)
			_ = c.Close()
		})
	}
}

// readBack reads len(want) messages from c and checks each.
func readBack(t *testing.T, c *Conn, want [][]byte) {
	t.Helper()
	for i, w := range want {
		got, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !bytes.Equal(got, w) {
			t.Fatalf("message %d: got %d bytes, want %d", i, len(got), len(w))
		}
	}
}
