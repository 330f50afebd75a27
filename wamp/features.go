package wamp

// Role names of the HELLO and WELCOME "roles" dicts.
const (
	RoleCaller     = "caller"
	RoleCallee     = "callee"
	RolePublisher  = "publisher"
	RoleSubscriber = "subscriber"
	RoleBroker     = "broker"
	RoleDealer     = "dealer"
)

// Feature names of the advanced profile, announced under
// roles.<role>.features.<name> = true.
const (
	FeatureProgressiveCallResults      = "progressive_call_results"
	FeatureProgressiveCallInvocations  = "progressive_call_invocations"
	FeatureCallCanceling               = "call_canceling"
	FeatureCallTimeout                 = "call_timeout"
	FeatureCallerIdentification        = "caller_identification"
	FeatureCallTrustLevels             = "call_trustlevels"
	FeaturePatternBasedRegistration    = "pattern_based_registration"
	FeatureSharedRegistration          = "shared_registration"
	FeatureRegistrationRevocation      = "registration_revocation"
	FeatureRegistrationMetaAPI         = "registration_meta_api"
	FeaturePublisherIdentification     = "publisher_identification"
	FeaturePublisherExclusion          = "publisher_exclusion"
	FeatureSubscriberBlackWhiteListing = "subscriber_blackwhite_listing"
	FeaturePublicationTrustLevels      = "publication_trustlevels"
	FeaturePatternBasedSubscription    = "pattern_based_subscription"
	FeatureSubscriptionRevocation      = "subscription_revocation"
	FeatureSubscriptionMetaAPI         = "subscription_meta_api"
	FeatureEventHistory                = "event_history"
	FeatureEventRetention              = "event_retention"
	FeatureSessionMetaAPI              = "session_meta_api"
	FeatureTestamentMetaAPI            = "testament_meta_api"
	FeaturePayloadPassthruMode         = "payload_passthru_mode"
)

// clientFeatures lists what the device client supports, per role.
var clientFeatures = map[string][]string{
	RoleCaller: {
		FeatureProgressiveCallResults, FeatureCallCanceling, FeatureCallTimeout, FeatureCallerIdentification,
	},
	RoleCallee: {
		FeatureProgressiveCallResults, FeatureCallCanceling, FeatureCallTimeout, FeatureCallerIdentification,
		FeaturePatternBasedRegistration, FeatureSharedRegistration, FeatureRegistrationRevocation,
	},
	RolePublisher: {
		FeaturePublisherIdentification, FeaturePublisherExclusion, FeatureSubscriberBlackWhiteListing,
	},
	RoleSubscriber: {
		FeaturePublisherIdentification, FeaturePatternBasedSubscription, FeatureSubscriptionRevocation,
	},
}

// ClientRoles returns the "roles" dict a client sends in HELLO Details:
// caller, callee, publisher and subscriber with the advanced features the
// device client supports. Each call returns a new Dict, which the caller may
// modify. It is safe for concurrent use.
func ClientRoles() Dict { return BuildRoles(clientFeatures) }

// BuildRoles turns a list of features per role into a "roles" dict:
// {"broker": {"features": {"publisher_exclusion": true, ...}}, ...}. A role
// with no features is announced as {} (the role without advanced features).
// The router builds its WELCOME roles with it. It is safe for concurrent use.
func BuildRoles(features map[string][]string) Dict {
	roles := make(Dict, len(features))
	for role, fs := range features {
		if len(fs) == 0 {
			roles[role] = Dict{}
			continue
		}
		f := make(Dict, len(fs))
		for _, name := range fs {
			f[name] = true
		}
		roles[role] = Dict{"features": f}
	}
	return roles
}

// HasRole reports whether details (of HELLO or WELCOME) announce role. It is
// safe for concurrent use as long as nobody writes details meanwhile.
func HasRole(details Dict, role string) bool {
	roles, _ := details["roles"].(Dict)
	_, ok := roles[role].(Dict)
	return ok
}

// HasFeature reports whether details (of HELLO or WELCOME) announce feature
// for role, that is roles.<role>.features.<feature> is true. It is safe for
// concurrent use as long as nobody writes details meanwhile.
func HasFeature(details Dict, role, feature string) bool {
	roles, _ := details["roles"].(Dict)
	r, _ := roles[role].(Dict)
	fs, _ := r["features"].(Dict)
	v, _ := fs[feature].(bool)
	return v
}
