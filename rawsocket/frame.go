package rawsocket

import (
	"fmt"
	"io"

	"github.com/edgewamp/edgewamp/internal/growread"
)

// Every message is a frame: a 4-octet header, then the payload
// (WAMP spec, "RawSocket Transport", Framing):
//
//	RRRR XTTT  LLLL LLLL  LLLL LLLL  LLLL LLLL
//
// RRRR are reserved and must be zero. TTT is the frame type: 0 a regular
// WAMP message, 1 PING, 2 PONG, 3-7 reserved. The 24 L bits are the payload
// length; X is a 25th length bit, set only for a payload of exactly 2^24
// octets, with all L bits zero.

// frameType is the TTT field of a frame header.
type frameType uint8

// Frame types.
const (
	frameMessage frameType = 0
	framePing    frameType = 1
	framePong    frameType = 2
)

const (
	headerSize    = 4
	maxFrameLen   = 1 << 24 // the largest payload a header can carry
	extraLenBit   = 0x08    // X in the first octet
	typeBits      = 0x07    // TTT in the first octet
	reservedBits  = 0xF0    // RRRR in the first octet
	len24Mask     = 1<<24 - 1
	maxRetainRead = 64 << 10 // a larger read buffer is dropped after use
)

// putHeader writes the header of a frame of type t and payload length n
// (0 <= n <= maxFrameLen) into b[:4].
func putHeader(b []byte, t frameType, n int) {
	h := uint8(t)
	if n == maxFrameLen {
		h |= extraLenBit
	}
	_ = b[3]
	b[0] = h
	b[1] = byte(n >> 16)
	b[2] = byte(n >> 8)
	b[3] = byte(n)
}

// parseHeader decodes a frame header. It rejects reserved bits, reserved
// frame types and a misused 25th length bit.
func parseHeader(b []byte) (frameType, int, error) {
	_ = b[3]
	h := b[0]
	if h&reservedBits != 0 {
		return 0, 0, fmt.Errorf("%w: frame header octet 0x%02x", ErrReservedBits, h)
	}
	t := frameType(h & typeBits)
	if t > framePong {
		return 0, 0, fmt.Errorf("%w: reserved frame type %d", ErrReservedBits, t)
	}
	n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if h&extraLenBit != 0 {
		if n != 0 {
			return 0, 0, fmt.Errorf("%w: 25th length bit set with length %d", ErrBadFrame, n)
		}
		n = maxFrameLen
	}
	return t, n, nil
}

// frameReader reads frames from a buffered stream. Not safe for concurrent
// use: it belongs to the connection's reader.
type frameReader struct {
	br      *readBuf
	max     int    // the largest payload accepted
	buf     []byte // holds payloads larger than br's buffer
	discard int    // octets of the previous frame still in br, to skip
	err     error  // sticky: the stream broke inside a frame
}

func newFrameReader(r io.Reader, bufSize, max int) *frameReader {
	if detachable && bufSize == readBufferSize {
		if fr := reuseFrameReader(r, max); fr != nil {
			return fr
		}
	}
	return &frameReader{br: newReadBuf(r, bufSize), max: max}
}

// settle skips the previous frame's octets and gives the buffer back when
// it is empty. It invalidates the payload next returned last.
func (r *frameReader) settle() {
	if r.discard > 0 {
		r.br.discard(r.discard) // cannot fail: the octets were peeked
		r.discard = 0
	}
	r.br.release()
}

// ready reports whether waitInput would return at once: octets of the
// next frame (or an error) are already there.
func (r *frameReader) ready() bool {
	return r.err != nil || r.br.pend != nil || r.br.buffered() > r.discard
}

// waitInput waits (under the read deadline) until the next frame's octets
// start to arrive, reading them into the buffer: see readBuf.waitInput. It
// invalidates the payload next returned last.
// With poll, it only looks: see readBuf.waitInput.
func (r *frameReader) waitInput(poll bool) bool {
	if r.err != nil {
		return true
	}
	r.settle()
	return r.br.waitInput(poll)
}

// next reads the next frame and returns its type and payload. The payload
// stays valid until the next call. A frame over the limit is an error
// wrapping ErrMessageTooLarge, with nothing of its payload read. A stream
// that ends between frames returns io.EOF; one that ends inside a frame
// returns io.ErrUnexpectedEOF.
func (r *frameReader) next() (frameType, []byte, error) {
	if r.err != nil {
		return 0, nil, r.err
	}
	if r.discard > 0 {
		r.br.discard(r.discard) // cannot fail: the octets were peeked
		r.discard = 0
	}
	r.br.release() // when empty: an idle connection holds no read buffer
	hdr, err := r.br.peek(headerSize)
	if err != nil {
		if err == io.EOF && len(hdr) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	t, n, err := parseHeader(hdr)
	if err != nil {
		r.err = err
		return 0, nil, err
	}
	if n > r.max {
		r.err = fmt.Errorf("%w: received %d octets, limit %d", ErrMessageTooLarge, n, r.max)
		return 0, nil, r.err
	}
	r.br.discard(headerSize) // cannot fail: the octets were peeked
	if n <= r.br.size {
		// Small payload: hand out the buffered octets without copying.
		if cap(r.buf) > maxRetainRead {
			r.buf = nil
		}
		p, err := r.br.peek(n)
		if err != nil {
			return 0, nil, r.broken(err)
		}
		r.discard = n
		return t, p, nil
	}
	// The buffer grows with the octets that arrive: a header announcing a
	// large frame costs what the peer really sends.
	p, err := growread.Append(r.br, r.buf[:0], n)
	r.buf = p
	if err != nil {
		return 0, nil, r.broken(err)
	}
	return t, p, nil
}

// broken records err, met inside a frame, as the reader's sticky error: the
// stream cannot be resynchronised.
func (r *frameReader) broken(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	r.err = fmt.Errorf("rawsocket: stream broken inside a frame: %w", err)
	return r.err
}
