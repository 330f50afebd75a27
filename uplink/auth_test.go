package uplink_test

import (
	"context"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/uplink"
)

// authUsers returns a user for each method and the matching client
// credentials, by method name.
func authUsers(t *testing.T) ([]minirouter.User, map[string]auth.Credentials) {
	t.Helper()
	key, err := auth.GenerateCryptosignKey()
	if err != nil {
		t.Fatal(err)
	}
	users := []minirouter.User{
		{AuthID: "tic", AuthRole: "gateway", Ticket: "t1cket"},
		{AuthID: "cra", Secret: "s3cret"},
		{AuthID: "salted", Secret: "pa55", Salt: "salt123", Iterations: 100, KeyLen: 32},
		{AuthID: "cs", AuthRole: "gateway", CryptosignKeys: []string{auth.CryptosignPublicKey(key)}},
	}
	creds := map[string]auth.Credentials{
		"ticket":        {AuthID: "tic", Ticket: "t1cket"},
		"wampcra":       {AuthID: "cra", Secret: "s3cret"},
		"wampcra-salt":  {AuthID: "salted", Secret: "pa55"},
		"cryptosign":    {AuthID: "cs", CryptosignKey: key},
		"cryptosign-id": {CryptosignKey: key},
	}
	return users, creds
}

// TestUplinkAuth joins the uplink to an upstream that demands
// authentication, with each method, over RawSocket and WebSocket.
func TestUplinkAuth(t *testing.T) {
	users, creds := authUsers(t)
	for _, kind := range []string{"rs", "ws"} {
		for _, method := range []string{"ticket", "wampcra", "wampcra-salt", "cryptosign"} {
			t.Run(kind+"-"+method, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				up := startUpstreamConfig(t, kind, "", minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "cloud", Users: users}}}, nil)
				cfg := siteRules
				cfg.URL = up.url()
				cfg.Auth = creds[method]
				gw := startGateway(t, cfg)
				eventually(t, ctx, "joined", func() bool { return gw.ul.Stats().State == uplink.Joined })
			})
		}
	}
}

// TestUplinkAuthRefused keeps retrying, with backoff, an upstream that
// refuses the uplink's credentials, and never counts it joined.
func TestUplinkAuthRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	users, _ := authUsers(t)
	up := startUpstreamConfig(t, "rs", "", minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "cloud", Users: users}}}, nil)
	cfg := siteRules
	cfg.URL = up.url()
	cfg.Auth = auth.Credentials{AuthID: "tic", Ticket: "wrong"}
	gw := startGateway(t, cfg)
	eventually(t, ctx, "several refused joins", func() bool { return gw.ul.Stats().DialErrors >= 3 })
	if st := gw.ul.Stats(); st.Joins != 0 || st.State == uplink.Joined {
		t.Errorf("stats %+v", st)
	}
}
