package wstransport

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
)

// batchBytes is how many bytes of frames WriteMessages gathers before one
// write: a batch of small messages costs one system call (and over TLS one
// record) instead of one per message.
const batchBytes = 64 << 10

// frameBufs holds the write buffers of WriteMessages between calls, so an
// idle connection keeps none.
var frameBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// appendFrameHeader appends the header of one final data frame of n
// payload bytes (RFC 6455, 5.2); a client's frame carries the masking key.
func appendFrameHeader(b []byte, op byte, n int, key *[4]byte) []byte {
	var maskBit byte
	if key != nil {
		maskBit = 0x80
	}
	switch {
	case n < 126:
		b = append(b, 0x80|op, maskBit|byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x80|op, maskBit|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|op, maskBit|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if key != nil {
		b = append(b, key[:]...)
	}
	return b
}

// appendMasked appends p XORed with key (RFC 6455, 5.3).
func appendMasked(b, p []byte, key *[4]byte) []byte {
	start := len(b)
	b = append(b, p...)
	maskBytes(b[start:], *key, 0)
	return b
}

// writeControl writes one control frame of type op, built in b (room for
// it, so that no allocation is made), masked on the client side. The caller
// holds c.wmu.
func (c *Conn) writeControl(b []byte, op byte, payload []byte) error {
	var key *[4]byte
	if c.keys != nil {
		var err error
		if key, err = c.keys.next(); err != nil {
			return err
		}
	}
	b = appendFrameHeader(b, op, len(payload), key)
	if key != nil {
		b = appendMasked(b, payload, key)
	} else {
		b = append(b, payload...)
	}
	_, err := c.nc.Write(b)
	return err
}

// maskKeys hands out masking keys from crypto/rand, read 16 keys at a time.
type maskKeys struct {
	buf [64]byte
	n   int // keys used of buf
}

// next returns the next key (RFC 6455 wants them unpredictable).
func (k *maskKeys) next() (*[4]byte, error) {
	if k.n == 0 || k.n == len(k.buf)/4 {
		if _, err := rand.Read(k.buf[:]); err != nil {
			return nil, err
		}
		k.n = 0
	}
	key := (*[4]byte)(k.buf[4*k.n:])
	k.n++
	return key, nil
}

// writeFrames writes msgs as data frames of type op, gathered into writes
// of up to batchBytes (a larger server message goes out in a write of its
// own, uncopied). keys is nil on the server side. The caller holds c.wmu.
func (c *Conn) writeFrames(msgs [][]byte, op byte, keys *maskKeys) error {
	bp := frameBufs.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() {
		if cap(buf) <= 2*batchBytes {
			*bp = buf[:0]
			frameBufs.Put(bp)
		}
	}()
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		_, err := c.nc.Write(buf)
		buf = buf[:0]
		return err
	}
	for _, m := range msgs {
		if len(buf) > 0 && len(buf)+len(m)+14 > batchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		if keys == nil {
			buf = appendFrameHeader(buf, op, len(m), nil)
			if len(m) > batchBytes {
				if err := flush(); err != nil {
					return err
				}
				if _, err := c.nc.Write(m); err != nil {
					return err
				}
				continue
			}
			buf = append(buf, m...)
			continue
		}
		key, err := keys.next()
		if err != nil {
			return err
		}
		buf = appendMasked(appendFrameHeader(buf, op, len(m), key), m, key)
	}
	return flush()
}
