package main

import (
	"crypto/rand"
	"fmt"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/minirouter"
)

// internalAuthID is the principal of sensorbridge's own in-process sessions
// (the stats procedure, the demo device) in a first realm that admits no
// anonymous session.
const internalAuthID = "sensorbridge.internal"

// internalCredentials returns the credentials of sensorbridge's own
// in-process sessions in rc. When rc admits anonymous sessions they need
// none; otherwise rc gets a user internalAuthID (authrole "sensorbridge")
// with a random ticket made for this run, never written anywhere.
func internalCredentials(rc *minirouter.RealmConfig) (auth.Credentials, error) {
	if len(rc.Users) == 0 || rc.AllowAnonymous {
		return auth.Credentials{}, nil
	}
	for _, u := range rc.Users {
		if u.AuthID == internalAuthID {
			return auth.Credentials{}, fmt.Errorf("realm %q: authid %q is reserved for sensorbridge's own sessions", rc.Name, internalAuthID)
		}
	}
	ticket := rand.Text() + rand.Text()
	rc.Users = append(rc.Users[:len(rc.Users):len(rc.Users)],
		minirouter.User{AuthID: internalAuthID, AuthRole: "sensorbridge", Ticket: ticket})
	return auth.Credentials{AuthID: internalAuthID, Ticket: ticket}, nil
}
