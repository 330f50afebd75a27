package peer

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/edgewamp/edgewamp/wamp"
)

// Shared is one encoded message that several connections send, such as an
// EVENT encoded once for all the subscribers of a subscription: each
// connection that queues it ([Conn.SendShared]) holds it until its writer
// has written it, the maker holds it until [Shared.Release], and its
// buffer goes back to a pool when the last one lets go. Send's own encode
// buffers are Shareds held once.
type Shared struct {
	b    []byte
	refs atomic.Int32
}

// sharedPool holds the Shareds no one holds.
var sharedPool = sync.Pool{New: func() any { return &Shared{b: make([]byte, 0, 512)} }}

// NewShared returns an empty Shared, held once by the caller.
func NewShared() *Shared {
	s := sharedPool.Get().(*Shared)
	s.refs.Store(1)
	return s
}

// Encode encodes m with ser into s, replacing what s held. Only the maker
// may call it, before s is sent.
func (s *Shared) Encode(ser wamp.Serializer, m wamp.Message) error {
	b, err := ser.AppendMessage(s.b[:0], m)
	s.b = b
	if err != nil {
		return fmt.Errorf("peer: encode %v: %w", m.Type(), err)
	}
	return nil
}

// Release lets go of the maker's hold; s must not be used afterwards.
func (s *Shared) Release() {
	switch n := s.refs.Add(-1); {
	case n < 0:
		// A second release would pool a buffer still queued somewhere:
		// another message would overwrite it.
		panic("peer: Shared released more often than held")
	case n == 0 && cap(s.b) <= maxPooledBuffer: // bigger ones are left to the collector
		s.b = s.b[:0]
		sharedPool.Put(s)
	}
}

// SendShared queues s, a message encoded with c.Serializer(), holding it
// until it is written; the caller keeps its own hold. Errors as for
// [Conn.Send]. Safe for concurrent use.
func (c *Conn) SendShared(s *Shared) error {
	if len(s.b) > c.t.MaxMessageSize() {
		return fmt.Errorf("%w (%d > %d bytes)", ErrTooLarge, len(s.b), c.t.MaxMessageSize())
	}
	s.refs.Add(1)
	c.mu.Lock()
	err := c.enqueueLocked(item{b: s.b, sh: s})
	c.mu.Unlock()
	if err != nil {
		s.Release()
	}
	return err
}
