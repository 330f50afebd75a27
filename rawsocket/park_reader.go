package rawsocket

import "sync"

// frameReaders holds the frame readers (each with its readBuf) that parked
// connections gave back: a parked connection holds no reader state at all
// (about 270 bytes of structs and callbacks), and takes a reader again when
// it next reads. Only TCP and Unix sockets, which are the ones that park,
// give theirs back.
var frameReaders sync.Pool

// reader returns c's frame reader, taking one from frameReaders (or making
// one) after a park. Only the reader may call it.
func (c *Conn) reader() *frameReader {
	if c.fr != nil {
		return c.fr
	}
	if r, ok := frameReaders.Get().(*frameReader); ok {
		r.max = c.maxRecv
		r.br.src, r.br.raw = c.nc, c.raw
		c.fr = r
	} else {
		c.fr = newFrameReader(c.nc, readBufferSize, c.maxRecv)
	}
	return c.fr
}

// dropReader gives c's frame reader back to frameReaders when it holds
// nothing: no unread octets, no buffer, no error to report. It is called
// by parkPoll after settle, before the park is visible to anyone else.
func (c *Conn) dropReader() {
	r := c.fr
	if r == nil || c.raw == nil || r.err != nil || r.discard != 0 || r.br.pend != nil || r.br.buf != nil || r.br.size != readBufferSize {
		return
	}
	c.fr = nil
	r.buf, r.max = nil, 0
	r.br.src, r.br.raw = nil, nil
	r.br.r, r.br.w = 0, 0
	frameReaders.Put(r)
}
