// Package wamp is the protocol core of edgewamp: WAMP v2 messages as typed
// values, the JSON and MessagePack serializers, IDs, URIs (validation and
// exact/prefix/wildcard matching), the standard error URIs as Go errors, role
// and feature announcements, and the Transport interface that every transport
// (RawSocket, serial link, WebSocket, in-process pipe) implements.
//
// The package does no I/O and uses neither reflection nor regexp on the
// per-message path.
package wamp
