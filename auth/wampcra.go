package auth

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/edgewamp/edgewamp/wamp"
)

// PBKDF2 parameters of salted WAMP-CRA.
const (
	// DefaultCRAIterations is used when a salted CHALLENGE has no "iterations".
	DefaultCRAIterations = 1000
	// DefaultCRAKeyLen is used when a salted CHALLENGE has no "keylen".
	DefaultCRAKeyLen = 32
	// MaxCRAIterations bounds the work a router can make a client do (0.2s
	// on a desktop core, a few seconds at most on a small ARM board); a
	// CHALLENGE asking for more is refused.
	MaxCRAIterations = 1 << 20
	// MaxCRAKeyLen bounds the derived key's length in bytes.
	MaxCRAKeyLen = 1024
)

// WAMPCRA is the "wampcra" method (WAMP Challenge-Response Authentication),
// plain or salted: the salt, iterations and key length come from the
// CHALLENGE. It is immutable and safe for concurrent use.
type WAMPCRA struct {
	// Secret is the shared secret (for salted WAMP-CRA, the password the
	// key is derived from).
	Secret string
}

// Name returns "wampcra".
func (WAMPCRA) Name() string { return MethodWAMPCRA }

// AuthExtra returns nil: wampcra adds nothing to HELLO.
func (WAMPCRA) AuthExtra() wamp.Dict { return nil }

// Respond signs CHALLENGE.Extra.challenge with the secret, or with the key
// derived from it when the CHALLENGE carries a salt.
func (w WAMPCRA) Respond(_ context.Context, c *wamp.Challenge) (*wamp.Authenticate, error) {
	challenge, ok := wamp.OptString(c.Extra, "challenge")
	if !ok {
		return nil, fmt.Errorf("%w: wampcra: extra.challenge missing or not a string", ErrBadChallenge)
	}
	key, err := craKey(w.Secret, c.Extra)
	if err != nil {
		return nil, err
	}
	return &wamp.Authenticate{Signature: CRASignature(key, challenge), Extra: wamp.Dict{}}, nil
}

// craKey returns the HMAC key for a wampcra CHALLENGE: the secret, or the
// derived key when extra has a salt (a null salt counts as none).
func craKey(secret string, extra wamp.Dict) (string, error) {
	v, ok := extra["salt"]
	if !ok || v == nil {
		return secret, nil
	}
	salt, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: wampcra: extra.salt is not a string", ErrBadChallenge)
	}
	iterations, err := craParam(extra, "iterations", DefaultCRAIterations)
	if err != nil {
		return "", err
	}
	keyLen, err := craParam(extra, "keylen", DefaultCRAKeyLen)
	if err != nil {
		return "", err
	}
	return DeriveCRAKey(secret, salt, iterations, keyLen)
}

// craParam reads a PBKDF2 parameter of a salted CHALLENGE: absent or null
// means def; anything else must be an integer.
func craParam(extra wamp.Dict, key string, def int) (int, error) {
	if v, ok := extra[key]; !ok || v == nil {
		return def, nil
	}
	n, ok := wamp.OptInt(extra, key)
	if !ok || n < 1 || n > MaxCRAIterations {
		return 0, fmt.Errorf("%w: wampcra: extra.%s = %v", ErrBadChallenge, key, extra[key])
	}
	return int(n), nil
}

