package minirouter

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// craShape describes a WAMP-CRA CHALLENGE without its random or per-authid
// values: the extra's keys and value types, the salt's length, the PBKDF2
// parameters, and the challenge string's members with its role.
func craShape(t *testing.T, ch *wamp.Challenge) string {
	t.Helper()
	var keys []string
	for k, v := range ch.Extra {
		keys = append(keys, fmt.Sprintf("%s:%T", k, v))
	}
	sort.Strings(keys)
	salt, _ := ch.Extra["salt"].(string)
	var members map[string]any
	if err := json.Unmarshal([]byte(ch.Extra["challenge"].(string)), &members); err != nil {
		t.Fatalf("challenge string: %v", err)
	}
	var names []string
	for k := range members {
		names = append(names, k)
	}
	sort.Strings(names)
	return fmt.Sprint(ch.AuthMethod, keys, len(salt), ch.Extra["iterations"], ch.Extra["keylen"], names,
		members["authrole"], members["authmethod"], members["authprovider"])
}

// TestCRAUnknownAuthIDLooksKnown: over RawSocket, an authid the realm does
// not know is challenged exactly as a salted user is (same shape, no
// role, a fake salt that stays the same for that authid), refused as a
// wrong secret is, and as fast: the medians of many CHALLENGE round trips
// for each stay within a factor of two, where deriving the user's key
// (20,000 PBKDF2 iterations) per HELLO took milliseconds.
func TestCRAUnknownAuthIDLooksKnown(t *testing.T) {
	r := newTestRouter(t, Config{Realms: []RealmConfig{{Name: "realm1", Users: []User{
		{AuthID: "alice", AuthRole: "device", Secret: "pa55", Salt: "pepper-and-salt", Iterations: 20000, KeyLen: 32},
	}}}})
	addr := serveTCP(t, r)
	try := func(authid string) (*wamp.Challenge, time.Duration, wamp.URI) {
		c := dialClient(t, addr, rawsocket.ClientConfig{Serializer: wamp.JSON})
		defer c.tr.Close()
		start := time.Now()
		c.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": allRoles(), "authmethods": wamp.List{"wampcra"}, "authid": authid}})
		ch := expect[*wamp.Challenge](c)
		rtt := time.Since(start)
		c.send(&wamp.Authenticate{Signature: "d3Jvbmc=", Extra: wamp.Dict{}})
		return ch, rtt, expect[*wamp.Abort](c).Reason
	}
	known, _, knownAbort := try("alice")
	unknown, _, unknownAbort := try("mallory")
	if k, u := craShape(t, known), craShape(t, unknown); k != u {
		t.Errorf("CHALLENGE shapes differ:\nknown   %s\nunknown %s", k, u)
	}
	if knownAbort != unknownAbort || knownAbort != wamp.ErrAuthenticationFailed.URI {
		t.Errorf("ABORT for a wrong secret %s, for an unknown authid %s", knownAbort, unknownAbort)
	}
	again, _, _ := try("mallory")
	other, _, _ := try("eve")
	if again.Extra["salt"] != unknown.Extra["salt"] || other.Extra["salt"] == unknown.Extra["salt"] {
		t.Errorf("fake salts: mallory %v then %v, eve %v: want the same for one authid, another for another",
			unknown.Extra["salt"], again.Extra["salt"], other.Extra["salt"])
	}

	const rounds = 41
	var knownRTT, unknownRTT []time.Duration
	for range rounds {
		_, k, _ := try("alice")
		_, u, _ := try("mallory")
		knownRTT, unknownRTT = append(knownRTT, k), append(unknownRTT, u)
	}
	slices.Sort(knownRTT)
	slices.Sort(unknownRTT)
	mk, mu := knownRTT[rounds/2], unknownRTT[rounds/2]
	t.Logf("median HELLO→CHALLENGE: known %v, unknown %v", mk, mu)
	if mk > 2*mu || mu > 2*mk {
		t.Errorf("median HELLO→CHALLENGE: known authid %v, unknown %v: more than a factor of two apart", mk, mu)
	}
}
