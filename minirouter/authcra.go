package minirouter

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// WAMP-CRA gives nothing away about who exists: an authid the realm does
// not know gets a CHALLENGE of the same shape as a user's (salt, iterations
// and keylen when the realm's users are salted; a fake salt of the same
// length, the same for each try of that authid), none names a role, and
// both take the same steps (the keys are derived when the realm is made,
// not per HELLO), so that neither the answer nor its timing tells them
// apart. A realm that mixes salted and plain users shows which kind an
// authid is: give all of them salts, or none.

// craSetup is a realm's WAMP-CRA material, made once by newRealmAuth.
type craSetup struct {
	keys                        map[string]string // authid → HMAC key (the secret, or the key derived from it)
	decoy                       []byte            // secret behind the decoys' salts and keys
	salted                      bool              // the decoys are salted, with:
	saltLen, iterations, keyLen int
}

// newCRASetup derives the users' keys and the decoy parameters: those of
// the first salted user, and a secret hashed from every user's
// credentials, so that a decoy's salt stays the same across restarts with
// the same config (a real one does) and cannot be predicted without them.
func newCRASetup(users map[string]*User) (*craSetup, error) {
	cs := &craSetup{keys: make(map[string]string)}
	h := sha256.New()
	for _, id := range slices.Sorted(maps.Keys(users)) {
		u := users[id]
		for _, s := range [...]string{u.AuthID, u.Secret, u.Salt, u.Ticket} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		if u.Secret == "" {
			continue
		}
		key := u.Secret
		if u.Salt != "" {
			var err error
			if key, err = auth.DeriveCRAKey(u.Secret, u.Salt, u.Iterations, u.KeyLen); err != nil {
				return nil, err
			}
			if !cs.salted {
				cs.salted, cs.saltLen, cs.iterations, cs.keyLen = true, len(u.Salt), u.Iterations, u.KeyLen
			}
		}
		cs.keys[id] = key
	}
	cs.decoy = h.Sum(nil)
	return cs, nil
}

// craParams are what a WAMP-CRA exchange with one authid uses.
type craParams struct {
	known              bool // a user with a secret; a decoy otherwise
	key                string
	salt               string // "" when unsalted
	iterations, keyLen int
}

// params returns the parameters for authid, a user's or a decoy's, by the
// same computation either way: both decoy values are computed, then the
// user's replace them.
func (cs *craSetup) params(ra *realmAuth, authid string) craParams {
	m := hmac.New(sha256.New, cs.decoy)
	m.Write([]byte(authid))
	sum := m.Sum(nil)
	fake := base64.RawURLEncoding.EncodeToString(sum) // 43 characters
	p := craParams{key: fake[:22], salt: strings.Repeat(fake, cs.saltLen/len(fake)+1)[:cs.saltLen],
		iterations: cs.iterations, keyLen: cs.keyLen}
	if !cs.salted {
		p.salt = ""
	}
	if key, known := cs.keys[authid]; known { // a user with a secret
		u := ra.byID[authid]
		p = craParams{known: true, key: key, salt: u.Salt, iterations: u.Iterations, keyLen: u.KeyLen}
	}
	return p
}

// challengeCRA runs WAMP-CRA with authid, a user's or (failing whatever
// the client answers) a decoy's, in the same shape and the same steps.
func (r *Router) challengeCRA(conn *peer.Conn, ra *realmAuth, authid string) (authInfo, error) {
	p := ra.cra.params(ra, authid)
	ch := auth.CRAChallenge(wamp.NewGlobalID(), authid, "", "static", auth.NewCRANonce(), time.Now())
	extra := wamp.Dict{"challenge": ch}
	if p.salt != "" {
		extra["salt"], extra["iterations"], extra["keylen"] = p.salt, p.iterations, p.keyLen
	}
	u := ra.byID[authid]
	if !p.known {
		u = &User{AuthID: authid, AuthRole: "user"}
	}
	return r.challenge(conn, u, auth.MethodWAMPCRA, extra, func(a *wamp.Authenticate) bool {
		return auth.VerifyCRA(p.key, ch, a.Signature) && p.known
	})
}
