package wamp

import (
	"math/rand/v2"
	"sync/atomic"
)

// NewGlobalID returns an ID drawn uniformly at random from [1, 2^53], the
// spec's global scope (session and publication IDs). It is safe for
// concurrent use. The caller checks for collisions where uniqueness matters.
func NewGlobalID() ID {
	return ID(rand.Uint64N(uint64(MaxID))) + 1
}

// RequestIDs hands out sequential IDs for the spec's session scope (request
// IDs in one direction): 1, 2, 3, ... up to 2^53, then 1 again. The zero
// value is ready to use; it is safe for concurrent use and must not be copied
// after first use.
type RequestIDs struct {
	_    [0]func() // not comparable: no equality function to link
	last atomic.Uint64
}

// Next returns the next ID.
func (r *RequestIDs) Next() ID {
	for {
		old := r.last.Load()
		next := old + 1
		if next > uint64(MaxID) {
			next = 1
		}
		if r.last.CompareAndSwap(old, next) {
			return ID(next)
		}
	}
}
