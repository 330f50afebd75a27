package wamp

// ID identifies sessions, publications, subscriptions, registrations and
// requests. Valid IDs are integers in [1, 2^53] (the spec's range, so that
// JavaScript peers can hold them exactly); 0 means "none".
type ID uint64

// MaxID is the largest valid ID, 2^53.
const MaxID ID = 1 << 53

// URI names a realm, topic, procedure or error, e.g. "com.example.add2".
// See ValidURI and the matching functions for the rules.
type URI string

// Dict is a WAMP dictionary: options, details and keyword arguments.
//
// Values decoded from the wire are of the types: nil, bool, int64, uint64
// (only for integers above math.MaxInt64), float64, string, []byte, List and
// Dict. Encoders also accept the other Go integer and float types, ID, URI,
// []string, map[string]string, []Dict and time.Time (as an RFC 3339 string),
// all without reflection. Any other Go type (a struct, a map of another type,
// json.RawMessage in JSON) goes through encoding/json or msgpack.Marshal of
// github.com/vmihailenco/msgpack/v5, or is an encoding error naming the type
// in builds with the edgewamp_nomarshal tag, which link neither.
type Dict = map[string]any

// List is a WAMP list: positional arguments. Its values follow the same rules
// as Dict's.
type List = []any
