package minirouter

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// User is a principal that may authenticate to a realm (RealmConfig.Users)
// with the methods whose credentials it has. Plain data.
type User struct {
	// AuthID is the name the client announces in HELLO (authid); required.
	AuthID string `json:"authid"`
	// AuthRole is the role the session gets. Default "user".
	AuthRole string `json:"authrole,omitempty"`
	// Ticket enables the ticket method with this ticket.
	Ticket string `json:"ticket,omitempty"`
	// Secret enables WAMP-CRA with this secret. With Salt, the challenge
	// carries salt, iterations and keylen, and the key is derived from the
	// secret with PBKDF2 (auth.DeriveCRAKey) as the client does.
	Secret     string `json:"secret,omitempty"`
	Salt       string `json:"salt,omitempty"`
	Iterations int    `json:"iterations,omitempty"` // default 1000 (with Salt)
	KeyLen     int    `json:"keylen,omitempty"`     // default 32 (with Salt)
	// CryptosignKeys enables cryptosign for these Ed25519 public keys (64
	// hex characters each); the client may then omit its authid and be
	// found by the pubkey of its HELLO authextra.
	CryptosignKeys []string `json:"cryptosign_pubkeys,omitempty"`
	// TLSClientCert enables the "tls" method: a client whose TLS client
	// certificate the listener verified (against its client CAs) and whose
	// subject common name is AuthID is this user, with no CHALLENGE.
	TLSClientCert bool `json:"tls_client_cert,omitempty"`
}

// realmAuth is a realm's authentication setup, read-only after New.
type realmAuth struct {
	anonymous bool
	byID      map[string]*User
	byKey     map[string]*User // hex pubkey → user
	cra       *craSetup
	methods   map[string]bool // methods some user can authenticate with
}

func newRealmAuth(rc RealmConfig) (*realmAuth, error) {
	ra := &realmAuth{anonymous: len(rc.Users) == 0 || rc.AllowAnonymous,
		byID: make(map[string]*User), byKey: make(map[string]*User), methods: make(map[string]bool)}
	for i := range rc.Users {
		u := rc.Users[i]
		if u.AuthID == "" {
			return nil, fmt.Errorf("minirouter: realm %q: a user without authid", rc.Name)
		}
		if _, dup := ra.byID[u.AuthID]; dup {
			return nil, fmt.Errorf("minirouter: realm %q: user %q configured twice", rc.Name, u.AuthID)
		}
		if u.AuthRole == "" {
			u.AuthRole = "user"
		}
		if u.Salt != "" {
			if u.Iterations == 0 {
				u.Iterations = 1000
			}
			if u.KeyLen == 0 {
				u.KeyLen = 32
			}
			if _, err := auth.DeriveCRAKey(u.Secret, u.Salt, u.Iterations, u.KeyLen); err != nil {
				return nil, fmt.Errorf("minirouter: realm %q: user %q: %w", rc.Name, u.AuthID, err)
			}
		}
		ra.methods[auth.MethodTicket] = ra.methods[auth.MethodTicket] || u.Ticket != ""
		ra.methods[auth.MethodWAMPCRA] = ra.methods[auth.MethodWAMPCRA] || u.Secret != ""
		ra.methods[auth.MethodCryptosign] = ra.methods[auth.MethodCryptosign] || len(u.CryptosignKeys) > 0
		for _, k := range u.CryptosignKeys {
			if _, err := auth.ParseCryptosignPublicKey(k); err != nil {
				return nil, fmt.Errorf("minirouter: realm %q: user %q: %w", rc.Name, u.AuthID, err)
			}
			ra.byKey[k] = &u
		}
		ra.byID[u.AuthID] = &u
	}
	var err error
	if ra.cra, err = newCRASetup(ra.byID); err != nil {
		return nil, fmt.Errorf("minirouter: realm %q: %w", rc.Name, err)
	}
	return ra, nil
}

