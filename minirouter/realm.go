package minirouter

import (
	"cmp"
	"fmt"
	"sync"

	"github.com/edgewamp/edgewamp/wamp"
)

// realm is one routing domain: a broker and a dealer sharing one mutex.
// All routing state of its sessions (their subscriptions, registrations and
// pending calls) is guarded by mu; see the lock order in doc.go.
type realm struct {
	r              *Router
	name           wamp.URI
	disconnectSlow bool // SlowConsumer == "disconnect"
	auth           *realmAuth
	authz          *authorizer // nil: everything allowed
	maxSessions    int         // RealmConfig.MaxSessions (0: the router's)
	publishRate    float64     // RealmConfig.PublishRate
	publishBurst   int         // RealmConfig.PublishBurst
	sessions       int         // sessions joined now; guarded by the router's mu

	mu      sync.Mutex                 // protects the following (and the routing fields of its sessions)
	subs    *table[*subscription]      // broker: subscriptions by (topic, match)
	subByID map[wamp.ID]*subscription  // broker: subscriptions by ID
	regs    *table[*registration]      // dealer: registrations by (procedure, match)
	regByID map[wamp.ID]*registration  // dealer: registrations by ID
	watch   map[chan struct{}]struct{} // 1-slot channels kicked when registrations change (the uplink)
	members map[wamp.ID]*session       // joined sessions, for the session meta API
	dedup   dedupTable                 // broker: last seq of numbered publication streams
	// tablesPeak is the most entries subByID and regByID held since they
	// were last rebuilt (see shrink.go).
	tablesPeak int

	retained         map[wamp.URI]*retainedEvent // broker: retained events by topic
	retainedBytes    int                         // their sizes' sum
	maxRetained      int                         // RealmConfig.MaxRetained
	maxRetainedBytes int                         // RealmConfig.MaxRetainedBytes

	hist *history // broker: event history; nil without rules

	scratch eventScratch // broker: the EVENT publications fill in turn
}

func newRealm(r *Router, rc RealmConfig) (*realm, error) {
	rl := &realm{
		r:       r,
		name:    rc.Name,
		subs:    newTable[*subscription](),
		subByID: make(map[wamp.ID]*subscription),
		regs:    newTable[*registration](),
		regByID: make(map[wamp.ID]*registration),
		watch:   make(map[chan struct{}]struct{}),

		members: make(map[wamp.ID]*session),

		maxSessions:      rc.MaxSessions,
		publishRate:      rc.PublishRate,
		publishBurst:     cmp.Or(rc.PublishBurst, int(rc.PublishRate)),
		maxRetained:      cmp.Or(rc.MaxRetained, DefaultMaxRetained),
		maxRetainedBytes: cmp.Or(rc.MaxRetainedBytes, DefaultMaxRetainedBytes),
	}
	ra, err := newRealmAuth(rc)
	if err != nil {
		return nil, err
	}
	if rl.authz, err = newAuthorizer(rc.Permissions); err != nil {
		return nil, fmt.Errorf("minirouter: realm %s: %w", rc.Name, err)
	}
	rl.auth = ra
	switch rc.SlowConsumer {
	case "", SlowConsumerDrop:
	case SlowConsumerDisconnect:
		rl.disconnectSlow = true
	default:
		return nil, fmt.Errorf("minirouter: realm %q: unknown slow consumer policy %q", rc.Name, rc.SlowConsumer)
	}
	if err := rl.startHistory(rc); err != nil {
		return nil, err
	}
	return rl, nil
}

// detach removes s from the realm's routing: its subscriptions and
// registrations go, its pending calls as caller are dropped (INTERRUPT to
// callees that support call canceling) and its pending invocations as
// callee fail with ERROR wamp.error.canceled to their callers. Idempotent.
func (rl *realm) detach(s *session) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rl.detachLocked(s)
}

// detachLocked is detach with rl.mu held.
func (rl *realm) detachLocked(s *session) {
	if s.detached {
		return
	}
	s.detached = true
	rl.noteTables()
	t := s.tables()
	for _, sub := range t.subs {
		rl.dropSubscriber(sub, s)
	}
	clear(t.subs)
	for _, reg := range t.regs {
		rl.dropCallee(reg, s)
	}
	clear(t.regs)
	for _, c := range t.calls {
		rl.finish(c)
		rl.interrupt(c, "killnowait", wamp.ErrCanceled.URI)
	}
	for _, c := range t.invs {
		rl.finish(c)
		c.caller.reply(&wamp.ErrorMessage{
			RequestType: wamp.CALL,
			Request:     c.callerReq,
			Details:     wamp.Dict{},
			Error:       wamp.ErrCanceled.URI,
			Payload:     wamp.Payload{Args: wamp.List{"callee left"}},
		})
	}
	rl.publishTestaments(s)
	rl.shrinkTables()
}

// newID returns a random ID not in use as a key of m.
func newID[T any](m map[wamp.ID]T) wamp.ID {
	for {
		id := wamp.NewGlobalID()
		if _, used := m[id]; !used {
			return id
		}
	}
}

// hasClientRole reports whether roles (HELLO.Details.roles) announces at
// least one client role.
func hasClientRole(roles wamp.Dict) bool {
	for _, role := range [...]string{"publisher", "subscriber", "caller", "callee"} {
		if _, ok := roles[role].(wamp.Dict); ok {
			return true
		}
	}
	return false
}

// Features announced in WELCOME: exactly those the broker and dealer
// implement.
var (
	brokerFeatures = []string{ // sorted
		wamp.FeatureEventHistory,
		wamp.FeatureEventRetention,
		wamp.FeaturePatternBasedSubscription,
		wamp.FeaturePayloadPassthruMode,
		wamp.FeaturePublisherExclusion,
		wamp.FeaturePublisherIdentification,
		wamp.FeatureSessionMetaAPI,
		wamp.FeatureSubscriberBlackWhiteListing,
		wamp.FeatureSubscriptionMetaAPI,
		wamp.FeatureSubscriptionRevocation,
	}
	dealerFeatures = []string{ // sorted
		wamp.FeatureCallCanceling,
		wamp.FeatureCallTimeout,
		wamp.FeatureCallerIdentification,
		wamp.FeaturePatternBasedRegistration,
		wamp.FeaturePayloadPassthruMode,
		wamp.FeatureProgressiveCallInvocations,
		wamp.FeatureProgressiveCallResults,
		wamp.FeatureRegistrationMetaAPI,
		wamp.FeatureRegistrationRevocation,
		wamp.FeatureSessionMetaAPI,
		wamp.FeatureSharedRegistration,
		wamp.FeatureTestamentMetaAPI,
	}
)

// routerRoles returns WELCOME.Details.roles, a fresh Dict each time.
func routerRoles() wamp.Dict {
	return wamp.BuildRoles(map[string][]string{wamp.RoleBroker: brokerFeatures, wamp.RoleDealer: dealerFeatures})
}
