package serialtransport

import (
	"bytes"
	"errors"
)

// Frame-level errors returned by [FrameDecoder.Next] for a dropped frame.
var (
	// ErrFrameCRC: the frame's CRC-16 does not match its payload (line noise).
	ErrFrameCRC = errors.New("serialtransport: frame CRC mismatch")
	// ErrFrameCOBS: the frame's COBS encoding is malformed, or it is too short
	// to hold a CRC.
	ErrFrameCOBS = errors.New("serialtransport: malformed COBS frame")
	// ErrFrameOversize: more bytes than the largest allowed frame came before
	// the next delimiter; they were discarded.
	ErrFrameOversize = errors.New("serialtransport: oversize frame")
)

// FrameOverhead returns the most bytes a frame adds to a payload of n bytes:
// the CRC, the COBS overhead and the 0x00 delimiter. It is safe for
// concurrent use.
func FrameOverhead(n int) int { return cobsMaxLen(n+2) - n + 1 }

// AppendFrame appends the frame carrying payload to dst: COBS(payload ‖
// CRC-16 big-endian) followed by 0x00. It does not allocate when dst has
// room for len(payload)+FrameOverhead(len(payload)) more bytes. It is safe
// for concurrent use.
func AppendFrame(dst, payload []byte) []byte {
	crc := CRC16(payload)
	w := newCOBSWriter(dst)
	w.write(payload)
	c := [2]byte{byte(crc >> 8), byte(crc)}
	w.write(c[:])
	return append(w.finish(), 0)
}

// appendFrame2 appends the frame whose payload is t ‖ b ‖ body (a DATA or
// ACK frame: b is the sequence number; PONG frames pass hasB false).
func appendFrame2(dst []byte, t FrameType, b byte, hasB bool, body []byte) []byte {
	h := [2]byte{byte(t), b}
	head := h[:1]
	if hasB {
		head = h[:2]
	}
	crc := crcUpdate(crcUpdate(0xFFFF, head), body)
	w := newCOBSWriter(dst)
	w.write(head)
	w.write(body)
	c := [2]byte{byte(crc >> 8), byte(crc)}
	w.write(c[:])
	return append(w.finish(), 0)
}

// FrameDecoder splits a byte stream into frames and checks them. It never
// holds more than the largest frame for maxPayload (the buffer is allocated
// once and never grows): longer runs are discarded up to the next delimiter.
// A FrameDecoder is not safe for concurrent use.
type FrameDecoder struct {
	buf        []byte // encoded bytes of the frame being received
	max        int    // largest encoded frame (without the delimiter)
	discarding bool   // an oversize frame is being skipped
}

// NewFrameDecoder returns a decoder for frames whose payload (type byte and
// body) is at most maxPayload bytes.
func NewFrameDecoder(maxPayload int) *FrameDecoder {
	max := cobsMaxLen(maxPayload + 2)
	return &FrameDecoder{buf: make([]byte, 0, max), max: max}
}

// Next consumes bytes from p up to the end of the first frame that ends in
// it and returns that frame's payload with the bytes of p not consumed yet.
// The payload aliases the decoder's buffer and stays valid until the next
// call. A frame that is malformed, fails its CRC or is too long is dropped:
// Next returns a nil payload and an error wrapping [ErrFrameCOBS],
// [ErrFrameCRC] or [ErrFrameOversize], and decoding resumes after its
// delimiter. When p holds no complete frame, Next keeps the partial frame,
// and returns a nil payload, nil error and an empty rest. Empty frames (two
// delimiters in a row) are skipped silently.
func (d *FrameDecoder) Next(p []byte) (payload, rest []byte, err error) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, 0)
		if i < 0 {
			d.take(p)
			return nil, nil, nil
		}
		d.take(p[:i])
		p = p[i+1:]
		if d.discarding {
			d.discarding = false
			d.buf = d.buf[:0]
			return nil, p, ErrFrameOversize
		}
		if len(d.buf) == 0 {
			continue
		}
		payload, err = d.check()
		d.buf = d.buf[:0]
		if err != nil {
			return nil, p, err
		}
		return payload, p, nil
	}
	return nil, nil, nil
}

// Reset drops a partial frame.
func (d *FrameDecoder) Reset() {
	d.buf = d.buf[:0]
	d.discarding = false
}

// take appends the non-delimiter bytes b to the frame, or discards them when
// the frame would grow over the limit.
func (d *FrameDecoder) take(b []byte) {
	if d.discarding {
		return
	}
	if len(d.buf)+len(b) > d.max {
		d.discarding = true
		d.buf = d.buf[:0]
		return
	}
	d.buf = append(d.buf, b...)
}

// check decodes the buffered frame in place and verifies its CRC.
func (d *FrameDecoder) check() ([]byte, error) {
	b, err := decodeCOBS(d.buf)
	if err != nil || len(b) < 2 {
		return nil, ErrFrameCOBS
	}
	n := len(b) - 2
	want := uint16(b[n])<<8 | uint16(b[n+1])
	if got := CRC16(b[:n]); got != want {
		return nil, ErrFrameCRC
	}
	return b[:n], nil
}