// authenticate decides who the sender of hello is: it picks the first
// method of HELLO's authmethods that the realm can run for this client
// (anonymous when the realm allows it), runs the CHALLENGE/AUTHENTICATE
// exchange on conn (within the HELLO deadline, still set), and returns the
// identity or an *wamp.Error to be sent as ABORT.
func (r *Router) authenticate(conn *peer.Conn, rl *realm, hello *wamp.Hello) (authInfo, error) {
	ra := rl.auth
	methods, _ := wamp.OptStrings(hello.Details, "authmethods")
	authid, _ := wamp.OptString(hello.Details, "authid")
	anon := authInfo{authid: "anonymous-" + rand.Text()[:10], authrole: "anonymous", authmethod: "anonymous"}
	if len(ra.byID) == 0 {
		return anon, nil
	}
	for _, m := range methods {
		u := ra.byID[authid]
		switch m {
		case auth.MethodAnonymous:
			if ra.anonymous {
				return anon, nil
			}
		case auth.MethodTicket:
			if u != nil && u.Ticket != "" {
				return r.challenge(conn, u, m, wamp.Dict{}, func(a *wamp.Authenticate) bool {
					return auth.VerifyTicket(u.Ticket, a.Signature)
				})
			}
		case auth.MethodWAMPCRA:
			if u != nil && u.Secret != "" {
				return r.challengeCRA(conn, ra, authid)
			}
		case auth.MethodTLS:
			cn, verified := clientCertName(conn.Transport())
			tu := ra.byID[cn]
			if !verified || tu == nil || !tu.TLSClientCert || (authid != "" && authid != cn) {
				continue
			}
			return authInfo{authid: tu.AuthID, authrole: tu.AuthRole, authmethod: auth.MethodTLS}, nil
		case auth.MethodCryptosign:
			extra, _ := wamp.OptDict(hello.Details, "authextra")
			hexKey, _ := wamp.OptString(extra, "pubkey")
			ku := ra.byKey[hexKey]
			if ku == nil || (authid != "" && ku.AuthID != authid) {
				continue
			}
			pub, _ := auth.ParseCryptosignPublicKey(hexKey)
			challenge, cextra := auth.NewCryptosignChallenge()
			return r.challenge(conn, ku, m, cextra, func(a *wamp.Authenticate) bool {
				return auth.VerifyCryptosign(ed25519.PublicKey(pub), challenge, nil, a.Signature) == nil
			})
		}
	}
	if ra.anonymous && len(methods) == 0 {
		return anon, nil
	}
	for _, m := range methods {
		if ra.offers(m) {
			// The client asked for a method the realm runs, for a principal
			// it does not know: a decoy exchange, failed as a wrong secret
			// is, so that no answer tells which authids exist.
			return r.decoy(conn, ra, m, authid)
		}
	}
	return authInfo{}, wamp.NewError(wamp.ErrNoAuthMethod.URI, "no acceptable authentication method")
}

// offers reports whether some user of the realm can authenticate with
// method.
func (ra *realmAuth) offers(method string) bool { return ra.methods[method] }

// decoy runs a CHALLENGE/AUTHENTICATE exchange of method that always
// fails, for a principal the realm does not have.
func (r *Router) decoy(conn *peer.Conn, ra *realmAuth, method, authid string) (authInfo, error) {
	if method == auth.MethodWAMPCRA {
		return r.challengeCRA(conn, ra, authid)
	}
	u := &User{AuthID: authid, AuthRole: "user"}
	extra := wamp.Dict{}
	if method == auth.MethodCryptosign {
		_, extra = auth.NewCryptosignChallenge()
	}
	return r.challenge(conn, u, method, extra, func(*wamp.Authenticate) bool { return false })
}

// challenge sends CHALLENGE, reads AUTHENTICATE and checks it with ok.
func (r *Router) challenge(conn *peer.Conn, u *User, method string, extra wamp.Dict, ok func(*wamp.Authenticate) bool) (authInfo, error) {
	if err := conn.Send(&wamp.Challenge{AuthMethod: method, Extra: extra}); err != nil {
		return authInfo{}, fmt.Errorf("minirouter: send CHALLENGE: %w", err)
	}
	r.stats.messagesOut.Add(1)
	m, err := r.recvPreAuth(conn)
	if err != nil {
		return authInfo{}, fmt.Errorf("minirouter: waiting for AUTHENTICATE: %w", err)
	}
	r.stats.messagesIn.Add(1)
	a, isAuth := m.(*wamp.Authenticate)
	if !isAuth {
		if _, aborted := m.(*wamp.Abort); aborted {
			return authInfo{}, errors.New("minirouter: client aborted the authentication")
		}
		return authInfo{}, wamp.NewError(wamp.ErrProtocolViolation.URI, m.Type().String()+" received instead of AUTHENTICATE")
	}
	if !ok(a) {
		return authInfo{}, &authError{abort: wamp.NewError(wamp.ErrAuthenticationFailed.URI, "authentication failed"),
			authid: u.AuthID, method: method}
	}
	return authInfo{authid: u.AuthID, authrole: u.AuthRole, authmethod: method}, nil
}

// tlsTransport is a transport over TLS (rawsocket.Conn, wstransport.Conn).
type tlsTransport interface {
	TLSConnectionState() (tls.ConnectionState, bool)
}

// clientCertName returns the subject common name of the client certificate
// of t, when t is over TLS and its listener verified that certificate
// against its client CAs.
func clientCertName(t wamp.Transport) (string, bool) {
	tt, ok := t.(tlsTransport)
	if !ok {
		return "", false
	}
	st, ok := tt.TLSConnectionState()
	if !ok || len(st.VerifiedChains) == 0 || len(st.PeerCertificates) == 0 {
		return "", false
	}
	return st.PeerCertificates[0].Subject.CommonName, true
}
