package auth_test

import (
	"context"
	"fmt"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/wamp"
)

// Computing a WAMP-CRA signature, plain and with a salted secret (the
// first two are the vectors of AutobahnPython's tests; the third was
// checked with its compute_wcs).
func ExampleCRASignature() {
	fmt.Println(auth.CRASignature("L3L1YUE8Txlw", "[1, 2, 3]"))

	key, err := auth.DeriveCRAKey("L3L1YUE8Txlw", "salt123", 1000, 32)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(key)
	fmt.Println(auth.CRASignature(key, "[1, 2, 3]"))
	// Output:
	// 1njQtmmeYO41N5EWEzD2kAjjEKRZ5kPZt/TzpYXOzR0=
	// qzcdsr9uu/L5hnss3kjNTRe490ETgA70ZBaB5rvnJ5Y=
	// c3pCfyceJEbMIYZ/MRvn3RbPu4aqaQ/IeiCmHKfGMx4=
}

// Both ends of WAMP-CRA: the router builds the challenge, the client's
// Authenticator answers it, the router verifies.
func ExampleAuthenticator() {
	creds := auth.Credentials{AuthID: "peter", Secret: "secret1"}
	a, err := creds.Authenticator()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("HELLO details:", a.HelloDetails())

	// Router: challenge for session 3251278072152162.
	ts := time.Date(2014, 6, 22, 16, 36, 25, 448e6, time.UTC)
	challenge := auth.CRAChallenge(3251278072152162, "peter", "user", "userdb", "LHRTC9zeOIrt_9U3", ts)
	fmt.Println("challenge:", challenge)

	answer, err := a.Authenticate(context.Background(), &wamp.Challenge{
		AuthMethod: auth.MethodWAMPCRA, Extra: wamp.Dict{"challenge": challenge}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("verified:", auth.VerifyCRA("secret1", challenge, answer.Signature))
	// Output:
	// HELLO details: map[authid:peter authmethods:[wampcra]]
	// challenge: {"authid": "peter", "authrole": "user", "authmethod": "wampcra", "authprovider": "userdb", "session": 3251278072152162, "nonce": "LHRTC9zeOIrt_9U3", "timestamp": "2014-06-22T16:36:25.448Z"}
	// verified: true
}
