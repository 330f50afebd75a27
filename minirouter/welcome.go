package minirouter

import (
	"fmt"
	"slices"

	"github.com/edgewamp/edgewamp/wamp"
)

// welcome encodes s's WELCOME for its connection. A client may announce a
// maximum message length as small as 512 octets (RawSocket), less than
// the full details take (about 650): then the roles are cut down to those
// the client can talk to, with only the features both announced, and
// failing that to the bare roles and authentication details. Nothing a
// client needs is lost: a feature it did not announce is one it does not
// use. It returns the encoded message, or an error when not even the
// bare WELCOME fits.
func (s *session) welcome(clientRoles wamp.Dict) ([]byte, error) {
	details := wamp.Dict{
		"realm":        string(s.realm.name),
		"authid":       s.auth.authid,
		"authrole":     s.auth.authrole,
		"authmethod":   s.auth.authmethod,
		"authprovider": authProvider,
		"roles":        s.r.roles, // built once: read-only
	}
	ser, max := s.conn.Serializer(), s.conn.Transport().MaxMessageSize()
	var b []byte
	for _, cut := range [...]func(){
		func() {},
		func() { details["roles"] = rolesFor(clientRoles, true) },
		func() {
			details["roles"] = rolesFor(clientRoles, false)
			delete(details, "authprovider")
		},
	} {
		cut()
		var err error
		if b, err = ser.AppendMessage(b[:0], &wamp.Welcome{Session: s.id, Details: details}); err != nil {
			return nil, fmt.Errorf("minirouter: encode WELCOME: %w", err)
		}
		if len(b) <= max {
			return b, nil
		}
	}
	return nil, fmt.Errorf("minirouter: WELCOME of %d bytes exceeds the client's limit of %d", len(b), max)
}

// rolesFor returns the router roles the client's roles (HELLO's) talk to:
// broker for a publisher or subscriber, dealer for a caller or callee,
// each with the features the router and those client roles both announce
// when withFeatures is set, none otherwise.
func rolesFor(clientRoles wamp.Dict, withFeatures bool) wamp.Dict {
	roles := wamp.Dict{}
	for _, r := range [...]struct {
		role     string
		features []string
		clients  [2]string
	}{
		{wamp.RoleBroker, brokerFeatures, [2]string{"publisher", "subscriber"}},
		{wamp.RoleDealer, dealerFeatures, [2]string{"caller", "callee"}},
	} {
		var shared []string
		talks := false
		for _, c := range r.clients {
			cd, ok := clientRoles[c].(wamp.Dict)
			if !ok {
				continue
			}
			talks = true
			cf, _ := cd["features"].(wamp.Dict)
			for _, f := range r.features {
				if v, _ := cf[f].(bool); v && withFeatures && !slices.Contains(shared, f) {
					shared = append(shared, f)
				}
			}
		}
		if talks {
			roles[r.role] = wamp.BuildRoles(map[string][]string{r.role: shared})[r.role]
		}
	}
	return roles
}
