package wstransport

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/edgewamp/edgewamp/internal/growread"
)

// frameHeader is a WebSocket frame header (RFC 6455, 5.2).
type frameHeader struct {
	fin    bool
	rsv    byte
	op     byte
	masked bool
	key    [4]byte
	length uint64
	size   int // bytes of the header itself: 2 to 14
}

// parseFrameHeader decodes the frame header at the start of b. It returns
// need > len(b) when b holds only part of it (need is then how many bytes
// the header takes, as far as b tells).
func parseFrameHeader(b []byte) (h frameHeader, need int) {
	if len(b) < 2 {
		return h, 2
	}
	h = frameHeader{fin: b[0]&0x80 != 0, rsv: b[0] & 0x70, op: b[0] & 0x0F, masked: b[1]&0x80 != 0}
	need = 2
	switch l := b[1] & 0x7F; l {
	case 126:
		need += 2
	case 127:
		need += 8
	default:
		h.length = uint64(l)
	}
	if h.masked {
		need += 4
	}
	if len(b) < need {
		return h, need
	}
	switch need - 2 - 4*boolInt(h.masked) {
	case 2:
		h.length = uint64(binary.BigEndian.Uint16(b[2:4]))
	case 8:
		h.length = binary.BigEndian.Uint64(b[2:10]) &^ (1 << 63) // its most significant bit: refused by readHeader
	}
	if h.masked {
		copy(h.key[:], b[need-4:need])
	}
	h.size = need
	return h, need
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// maskBytes XORs p with key, p starting at offset pos of its frame's
// payload (RFC 6455, 5.3), eight bytes at a time. It both masks and unmasks.
func maskBytes(p []byte, key [4]byte, pos int) {
	k := key
	if pos&3 != 0 { // rotate the key so that p[0] meets key[pos%4]
		for i := range 4 {
			k[i] = key[(pos+i)&3]
		}
	}
	k32 := uint64(binary.LittleEndian.Uint32(k[:]))
	k64 := k32 | k32<<32
	i := 0
	for ; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(p[i:])^k64)
	}
	for ; i < len(p); i++ {
		p[i] ^= k[i&3]
	}
}

// readHeader reads the next frame header from c.br.
func (c *Conn) readHeader() (frameHeader, error) {
	b, err := c.br.Peek(2)
	if err != nil {
		return frameHeader{}, c.wrapReadErr(err)
	}
	h, need := parseFrameHeader(b)
	if need > len(b) {
		if b, err = c.br.Peek(need); err != nil {
			return frameHeader{}, c.wrapReadErr(err)
		}
		h, _ = parseFrameHeader(b)
		if b[1]&0x7F == 127 && b[2]&0x80 != 0 { // RFC 6455 5.2: the most significant bit must be 0
			return frameHeader{}, c.fail(closeProtocolError, fmt.Errorf("%w: 64-bit payload length with its most significant bit set", ErrProtocol))
		}
	}
	_, _ = c.br.Discard(h.size) // peeked: cannot fail
	return h, nil
}

// readMessage reads frames until a whole data message, answering pings on
// the way. A message of one frame that fits c.br's buffer is returned in
// place (unmasked there), without a copy; others are gathered in c.rbuf.
func (c *Conn) readMessage() ([]byte, error) {
	if cap(c.rbuf) > keepReadBuffer {
		c.rbuf = nil
	}
	buf := c.rbuf[:0]
	inMessage := false
	for {
		h, err := c.readHeader()
		if err != nil {
			return nil, err
		}
		if err := c.checkFrame(h, inMessage, len(buf)); err != nil {
			return nil, err
		}
		n := int(h.length) // fits: checked against the limits by checkFrame
		if h.op >= opClose {
			if err := c.control(h); err != nil {
				return nil, err
			}
			continue
		}
		if h.fin && !inMessage && n <= c.br.Size() {
			p, err := c.br.Peek(n)
			if err != nil {
				return nil, c.wrapReadErr(err)
			}
			_, _ = c.br.Discard(n)
			if h.masked {
				maskBytes(p, h.key, 0)
			}
			return p, nil
		}
		// The buffer grows with the bytes that arrive: a header
		// announcing a large frame costs what the peer really sends.
		start := len(buf)
		if buf, err = growread.Append(c.br, buf, n); err != nil {
			return nil, c.wrapReadErr(err)
		}
		if h.masked {
			maskBytes(buf[start:], h.key, 0)
		}
		if h.fin {
			c.rbuf = buf
			return buf, nil
		}
		inMessage = true
	}
}

