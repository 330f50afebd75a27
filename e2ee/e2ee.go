// Package e2ee encrypts WAMP payloads end to end (WAMP advanced profile,
// payload passthru mode with the "wamp" scheme), so that a gateway or an
// upstream router carries a reading it cannot read nor alter.
//
// A sealed payload is one binary item in Arguments: a 24-byte random
// nonce followed by the XSalsa20-Poly1305 box (NaCl secretbox) of the
// JSON object {"uri", "args", "kwargs"}, the same plaintext and layout as
// AutobahnPython's cryptobox. It travels with the options ppt_scheme
// "wamp", ppt_serializer "json", ppt_cipher "xsalsa20poly1305" and
// ppt_keyid (the key's ID). The URI inside binds the box to its topic or
// procedure: a box replayed on another URI does not open.
//
// Keys are 32-byte secrets held in a [Keyring] by URI prefix (the longest
// prefix wins, as in cryptobox's keyring). [CryptoboxKey] derives the
// secret that AutobahnPython's cryptobox uses for a key given as one
// Curve25519 private key. A payload that does not open (wrong key,
// tampered, replayed elsewhere, clear text where a key is set) is an
// error, never delivered: counted in [Keyring.Failures] and logged.
//
// The package links x/crypto's secretbox; a device client that does not
// import it carries no cipher. It plugs into package device as its
// PayloadCodec: device.Coded{Client: c, Codec: ring} seals what it
// publishes and calls and opens what its handlers receive. By hand, Seal's
// options go in PublishOptions.Extra, CallOptions.Extra or
// Invocation.ResultOptions, and Open takes an Event's or Invocation's
// details.
package e2ee

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/nacl/box"
	"golang.org/x/crypto/nacl/secretbox"

	"github.com/edgewamp/edgewamp/wamp"
)

// The passthru options of a sealed payload.
const (
	Scheme     = "wamp"
	Serializer = "json"
	Cipher     = "xsalsa20poly1305"
)

const nonceSize = 24

// Errors of Seal and Open; each matches with errors.Is.
var (
	// ErrNoKey: no key in the keyring covers the URI (or the key ID).
	ErrNoKey = errors.New("e2ee: no key for this URI")
	// ErrNotEncrypted: a payload in clear (or in another passthru scheme)
	// for a URI the keyring holds a key for.
	ErrNotEncrypted = errors.New("e2ee: payload not encrypted")
	// ErrOpen: the box does not open (wrong key, tampered, truncated) or
	// holds another URI than the one it came on.
	ErrOpen = errors.New("e2ee: payload does not open")
)

// Key is a named 32-byte XSalsa20-Poly1305 secret.
type Key struct {
	ID     string
	secret [32]byte
}

// NewKey returns the key id with the 32-byte secret.
func NewKey(id string, secret []byte) (*Key, error) {
	if len(secret) != 32 {
		return nil, fmt.Errorf("e2ee: key %q: %d bytes, want 32", id, len(secret))
	}
	k := &Key{ID: id}
	copy(k.secret[:], secret)
	return k, nil
}

// CryptoboxKey returns the key AutobahnPython's cryptobox uses when a
// keyring entry is one Curve25519 private key (KeyRing.set_key(uri,
// priv) makes Key(originator_priv=priv, responder_priv=priv), whose boxes
// are Box(priv, public(priv))): the precomputed Curve25519 shared secret.
func CryptoboxKey(id string, priv []byte) (*Key, error) {
	if len(priv) != 32 {
		return nil, fmt.Errorf("e2ee: cryptobox key %q: %d bytes, want 32", id, len(priv))
	}
	pub, err := curve25519.X25519(priv, curve25519.Basepoint)
	if err != nil {
		return nil, fmt.Errorf("e2ee: cryptobox key %q: %w", id, err)
	}
	var p, s [32]byte
	copy(p[:], pub)
	copy(s[:], priv)
	k := &Key{ID: id}
	box.Precompute(&k.secret, &p, &s)
	return k, nil
}

// Logger receives the keyring's warnings; a *slog.Logger fits.
type Logger interface {
	Warn(msg string, args ...any)
}

// Keyring maps URI prefixes to keys. Its methods are safe for concurrent use.
type Keyring struct {
	// Logger, when set, gets a line per payload that does not open.
	Logger Logger

	mu       sync.RWMutex
	byPrefix map[wamp.URI]*Key
	byID     map[string]*Key
	failures atomic.Uint64
}

// Set makes k the key of the URIs that start with prefix ("" for every
// URI); a nil k removes the prefix's key. A payload whose ppt_keyid names
// a key opens with that key, whatever its URI's prefix.
func (r *Keyring) Set(prefix wamp.URI, k *Key) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byPrefix == nil {
		r.byPrefix, r.byID = make(map[wamp.URI]*Key), make(map[string]*Key)
	}
	if k == nil {
		delete(r.byPrefix, prefix)
	} else {
		r.byPrefix[prefix] = k
	}
	clear(r.byID) // only the keys still set
	for _, k := range r.byPrefix {
		r.byID[k.ID] = k
	}
}

// keyFor returns the key of the longest prefix of uri, or nil.
func (r *Keyring) keyFor(uri wamp.URI) *Key {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var best *Key
	bestLen := -1
	for p, k := range r.byPrefix {
		if strings.HasPrefix(string(uri), string(p)) && len(p) > bestLen {
			best, bestLen = k, len(p)
		}
	}
	return best
}

