package wamp

// SerializerByID returns the serializer with the given RawSocket code
// (1 JSON, 2 MessagePack, 3 CBOR unless built with edgewamp_nocbor) and
// whether there is one. It is safe for concurrent use.
func SerializerByID(id SerializerID) (Serializer, bool) {
	switch id {
	case SerializerJSON:
		return JSON, true
	case SerializerMsgPack:
		return MsgPack, true
	case SerializerCBOR:
		return cborAvailable, cborAvailable != nil
	}
	return nil, false
}

// SerializerByName returns the serializer named "json", "msgpack" or "cbor"
// (also accepted: the WebSocket subprotocol, "wamp.2.json", ...) and whether
// there is one; "cbor" is unknown in builds with the edgewamp_nocbor tag. It
// is safe for concurrent use.
func SerializerByName(name string) (Serializer, bool) {
	switch name {
	case "json", "wamp.2.json":
		return JSON, true
	case "msgpack", "wamp.2.msgpack":
		return MsgPack, true
	case "cbor", "wamp.2.cbor":
		return cborAvailable, cborAvailable != nil
	}
	return nil, false
}
