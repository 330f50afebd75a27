package wstransport

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// pipeResponseWriter is an http.ResponseWriter whose Hijack hands over one
// end of a net.Pipe, to run Handler in memory; its reader holds pending, as
// if the client had sent it along with the request, and its size is size
// (0: bufio's default).
type pipeResponseWriter struct {
	header  http.Header
	nc      net.Conn
	pending []byte
	size    int
}

func (w *pipeResponseWriter) Header() http.Header         { return w.header }
func (w *pipeResponseWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *pipeResponseWriter) WriteHeader(int)             {}
func (w *pipeResponseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	size := w.size
	if size == 0 {
		size = 4096
	}
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(w.pending), w.nc), size)
	if len(w.pending) > 0 {
		_, _ = br.Peek(len(w.pending)) // buffered, as net/http's reader would hold it
	}
	return w.nc, bufio.NewReadWriter(br, bufio.NewWriter(w.nc)), nil
}

// upgradeRequest is a client's WebSocket upgrade request offering wamp.2.json.
func upgradeRequest() *http.Request {
	req := httptest.NewRequest(http.MethodGet, "http://example.test/ws", nil)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Protocol", "wamp.2.json")
	return req
}

// clientFrame returns one masked frame.
func clientFrame(first byte, payload []byte) []byte {
	b := []byte{first, 0x80}
	switch n := len(payload); {
	case n <= 125:
		b[1] |= byte(n)
	case n < 1<<16:
		b[1] |= 126
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b[1] |= 127
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	key := [4]byte{1, 2, 3, 4}
	b = append(b, key[:]...)
	for i, c := range payload {
		b = append(b, c^key[i%4])
	}
	return b
}

// FuzzReadMessage feeds arbitrary bytes, as frames from a client, to a
// server connection made by Handler over an in-memory pipe. It checks that
// nothing panics, that no message over the limit is returned, and that the
// session ends when the input does.
func FuzzReadMessage(f *testing.F) {
	cat := func(frames ...[]byte) []byte {
		var b []byte
		for _, fr := range frames {
			b = append(b, fr...)
		}
		return b
	}
	f.Add(clientFrame(0x81, []byte(`[1,"realm1",{}]`)))
	f.Add(cat(clientFrame(0x01, []byte("[1,")), clientFrame(0x89, []byte("ping")), clientFrame(0x80, []byte("2]"))))
	f.Add(cat(clientFrame(0x82, make([]byte, 200)), clientFrame(0x82, make([]byte, 300))))
	f.Add(clientFrame(0x88, []byte{0x03, 0xE8}))
	f.Add(clientFrame(0x80, []byte("x")))
	f.Add(clientFrame(0xC1, []byte("x")))
	f.Add(clientFrame(0x89, make([]byte, 126)))
	f.Add([]byte{0x82, 0xFF, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4})
	f.Add([]byte{0x81, 0x01, 'x'})
	f.Add([]byte{0x81})

	const limit = 256
	f.Fuzz(func(t *testing.T, data []byte) {
		srvEnd, cliEnd := net.Pipe()
		h := Handler(ServerConfig{MaxMessageSize: limit}, func(tr wamp.Transport) {
			for {
				m, err := tr.ReadMessage()
				if err != nil {
					return
				}
				if len(m) > limit {
					t.Errorf("message of %d bytes over the limit %d", len(m), limit)
				}
			}
		})
		req := upgradeRequest()
		served := make(chan struct{})
		go func() {
			defer close(served)
			h.ServeHTTP(&pipeResponseWriter{header: http.Header{}, nc: srvEnd}, req)
		}()
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			_, _ = io.Copy(io.Discard, cliEnd) // the 101, pongs, the close frame
		}()
		_, _ = cliEnd.Write(data) // fails once the server gives up and closes
		_ = cliEnd.Close()
		<-served
		<-drained
	})
}
