package minirouter

import "sync/atomic"

// Stats is a snapshot of a router's counters, as returned by [Router.Stats].
// Every counter is cumulative since [New] except Sessions. It is plain data,
// safe to share; each field is read atomically, but the snapshot as a whole
// is not (counters may move between two fields' reads).
type Stats struct {
	Sessions           uint64 // sessions joined now
	SessionsTotal      uint64 // sessions ever welcomed
	MessagesIn         uint64 // messages received from sessions (after decoding)
	MessagesOut        uint64 // messages queued to sessions
	EventsDropped      uint64 // EVENTs not delivered because a subscriber's queue was full (or the event too large for it)
	InvocationsRefused uint64 // CALLs failed with wamp.error.unavailable because the callee's queue was full
	ProtocolViolations uint64 // sessions aborted with wamp.error.protocol_violation
	SlowDisconnects    uint64 // sessions ended because their outbound queue was full (slow caller, or "disconnect" policy)
	CallsTimedOut      uint64 // CALLs ended by their options.timeout
	HandshakeFailures  uint64 // connections that sent no valid HELLO (a listener counts failed transport handshakes)
	// PublicationsDeduplicated counts PUBLISHes acknowledged but not
	// delivered because they repeated a numbered publication (see
	// [PubSeqOption]).
	PublicationsDeduplicated uint64
	// RetainRefused counts events published with retain that were
	// delivered but not retained: the realm's retention budget was full.
	RetainRefused uint64
	// TestamentsPublished counts testaments published for ended sessions.
	TestamentsPublished uint64
	// StreamChunksDropped counts progressive CALLs (a streamed call's
	// input) dropped because their call had already ended.
	StreamChunksDropped uint64
	// AuthorizationDenials counts requests refused by a realm's
	// permissions (answered wamp.error.not_authorized, or for a PUBLISH
	// without acknowledge, not delivered).
	AuthorizationDenials uint64
	// AuthFailures counts failed authentications (wrong secret or
	// signature, unknown principal).
	AuthFailures uint64
	// AuthThrottled counts HELLOs refused unchecked because their source
	// failed to authenticate too often (Config.AuthFailureBurst).
	AuthThrottled uint64
	// LimitRefusals counts HELLOs, SUBSCRIBEs and REGISTERs refused by a
	// limit (sessions per router or realm, subscriptions or registrations
	// per session).
	LimitRefusals uint64
	// PublishesPaced counts PUBLISHes read late to hold their session to
	// its realm's PublishRate.
	PublishesPaced uint64
	// RequestsHeld counts requests read late because their session's
	// outbound queue was more than half full of answers it had not read
	// yet (a client pipelining requests; see [Config].Peer).
	RequestsHeld uint64
	// PublishesRefused counts PUBLISHes without acknowledge that were
	// refused (invalid or reserved topic, malformed options), so not
	// delivered; with acknowledge the publisher gets an ERROR instead.
	// Authorization denials are in AuthorizationDenials.
	PublishesRefused uint64
	// BudgetRefusals counts HELLOs, AUTHENTICATEs and requests refused by
	// a memory budget (see [Budgets]); LongURIs counts requests refused
	// for a URI longer than Budgets.MaxURILength. MemoryHeld is the
	// memory, in bytes, the budgets charge to the sessions joined now.
	BudgetRefusals, LongURIs uint64
	MemoryHeld               uint64
}

// counters holds the router's live counters. Safe for concurrent use.
type counters struct {
	sessions             atomic.Int64
	sessionsTotal        atomic.Uint64
	messagesIn           atomic.Uint64
	messagesOut          atomic.Uint64
	eventsDropped        atomic.Uint64
	invocationsRefused   atomic.Uint64
	protocolViolations   atomic.Uint64
	slowDisconnects      atomic.Uint64
	callsTimedOut        atomic.Uint64
	handshakeFailures    atomic.Uint64
	deduplicated         atomic.Uint64
	retainRefused        atomic.Uint64
	testaments           atomic.Uint64
	streamChunksDropped  atomic.Uint64
	authorizationDenials atomic.Uint64
	authFailures         atomic.Uint64
	authThrottled        atomic.Uint64
	limitRefusals        atomic.Uint64
	publishesPaced       atomic.Uint64
	requestsHeld         atomic.Uint64
	publishesRefused     atomic.Uint64
	budgetRefusals       atomic.Uint64
	longURIs             atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Sessions:           uint64(max(c.sessions.Load(), 0)),
		SessionsTotal:      c.sessionsTotal.Load(),
		MessagesIn:         c.messagesIn.Load(),
		MessagesOut:        c.messagesOut.Load(),
		EventsDropped:      c.eventsDropped.Load(),
		InvocationsRefused: c.invocationsRefused.Load(),
		ProtocolViolations: c.protocolViolations.Load(),
		SlowDisconnects:    c.slowDisconnects.Load(),
		CallsTimedOut:      c.callsTimedOut.Load(),
		HandshakeFailures:  c.handshakeFailures.Load(),

		PublicationsDeduplicated: c.deduplicated.Load(),
		RetainRefused:            c.retainRefused.Load(),
		TestamentsPublished:      c.testaments.Load(),
		StreamChunksDropped:      c.streamChunksDropped.Load(),
		AuthorizationDenials:     c.authorizationDenials.Load(),
		AuthFailures:             c.authFailures.Load(),
		AuthThrottled:            c.authThrottled.Load(),
		LimitRefusals:            c.limitRefusals.Load(),
		PublishesPaced:           c.publishesPaced.Load(),
		RequestsHeld:             c.requestsHeld.Load(),
		PublishesRefused:         c.publishesRefused.Load(),
		BudgetRefusals:           c.budgetRefusals.Load(),
		LongURIs:                 c.longURIs.Load(),
	}
}

// Stats returns a snapshot of the router's counters. Safe for concurrent use.
func (r *Router) Stats() Stats {
	r.mu.Lock() // admit counts a session under it, with its WELCOME queued
	defer r.mu.Unlock()
	st := r.stats.snapshot()
	st.MemoryHeld = uint64(r.budget.heldNow())
	return st
}