// DeriveCRAKey derives the salted WAMP-CRA key from a secret, as
// AutobahnPython's derive_key: the standard base64 (with padding) of
// PBKDF2-HMAC-SHA256(secret, salt, iterations, keyLen), where secret and salt
// are taken as their UTF-8 bytes. The result, as text, is the HMAC key for
// [CRASignature] (and what a router stores instead of the password).
// iterations must be in [1, MaxCRAIterations] and keyLen in [1, MaxCRAKeyLen].
func DeriveCRAKey(secret, salt string, iterations, keyLen int) (string, error) {
	if iterations < 1 || iterations > MaxCRAIterations {
		return "", fmt.Errorf("%w: wampcra: iterations %d out of [1, %d]", ErrBadChallenge, iterations, MaxCRAIterations)
	}
	if keyLen < 1 || keyLen > MaxCRAKeyLen {
		return "", fmt.Errorf("%w: wampcra: keylen %d out of [1, %d]", ErrBadChallenge, keyLen, MaxCRAKeyLen)
	}
	k, err := pbkdf2.Key(sha256.New, secret, []byte(salt), iterations, keyLen)
	if err != nil {
		return "", fmt.Errorf("auth: wampcra: deriving key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(k), nil
}

// CRASignature returns the WAMP-CRA signature of challenge under key, as
// AutobahnPython's compute_wcs: the standard base64 (with padding) of
// HMAC-SHA256(key, challenge), key and challenge taken as their bytes.
func CRASignature(key, challenge string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(challenge))
	var sum [sha256.Size]byte
	return base64.StdEncoding.EncodeToString(m.Sum(sum[:0]))
}

// VerifyCRA reports whether signature is the WAMP-CRA signature of challenge
// under key (the secret, or for salted WAMP-CRA the [DeriveCRAKey] result),
// comparing in constant time. It is for the router.
func VerifyCRA(key, challenge, signature string) bool {
	want := CRASignature(key, challenge)
	return subtle.ConstantTimeCompare([]byte(want), []byte(signature)) == 1
}

// NewCRANonce returns a random nonce for [CRAChallenge]: 64 characters of
// standard base64 (48 random bytes), like Crossbar's.
func NewCRANonce() string {
	var b [48]byte
	rand.Read(b[:]) // never fails (crypto/rand.Read crashes the program instead)
	return base64.StdEncoding.EncodeToString(b[:])
}

// CRATimestampLayout formats the "timestamp" of a WAMP-CRA challenge: UTC,
// milliseconds truncated, as Autobahn's utcstr.
const CRATimestampLayout = "2006-01-02T15:04:05.000Z"

// CRAChallenge returns the CHALLENGE.Extra.challenge string a router sends
// for WAMP-CRA: a JSON object with the members and member order Crossbar
// uses, formatted as Python's json.dumps(obj, ensure_ascii=False):
//
//	{"authid": "peter", "authrole": "user", "authmethod": "wampcra", "authprovider": "static", "session": 3251278072152162, "nonce": "...", "timestamp": "2014-06-22T16:36:25.448Z"}
//
// nonce should come from [NewCRANonce]; ts is formatted in UTC with
// [CRATimestampLayout]. Strings that are not valid UTF-8 have their bad
// bytes replaced by U+FFFD, so the result is always valid JSON.
func CRAChallenge(session wamp.ID, authid, authrole, authprovider, nonce string, ts time.Time) string {
	var b strings.Builder
	b.Grow(160 + len(authid) + len(authrole) + len(authprovider) + len(nonce))
	b.WriteString(`{"authid": `)
	writePyJSONString(&b, authid)
	b.WriteString(`, "authrole": `)
	writePyJSONString(&b, authrole)
	b.WriteString(`, "authmethod": "wampcra", "authprovider": `)
	writePyJSONString(&b, authprovider)
	b.WriteString(`, "session": `)
	b.WriteString(strconv.FormatUint(uint64(session), 10))
	b.WriteString(`, "nonce": `)
	writePyJSONString(&b, nonce)
	b.WriteString(`, "timestamp": `)
	writePyJSONString(&b, ts.UTC().Format(CRATimestampLayout))
	b.WriteByte('}')
	return b.String()
}

// writePyJSONString writes s as a JSON string the way Python's json.dumps
// does with ensure_ascii=False: only '"', '\\' and control characters below
// 0x20 are escaped (short forms for \b \f \n \r \t, else \u00xx).
func writePyJSONString(b *strings.Builder, s string) {
	const hexDigits = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteRune(utf8.RuneError)
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		}
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			} else {
				b.WriteByte(c)
			}
		}
		i++
	}
	b.WriteByte('"')
}
