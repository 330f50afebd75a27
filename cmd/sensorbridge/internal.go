package main

import (
	"crypto/rand"
	"fmt"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/minirouter"
)

// sensorbridge's own in-process sessions (the stats procedure, the demo
// device) join the first realm as internalAuthID with authrole
// internalRole when that realm admits no anonymous session or has
// permissions: they are then given every right there.
const (
	internalAuthID = "sensorbridge.internal"
	internalRole   = "sensorbridge"
)

// internalCredentials returns the credentials of sensorbridge's own
// in-process sessions in rc, and adapts rc to them. A realm open to
// anonymous sessions without permissions needs nothing. Otherwise rc gets a
// user internalAuthID with a random ticket made for this run (never written
// anywhere; anonymous sessions stay admitted if they were), and, when it has
// permissions, a first rule allowing internalRole everything and a last one
// allowing every role to call permissionsProcedure (which a rule before it
// may still deny).
func internalCredentials(rc *minirouter.RealmConfig) (auth.Credentials, error) {
	anonymous := len(rc.Users) == 0 || rc.AllowAnonymous
	if anonymous && len(rc.Permissions) == 0 {
		return auth.Credentials{}, nil
	}
	for _, u := range rc.Users {
		if u.AuthID == internalAuthID {
			return auth.Credentials{}, fmt.Errorf("realm %q: authid %q is reserved for sensorbridge's own sessions", rc.Name, internalAuthID)
		}
		if u.AuthRole == internalRole {
			return auth.Credentials{}, fmt.Errorf("realm %q: user %q: authrole %q is reserved for sensorbridge's own sessions", rc.Name, u.AuthID, internalRole)
		}
	}
	ticket := rand.Text() + rand.Text()
	rc.AllowAnonymous = anonymous
	rc.Users = append(rc.Users[:len(rc.Users):len(rc.Users)],
		minirouter.User{AuthID: internalAuthID, AuthRole: internalRole, Ticket: ticket})
	if len(rc.Permissions) > 0 {
		all := minirouter.Permission{Role: internalRole, URI: "", Match: "prefix",
			Actions: []string{minirouter.ActionCall, minirouter.ActionRegister, minirouter.ActionPublish, minirouter.ActionSubscribe}}
		ask := minirouter.Permission{Role: "*", URI: string(permissionsProcedure), Actions: []string{minirouter.ActionCall}}
		rc.Permissions = append(append([]minirouter.Permission{all}, rc.Permissions...), ask)
	}
	return auth.Credentials{AuthID: internalAuthID, Ticket: ticket}, nil
}
