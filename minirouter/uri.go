package minirouter

import (
	"math/rand/v2"
	"strings"

	"github.com/edgewamp/edgewamp/wamp"
)

// validURI checks u with the loose URI rules: components are non-empty
// (unless allowEmpty) and hold no whitespace, '.' or '#'.
func validURI(u wamp.URI, strict, allowEmpty bool) bool {
	_ = strict
	if u == "" {
		return false
	}
	for comp := range strings.SplitSeq(string(u), ".") {
		if comp == "" && !allowEmpty {
			return false
		}
		if strings.ContainsAny(comp, " \t\n\r#") {
			return false
		}
	}
	return true
}

// newGlobalID returns a random ID in [1, 2^53].
func newGlobalID() wamp.ID { return wamp.ID(rand.Uint64N(uint64(wamp.MaxID)) + 1) }