// Failures returns the number of payloads that did not open.
func (r *Keyring) Failures() uint64 { return r.failures.Load() }

// Seal encrypts p for uri (the topic or procedure) with the key of its
// longest prefix and returns the sealed payload and its passthru options.
func (r *Keyring) Seal(uri wamp.URI, p wamp.Payload) (wamp.Payload, wamp.Dict, error) {
	k := r.keyFor(uri)
	if k == nil {
		return wamp.Payload{}, nil, fmt.Errorf("%w: %s", ErrNoKey, uri)
	}
	plain, err := wamp.AppendJSON(nil, wamp.Dict{"uri": string(uri), "args": p.Args, "kwargs": p.Kwargs})
	if err != nil {
		return wamp.Payload{}, nil, fmt.Errorf("e2ee: seal %s: %w", uri, err)
	}
	var nonce [nonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return wamp.Payload{}, nil, fmt.Errorf("e2ee: seal %s: %w", uri, err)
	}
	sealed := secretbox.Seal(nonce[:], plain, &nonce, &k.secret)
	opts := wamp.Dict{"ppt_scheme": Scheme, "ppt_serializer": Serializer, "ppt_cipher": Cipher, "ppt_keyid": k.ID}
	return wamp.Payload{Args: wamp.List{sealed}}, opts, nil
}

// Encode is Seal as package device's PayloadCodec wants it (device.Coded):
// a URI no key covers goes in clear, with nil options.
func (r *Keyring) Encode(uri wamp.URI, p wamp.Payload) (wamp.Payload, wamp.Dict, error) {
	if r.keyFor(uri) == nil {
		return p, nil, nil
	}
	return r.Seal(uri, p)
}

// Decode is Open, for package device's PayloadCodec.
func (r *Keyring) Decode(uri wamp.URI, p wamp.Payload, details wamp.Dict) (wamp.Payload, error) {
	return r.Open(uri, p, details)
}

// Open decrypts a payload received for uri with details (an EVENT's,
// INVOCATION's or RESULT's, which carry the ppt_* options). A payload in
// clear for a URI with no key is returned as it is. Every failure is
// counted and logged.
func (r *Keyring) Open(uri wamp.URI, p wamp.Payload, details wamp.Dict) (wamp.Payload, error) {
	out, err := r.open(uri, p, details)
	if err != nil {
		n := r.failures.Add(1)
		if r.Logger != nil {
			r.Logger.Warn("e2ee: payload refused", "uri", string(uri), "total_failures", n, "err", err)
		}
	}
	return out, err
}

func (r *Keyring) open(uri wamp.URI, p wamp.Payload, details wamp.Dict) (wamp.Payload, error) {
	scheme, _ := details["ppt_scheme"].(string)
	if scheme == "" {
		if r.keyFor(uri) != nil {
			return wamp.Payload{}, fmt.Errorf("%w: %s", ErrNotEncrypted, uri)
		}
		return p, nil
	}
	cipher, _ := details["ppt_cipher"].(string)
	ser, _ := details["ppt_serializer"].(string)
	if scheme != Scheme || cipher != Cipher || (ser != Serializer && ser != "") {
		return wamp.Payload{}, fmt.Errorf("%w: scheme %q, cipher %q, serializer %q on %s", ErrNotEncrypted, scheme, cipher, ser, uri)
	}
	k := r.keyFor(uri)
	if id, _ := details["ppt_keyid"].(string); id != "" {
		r.mu.RLock()
		k = r.byID[id]
		r.mu.RUnlock()
	}
	if k == nil {
		return wamp.Payload{}, fmt.Errorf("%w: %s", ErrNoKey, uri)
	}
	var b []byte
	if len(p.Args) == 1 && len(p.Kwargs) == 0 {
		b, _ = p.Args[0].([]byte)
	}
	if len(b) < nonceSize+secretbox.Overhead {
		return wamp.Payload{}, fmt.Errorf("%w: %s: not a box", ErrOpen, uri)
	}
	var nonce [nonceSize]byte
	copy(nonce[:], b)
	plain, ok := secretbox.Open(nil, b[nonceSize:], &nonce, &k.secret)
	if !ok {
		return wamp.Payload{}, fmt.Errorf("%w: %s with key %q", ErrOpen, uri, k.ID)
	}
	return decodePlain(uri, plain)
}

// decodePlain reads the opened JSON object {"uri", "args", "kwargs"}.
func decodePlain(uri wamp.URI, plain []byte) (wamp.Payload, error) {
	v, err := wamp.ParseJSON(plain)
	d, isDict := v.(wamp.Dict)
	if err != nil || !isDict {
		return wamp.Payload{}, fmt.Errorf("%w: %s: not a JSON object", ErrOpen, uri)
	}
	if u, _ := d["uri"].(string); u != "" && u != string(uri) {
		return wamp.Payload{}, fmt.Errorf("%w: sealed for %s, received on %s", ErrOpen, u, uri)
	}
	var p wamp.Payload
	var okArgs, okKw bool
	p.Args, okArgs = d["args"].(wamp.List)
	p.Kwargs, okKw = d["kwargs"].(wamp.Dict)
	if (d["args"] != nil && !okArgs) || (d["kwargs"] != nil && !okKw) {
		return wamp.Payload{}, fmt.Errorf("%w: %s: malformed args or kwargs", ErrOpen, uri)
	}
	return p, nil
}
