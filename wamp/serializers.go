package wamp

// SerializerByID returns the serializer with the given RawSocket code
// (1 JSON, 2 MessagePack) and whether there is one. It is safe for concurrent use.
func SerializerByID(id SerializerID) (Serializer, bool) {
	switch id {
	case SerializerJSON:
		return JSON, true
	case SerializerMsgPack:
		return MsgPack, true
	}
	return nil, false
}

// SerializerByName returns the serializer named "json" or "msgpack" (also
// accepted: the WebSocket subprotocol, "wamp.2.json", "wamp.2.msgpack") and
// whether there is one. It is safe for concurrent use.
func SerializerByName(name string) (Serializer, bool) {
	switch name {
	case "json", "wamp.2.json":
		return JSON, true
	case "msgpack", "wamp.2.msgpack":
		return MsgPack, true
	}
	return nil, false
}
