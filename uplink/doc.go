// Package uplink bridges one realm of a [minirouter.Router] to an upstream
// router, as a gateway does: [New] takes the router and a [Config] of rules,
// and [Uplink.Run] keeps the bridge up.
//
// Inside, the uplink is two device clients. A local in-process session
// (minirouter's Router.ConnectPeerSink, whose EVENTs local.go takes from
// the broker unencoded and moves into the store-and-forward queue: at once,
// or through a bounded hand-off when the queue has a journal) subscribes
// to the Publish rules and registers the Import rules; a device.Client
// with reconnection on subscribes upstream to the Subscribe rules,
// registers the exported
// procedures and publishes the queued events (window.go: in order, up to a
// window of them in flight, each leaving the queue (queue.go) once
// acknowledged; numbered with wamp.PubSeqKey so that a resent one is
// delivered once, by an upstream that knows the numbering and, across the
// uplink's reconnections, only when Config.Auth gives it an authid; kept in
// a journal file of checked records when Config.QueueFile is set,
// journal.go).
// The exported procedures follow the local realm's registrations through
// Router.WatchRegistrations and Router.Registrations (export.go):
// level-triggered, so nothing is missed and nothing blocks the dealer, and
// listed once the changes settle, so that a join storm is listed a few
// times a second rather than once per registration. Rules rewrite URIs by
// prefix or exactly (rule.go). A call whose caller streams its input
// (progressive call invocations) crosses either way as a stream, chunk by
// chunk, with the callee's progressive results coming back as they go
// (stream.go).
package uplink
