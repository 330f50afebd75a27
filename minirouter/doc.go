// Package minirouter is a small WAMP v2 router for gateways and embedding:
// realms, each with a broker and a dealer, with authentication and
// authorization. It has one way in for a transport, [Router.Attach], which
// takes any [wamp.Transport] past its handshake, and [Router.Connect] for
// in-process sessions. It knows nothing of sockets: package listen accepts
// RawSocket, WebSocket and serial connections, runs their handshakes under
// limits and attaches them.
//
// # Walkthrough
//
// [New] takes a [Config] whose zero value is a router with one realm,
// "realm1", open to anonymous sessions. Each connection gets one reader
// goroutine and a peer.Conn whose writer runs only while something is
// queued. A session idle for a moment gives its reader up when its
// transport is a [wamp.Parker] (RawSocket and WebSocket over TCP and Unix
// sockets and over TLS): the transport runs the session's resume on a
// fresh goroutine when input comes (session.go: run, resume), so on Linux
// an idle session holds no goroutine (elsewhere one with a small stack);
// sessions over serial links and pipes keep their reader. [Router.Attach] holds no goroutine of
// the caller's. The reader waits for HELLO (within
// Config.HelloTimeout), authenticates the client (auth.go: anonymous, or
// ticket, WAMP-CRA plain or salted, cryptosign and TLS client certificates
// for the realm's RealmConfig.Users, within the same deadline; failures
// throttled per source address in throttle.go, unknown principals given a
// decoy challenge), answers WELCOME, and then handles each message in turn:
// broker.go (subscribe, publish; retain.go, dedup.go, the event history of
// history*.go), dealer.go (register, call, yield, cancel, timeouts;
// progressive.go for a caller that streams its input), each request first
// checked against the realm's RealmConfig.Permissions (authz.go), with the
// routing tables of match.go (exact URIs in maps, prefixes by length,
// wildcards in a trie by URI component). The router answers the meta
// procedures itself (meta.go, metakill.go, revoke.go, testament.go,
// historyquery.go) and publishes the meta events. A payload in passthru
// mode (passthru.go: ppt_* options, one opaque Arguments item, e.g. end-to-
// end encrypted) is forwarded untouched.
// Anything illegal in the session's state is answered with ABORT
// wamp.error.protocol_violation and ends only that session.
//
// WELCOME announces exactly the features implemented:
//
//	broker: event_history, event_retention, pattern_based_subscription,
//	        payload_passthru_mode, publisher_exclusion,
//	        publisher_identification, session_meta_api,
//	        subscriber_blackwhite_listing, subscription_meta_api,
//	        subscription_revocation
//	dealer: call_canceling, call_timeout, caller_identification,
//	        pattern_based_registration, payload_passthru_mode,
//	        progressive_call_invocations, progressive_call_results,
//	        registration_meta_api, registration_revocation, session_meta_api,
//	        shared_registration, testament_meta_api
//
// # Limits
//
// Every bound is in Config or RealmConfig with a default, answered per spec
// when hit and counted in [Stats]: sessions per router and per realm (ABORT
// wamp.error.unavailable), subscriptions, registrations and pending calls
// per session (ERROR wamp.error.unavailable), a publish rate per session
// (the reader slows down; nothing is dropped), and the retained events and
// the event history per realm. The transports' bounds (pending handshakes, connections per source
// address) are the listeners'.
//
// # Uplink
//
// Package uplink bridges one realm of a router to an upstream router. The
// router exports what it needs and imports no client: [Router.Connect] for
// its local in-process session, and [Router.WatchRegistrations] with
// [Router.Registrations] to follow the registrations it exports: the dealer
// kicks a 1-slot channel under realm.mu whenever a registration appears or
// goes, and the uplink reads a snapshot and reconciles, so nothing is missed
// and nothing blocks the dealer.
//
// # Slow consumers
//
// Sending never blocks: every message goes through the session's bounded
// queue (peer.Conn.Send). When it is full, an EVENT is dropped and counted
// (per session and in [Stats.EventsDropped], logged at most once a second
// per realm) or, with the realm's "disconnect" policy, the session is ended;
// an INVOCATION fails the call at once with ERROR wamp.error.unavailable to
// the caller; and a RESULT or ERROR (or any answer to a session's own
// request) is never silently lost: that session is ended with a logged,
// counted reason ([Stats.SlowDisconnects]). An EVENT is encoded once per
// (subscription, serializer) and the same bytes are queued to every
// subscriber.
//
// # How a session ends
//
// Every end has one typed reason (close.go): goodbye, refused (with its
// kinds: authentication failed, throttled, a limit), protocol violation,
// timeout, slow consumer, transport error or killed. The first reason
// decided wins (session.decide), and Router.closed derives the counters
// of [Stats] and the one log line of the end from it, before the client
// can see the end. A session ended from outside its reader (a slow
// consumer, a kill whose GOODBYE cannot be queued) is closed by
// session.close; its reader then removes it. Lines a flood would repeat
// (drops, denials, violations, failed authentications) go through one
// throttled logger: at most one a second per kind and realm.
//
// # Concurrency and lock order
//
// Router state is guarded by mutexes, not owned by goroutines. There are
// two levels, always taken in this order:
//
//  1. Router.mu: the connection and session indexes.
//  2. realm.mu (one per realm): the realm's routing tables and, for each
//     session of the realm, its subscriptions, registrations and pending
//     calls (the session fields marked "guarded by realm.mu").
//
// A goroutine holding realm.mu never takes Router.mu, writes a log line
// or closes a connection: those go to the router's offload goroutine,
// which runs only while such work is queued. The session's
// reader goroutine takes realm.mu for the time it takes to route one
// message; call-timeout timers take it too. Messages are queued with the
// lock held, which is fine because queueing never blocks (no lock is held
// during I/O: the peer.Conn writer goroutine writes with no router lock).
// Counters are atomic. All Router methods are safe for concurrent use.
package minirouter
