package serialtransport

import (
	"bytes"
	"errors"
)

// COBS (Consistent Overhead Byte Stuffing, Cheshire and Baker 1999) removes
// every 0x00 from a block so that 0x00 can delimit frames. The encoding is a
// sequence of groups: a code byte n (1..255) followed by n-1 non-zero data
// bytes; a group with n < 255 stands for its data followed by one 0x00, a
// group with n == 255 for its 254 data bytes alone, and the 0x00 implied by
// the very last group is not part of the data. The encoder is canonical (as
// the reference C code): when the input ends right after a full group, no
// empty group follows it.

// errCOBS reports a malformed COBS block (a 0x00 inside it, or a group that
// runs past its end).
var errCOBS = errors.New("malformed COBS")

// cobsMaxLen returns the largest encoded length of n input bytes.
func cobsMaxLen(n int) int { return n + n/254 + 1 }

// cobsWriter encodes a block given in several pieces.
type cobsWriter struct {
	dst    []byte
	codeAt int  // index of the current group's code byte
	code   byte // 1 + data bytes in the current group
	full   bool // the current group holds 254 bytes; open a new one on more input
}

func newCOBSWriter(dst []byte) cobsWriter {
	return cobsWriter{dst: append(dst, 0), codeAt: len(dst), code: 1}
}

// write encodes b.
func (w *cobsWriter) write(b []byte) {
	for len(b) > 0 {
		if w.full {
			w.closeGroup()
		}
		room := min(0xFF-int(w.code), len(b))
		i := bytes.IndexByte(b[:room], 0)
		if i < 0 {
			w.dst = append(w.dst, b[:room]...)
			w.code += byte(room)
			b = b[room:]
			w.full = w.code == 0xFF
			continue
		}
		w.dst = append(w.dst, b[:i]...)
		w.code += byte(i)
		w.closeGroup()
		b = b[i+1:]
	}
}

// closeGroup writes the current group's code and opens a new group.
func (w *cobsWriter) closeGroup() {
	w.dst[w.codeAt] = w.code
	w.codeAt = len(w.dst)
	w.dst = append(w.dst, 0)
	w.code = 1
	w.full = false
}

// finish writes the last group's code and returns the encoding.
func (w *cobsWriter) finish() []byte {
	w.dst[w.codeAt] = w.code
	return w.dst
}

// appendCOBS appends the COBS encoding of src to dst (no delimiter).
func appendCOBS(dst, src []byte) []byte {
	w := newCOBSWriter(dst)
	w.write(src)
	return w.finish()
}

// decodeCOBS decodes b in place and returns the decoded bytes (a prefix of
// b). It fails on an empty block, a 0x00 byte or a group that runs past the
// end.
func decodeCOBS(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, errCOBS
	}
	w, r := 0, 0
	for r < len(b) {
		code := int(b[r])
		if code == 0 || r+code > len(b) {
			return nil, errCOBS
		}
		r++
		if bytes.IndexByte(b[r:r+code-1], 0) >= 0 {
			return nil, errCOBS
		}
		w += copy(b[w:], b[r:r+code-1])
		r += code - 1
		if code != 0xFF && r < len(b) {
			b[w] = 0
			w++
		}
	}
	return b[:w], nil
}
