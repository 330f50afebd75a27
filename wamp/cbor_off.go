//go:build edgewamp_nocbor

package wamp

// CBOR is nil in builds with the edgewamp_nocbor tag, which leave the CBOR
// serializer out; SerializerByID and SerializerByName do not find it.
var CBOR Serializer

var cborAvailable Serializer
