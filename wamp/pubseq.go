package wamp

// PubSeqKey numbers publications that a forwarding publisher (the gateway's
// uplink, with its store-and-forward queue) may have to send more than once.
// In PUBLISH.Options and in EVENT.Details its value is [stream, seq], two
// IDs: stream names one queue of events (random, kept with the queue), seq
// counts the queue's events from 1. An event sent again, because its
// PUBLISHED was lost with the connection, carries the same pair.
//
// A router that knows the key delivers each (publisher, stream, seq)
// once and copies the pair into the EVENT's details; a subscriber that
// keeps the last seq of each stream drops the repeats that a router could
// not recognise (one restarted since the first copy). Routers and clients
// that do not know it ignore it, as the spec has them do with keys that
// start with "_"; delivery through them is at least once. The key has the
// spec's form for implementation-specific keys, _[a-z0-9_]{3,}.
const PubSeqKey = "_edgewamp_pubseq"

// PubSeq returns the [PubSeqKey] pair of d. ok is false when d has no such
// key; valid is false when the key is present but is not a pair of IDs.
func PubSeq(d Dict) (stream, seq ID, ok, valid bool) {
	if _, present := d[PubSeqKey]; !present {
		return 0, 0, false, true
	}
	var a, b any
	switch v := d[PubSeqKey].(type) {
	case List:
		if len(v) != 2 {
			return 0, 0, false, false
		}
		a, b = v[0], v[1]
	case []ID:
		if len(v) != 2 {
			return 0, 0, false, false
		}
		a, b = v[0], v[1]
	default:
		return 0, 0, false, false
	}
	stream, ok1 := ToID(a)
	seq, ok2 := ToID(b)
	if !ok1 || !ok2 || stream == 0 || seq == 0 {
		return 0, 0, false, false
	}
	return stream, seq, true, true
}
