// Package growread reads a payload whose length a peer announced into a
// buffer that grows with the bytes that arrive, so that a header announcing
// a large frame costs what the peer really sends, not what it announces
// (RawSocket and WebSocket frames).
package growread

import "io"

// First is the room a payload is first given; the buffer then grows by as
// much as it holds (doubles) while bytes arrive.
const First = 16 << 10

// Append appends the next n bytes of src to buf and returns it. buf grows
// only when full: by First bytes, or by its length when larger, and never
// beyond the n bytes asked for. A stream that ends early returns what came
// and io.ErrUnexpectedEOF.
func Append(src io.Reader, buf []byte, n int) ([]byte, error) {
	end := len(buf) + n
	for len(buf) < end {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), len(buf)+min(end-len(buf), max(First, len(buf))))
			copy(nb, buf)
			buf = nb
		}
		k, err := src.Read(buf[len(buf):min(end, cap(buf))])
		buf = buf[:len(buf)+k]
		if err != nil && len(buf) < end {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
	}
	return buf, nil
}
