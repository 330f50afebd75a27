// Package wamp is the protocol core of edgewamp: WAMP v2 messages as typed
// values, the JSON, MessagePack and CBOR serializers, IDs, URIs (validation and
// exact/prefix/wildcard matching), the standard error URIs as Go errors, role
// and feature announcements, the Transport interface that every transport
// (RawSocket, serial link, WebSocket, in-process pipe) implements, and the
// [Dialer] signature with which each transport package opens one from a URL.
//
// The package does no I/O and uses neither reflection nor regexp on the
// per-message path.
//
// # Messages
//
// Each WAMP message is a pointer to a struct ([*Publish], [*Call], ...) that
// implements [Message]; its doc comment gives the wire shape. User data
// travels in [Payload] (Args, Kwargs); options and details are [Dict]s. On
// the wire, Args and Kwargs are sent only when needed (Kwargs non-empty: both,
// with [] for nil Args; Args non-empty: Args alone; else neither), and a nil
// Dict is sent as {}.
//
// # Serializers
//
// [JSON], [MsgPack] and [CBOR] implement [Serializer]; [SerializerByID] and
// [SerializerByName] pick one from a RawSocket handshake code (1, 2, 3) or a
// WebSocket subprotocol ("wamp.2.json", "wamp.2.msgpack", "wamp.2.cbor").
// Each message type lists its own fields in wire order, once for both
// directions (message_session.go, message_pubsub.go, message_rpc.go), and
// plumbing all serializers share carries them (codec.go, coder.go), so they
// accept and produce the same messages:
//
//	buf, err := wamp.MsgPack.AppendMessage(buf[:0], &wamp.Publish{
//		Request: ids.Next(), Topic: "com.example.temp",
//		Payload: wamp.Payload{Args: wamp.List{21.5}},
//	})
//	m, err := wamp.JSON.DecodeMessage(frame) // err wraps ErrProtocolViolation on bad input
//
// Decoded values follow the value model documented on [Dict]: nil, bool,
// int64 (uint64 only above math.MaxInt64), float64, string, []byte, List and
// Dict. Binary data survives JSON by the spec's rule ("\u0000" + base64),
// stays a bin in MessagePack and a byte string in CBOR. The CBOR decoder takes
// definite and indefinite lengths and half-precision floats, and refuses tags,
// unassigned simple values, duplicate or non-text keys and invalid UTF-8 (see
// [CBOR]). Decoders check every field's type (IDs are
// integers in [0, 2^53], URIs strings, Options and Details dicts, Arguments a
// list, ArgumentsKw a dict) and the field count, limit nesting to 64 levels,
// and never panic on any input (all are fuzzed; MessagePack and CBOR also
// against a second implementation, in tests only). Encoding a message into a
// caller's buffer allocates nothing for values in the value model; Dict keys
// are written in sorted order (CBOR's deterministic order in CBOR), so a
// message always encodes to the same bytes. Go types outside the value model
// fall back to encoding/json and github.com/vmihailenco/msgpack/v5 (CBOR: the
// value encoding/json gives them); the build tag edgewamp_nomarshal makes
// them an encoding error instead, so that a small binary links neither (the
// MessagePack and CBOR codecs of the value model are the package's own). The
// build tag edgewamp_nocbor leaves CBOR out (CBOR is then nil). Decoding a
// message of n bytes makes at most about 32·n + 64 KiB of lists and dicts
// (a longer one fails as a protocol violation), unless the build tag
// edgewamp_nodecodebudget leaves that bound out.
//
// Payload passthru mode (an opaque binary payload in place of Arguments) has
// no representation in [Payload]; such messages are rejected as protocol
// violations.
//
// # IDs, URIs, options and features
//
// [NewGlobalID] draws session and publication IDs; [RequestIDs] counts
// request IDs per direction. [ValidURI] applies the spec's loose or strict
// rules; [MatchPolicy], [MatchPrefix], [MatchWildcard] and [URIComponents]
// serve subscription and registration matching. The Opt helpers ([OptInt],
// [OptID], [OptString], ...) read Options and Details whatever numeric type a
// serializer produced. [ClientRoles], [BuildRoles], [HasRole] and
// [HasFeature] build and read the "roles" announcements of HELLO and WELCOME.
//
// # Errors
//
// A WAMP error URI is an [*Error]; errors.Is matches by URI, so
//
//	errors.Is(err, wamp.ErrNoSuchProcedure)
//
// holds for any error wrapping an *Error with that URI. [ErrorMessage.Err]
// turns a received ERROR into one.
//
// Everything exported here is safe for concurrent use unless its doc comment
// says otherwise; messages and dicts are plain values that must not be
// modified while another goroutine encodes them.
package wamp
