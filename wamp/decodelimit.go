package wamp

// Decoding is held to a heap budget in proportion to the message's length,
// so that what a peer makes a decoder hold grows with the bytes it sent:
// one byte of MessagePack or CBOR (an empty map) or two of JSON ({}) would
// otherwise cost a 48-byte map, and a chain of nested array headers each
// announcing the rest of the message would allocate a list of that length
// at every level. Each list and dict is charged its estimated heap before
// it is made (the announced length up front, or each element as it comes
// in JSON and indefinite-length CBOR); a message whose charges pass
// decodeAllowance fails as a protocol violation. Nesting is bounded apart
// (maxDepth).
const (
	// decodeBytesPerByte and decodeBaseBytes make decodeAllowance: a message
	// of n bytes may decode into 32·n + 64 KiB of lists and dicts (JSON,
	// which spends at least two bytes per element, counts n/2). Real data
	// stays well below: a dict {"temp": 21.5, "ts": 1712345678} costs 10
	// times its MessagePack bytes; one-entry dicts with one-letter keys
	// (82 times) are what a message can hold only a few hundred of.
	decodeBytesPerByte = 32
	decodeBaseBytes    = 64 << 10

	// Estimated heap of a list (its boxed slice header) and of each of its
	// elements (an interface); of a dict (its map header) and of each group
	// of up to 7 entries (a Swiss-table group of 8 slots of a string key
	// and an interface value, with its control word).
	listCost, listElemCost  = 24, 16
	dictCost, dictGroupCost = 48, 8 + 8*(16+16)
)

// decodeAllowance is the heap, in bytes, that a message of n bytes may
// decode into.
func decodeAllowance(n int) int { return decodeBaseBytes + decodeBytesPerByte*n }