// checkFrame applies the framing rules to a frame header: masking (clients
// mask, servers do not), reserved bits and opcodes, the place of
// continuation frames, the size of control frames and of the message so far
// (held bytes already read of it). A violation closes the connection.
func (c *Conn) checkFrame(h frameHeader, inMessage bool, held int) error {
	var bad string
	switch {
	case h.masked != c.server:
		bad = "frame masked by the server or unmasked by the client"
	case h.rsv != 0:
		bad = "reserved bits set"
	case h.op == opContinuation && !inMessage:
		bad = "continuation frame outside a message"
	case (h.op == opText || h.op == opBinary) && inMessage:
		bad = "new message inside a fragmented message"
	case h.op >= opClose && h.op <= opPong && (!h.fin || h.length > maxControlPayload):
		bad = "fragmented or oversized control frame"
	case h.op > opBinary && (h.op < opClose || h.op > opPong):
		return c.fail(closeProtocolError, fmt.Errorf("%w: reserved opcode %#x", ErrProtocol, h.op))
	case h.op <= opBinary && h.length > uint64(c.readLimit()-held):
		return c.fail(closeTooBig, fmt.Errorf("%w: over %d bytes", ErrMessageTooLarge, c.readLimit()))
	default:
		return nil
	}
	return c.fail(closeProtocolError, fmt.Errorf("%w: %s", ErrProtocol, bad))
}

// control handles a control frame whose header was just read: a ping is
// answered with a pong of the same payload, a pong is ignored, a close
// frame ends the reading (io.EOF; the close frame back is sent by Close).
func (c *Conn) control(h frameHeader) error {
	p, err := c.br.Peek(int(h.length)) // at most 125 bytes: fits any bufio buffer
	if err != nil {
		return c.wrapReadErr(err)
	}
	_, _ = c.br.Discard(len(p))
	switch h.op {
	case opClose:
		return c.wrapReadErr(io.EOF)
	case opPing:
		if h.masked {
			maskBytes(p, h.key, 0)
		}
		var frame [2 + 4 + maxControlPayload]byte
		c.wmu.Lock()
		err := c.writeControl(frame[:0], opPong, p)
		c.wmu.Unlock()
		if err != nil {
			return c.wrapReadErr(err)
		}
	}
	return nil
}

// frameReader returns the frame reader of a connection: br (a new reader
// of readBufferSize when nil or smaller: a control frame must fit) reset to
// read from nc, after the bytes already read from nc beyond the handshake
// (pending, not kept), and the reader of those (nil when none).
func frameReader(br *bufio.Reader, nc io.Reader, pending []byte) (*bufio.Reader, *prefixReader) {
	if br == nil || br.Size() < readBufferSize {
		br = bufio.NewReaderSize(nil, readBufferSize)
	}
	if len(pending) == 0 {
		br.Reset(nc)
		return br, nil
	}
	pre := &prefixReader{pre: bytes.Clone(pending), r: nc}
	br.Reset(pre)
	return br, pre
}

// readBufferSize is the size of a client's frame reader (and the least of a
// server's): messages up to it are returned from the buffer in place.
const readBufferSize = 4096

// prefixReader reads pre, then r.
type prefixReader struct {
	pre []byte
	r   io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	return p.r.Read(b)
}
