package wamp

import "testing"

func TestClientRoles(t *testing.T) {
	hello := Dict{"roles": ClientRoles()}
	for _, role := range []string{RoleCaller, RoleCallee, RolePublisher, RoleSubscriber} {
		if !HasRole(hello, role) {
			t.Errorf("ClientRoles lacks %s", role)
		}
	}
	if HasRole(hello, RoleBroker) {
		t.Error("ClientRoles announces broker")
	}
	for _, c := range []struct{ role, feature string }{
		{RoleCaller, FeatureProgressiveCallResults}, {RoleCaller, FeatureCallCanceling}, {RoleCaller, FeatureCallTimeout},
		{RoleCallee, FeatureSharedRegistration}, {RoleCallee, FeaturePatternBasedRegistration},
		{RolePublisher, FeaturePublisherExclusion}, {RoleSubscriber, FeaturePatternBasedSubscription},
	} {
		if !HasFeature(hello, c.role, c.feature) {
			t.Errorf("ClientRoles lacks %s.%s", c.role, c.feature)
		}
	}
	// Each call returns a fresh dict.
	ClientRoles()[RoleCaller] = nil
	if !HasRole(Dict{"roles": ClientRoles()}, RoleCaller) {
		t.Error("ClientRoles shares state between calls")
	}
	// It survives a trip through both serializers.
	for _, s := range allSerializers() {
		b, err := s.AppendMessage(nil, &Hello{Realm: "r", Details: hello})
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.DecodeMessage(b)
		if err != nil {
			t.Fatal(err)
		}
		if !HasFeature(m.(*Hello).Details, RoleCallee, FeatureCallCanceling) {
			t.Errorf("%s: feature lost in transit", s.Name())
		}
	}
}

func TestBuildRolesAndHasFeature(t *testing.T) {
	welcome := Dict{"roles": BuildRoles(map[string][]string{
		RoleBroker: {FeaturePublisherExclusion},
		RoleDealer: nil,
	})}
	tests := []struct {
		details        Dict
		role, feature  string
		hasRole, hasFt bool
	}{
		{welcome, RoleBroker, FeaturePublisherExclusion, true, true},
		{welcome, RoleBroker, FeatureEventHistory, true, false},
		{welcome, RoleDealer, FeatureCallCanceling, true, false},
		{welcome, RoleCaller, FeatureCallCanceling, false, false},
		{nil, RoleBroker, FeaturePublisherExclusion, false, false},
		{Dict{"roles": "x"}, RoleBroker, "", false, false},
		{Dict{"roles": Dict{"broker": Dict{"features": Dict{"x": "yes"}}}}, RoleBroker, "x", true, false},
	}
	for _, tt := range tests {
		if got := HasRole(tt.details, tt.role); got != tt.hasRole {
			t.Errorf("HasRole(%v, %s) = %v", tt.details, tt.role, got)
		}
		if got := HasFeature(tt.details, tt.role, tt.feature); got != tt.hasFt {
			t.Errorf("HasFeature(%v, %s, %s) = %v", tt.details, tt.role, tt.feature, got)
		}
	}
}
