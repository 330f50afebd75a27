package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"

	"github.com/edgewamp/edgewamp/wamp"
)

// Sizes of WAMP-Cryptosign values, in bytes (their hex forms are twice as long).
const (
	// CryptosignChallengeSize is the size of a challenge and of a channel ID.
	CryptosignChallengeSize = 32
	// CryptosignSignatureSize is the size of an AUTHENTICATE signature: the
	// Ed25519 signature followed by the message signed.
	CryptosignSignatureSize = ed25519.SignatureSize + CryptosignChallengeSize
)

// Cryptosign is the "cryptosign" method (WAMP-Cryptosign, Ed25519) without
// channel binding. Make it with [NewCryptosign]; it is immutable and safe for
// concurrent use.
type Cryptosign struct {
	key ed25519.PrivateKey
	pub string // hex
}

// NewCryptosign returns the cryptosign method for key, which is a 64-byte
// Ed25519 private key or its 32-byte seed. The key is copied.
func NewCryptosign(key ed25519.PrivateKey) (*Cryptosign, error) {
	var seed []byte
	switch len(key) {
	case ed25519.PrivateKeySize:
		seed = key.Seed()
	case ed25519.SeedSize:
		seed = key
	default:
		return nil, fmt.Errorf("%w: Ed25519 key of %d bytes, want %d (or a %d-byte seed)",
			ErrBadKey, len(key), ed25519.PrivateKeySize, ed25519.SeedSize)
	}
	k := ed25519.NewKeyFromSeed(seed) // recomputes the public half
	return &Cryptosign{key: k, pub: hex.EncodeToString(k.Public().(ed25519.PublicKey))}, nil
}

// Name returns "cryptosign".
func (*Cryptosign) Name() string { return MethodCryptosign }

// PublicKey returns the public key in hex, as announced in HELLO.
func (c *Cryptosign) PublicKey() string { return c.pub }

// AuthExtra returns {"pubkey": <public key hex>}.
func (c *Cryptosign) AuthExtra() wamp.Dict { return wamp.Dict{"pubkey": c.pub} }

// Respond signs CHALLENGE.Extra.challenge. A CHALLENGE that asks for a
// channel binding fails with [ErrChannelBinding]: this client never requests
// one and has no channel ID to offer.
func (c *Cryptosign) Respond(_ context.Context, ch *wamp.Challenge) (*wamp.Authenticate, error) {
	challenge, binding, err := ParseCryptosignChallenge(ch.Extra)
	if err != nil {
		return nil, err
	}
	if binding != "" {
		return nil, fmt.Errorf("%w: router asked for channel binding %q, which this client does not provide", ErrChannelBinding, binding)
	}
	sig, err := SignCryptosign(c.key, challenge, nil)
	if err != nil {
		return nil, err
	}
	return &wamp.Authenticate{Signature: sig, Extra: wamp.Dict{}}, nil
}

// ParseCryptosignChallenge reads a cryptosign CHALLENGE.Extra: the 32-byte
// challenge from "challenge" (64 hex characters) and the channel binding
// type from "channel_binding" ("" when absent or null). Errors wrap
// [ErrBadChallenge].
func ParseCryptosignChallenge(extra wamp.Dict) (challenge []byte, channelBinding string, err error) {
	s, ok := wamp.OptString(extra, "challenge")
	if !ok {
		return nil, "", fmt.Errorf("%w: cryptosign: extra.challenge missing or not a string", ErrBadChallenge)
	}
	if len(s) != 2*CryptosignChallengeSize {
		return nil, "", fmt.Errorf("%w: cryptosign: extra.challenge has %d characters, want %d hex",
			ErrBadChallenge, len(s), 2*CryptosignChallengeSize)
	}
	challenge, err = hex.DecodeString(s)
	if err != nil {
		return nil, "", fmt.Errorf("%w: cryptosign: extra.challenge is not hex", ErrBadChallenge)
	}
	if v, ok := extra["channel_binding"]; ok && v != nil {
		cb, ok := v.(string)
		if !ok || cb == "" {
			return nil, "", fmt.Errorf("%w: cryptosign: extra.channel_binding = %v", ErrBadChallenge, v)
		}
		channelBinding = cb
	}
	return challenge, channelBinding, nil
}

// cryptosignMessage returns the message signed for challenge: the challenge
// itself, or challenge XOR channelID when channelID is not nil.
func cryptosignMessage(challenge, channelID []byte) ([]byte, error) {
	if len(challenge) != CryptosignChallengeSize {
		return nil, fmt.Errorf("%w: cryptosign: challenge of %d bytes, want %d", ErrBadChallenge, len(challenge), CryptosignChallengeSize)
	}
	msg := make([]byte, CryptosignChallengeSize)
	copy(msg, challenge)
	if channelID != nil {
		if len(channelID) != CryptosignChallengeSize {
			return nil, fmt.Errorf("%w: cryptosign: channel ID of %d bytes, want %d", ErrChannelBinding, len(channelID), CryptosignChallengeSize)
		}
		subtle.XORBytes(msg, msg, channelID)
	}
	return msg, nil
}

// SignCryptosign returns the AUTHENTICATE signature for a cryptosign
// challenge (32 bytes): hex(Ed25519 signature of message) followed by
// hex(message), 192 lowercase hex characters, where message is the
// challenge XORed with channelID (32 bytes, the "tls-unique" channel ID) or,
// when channelID is nil, the challenge itself. key is a 64-byte Ed25519
// private key.
func SignCryptosign(key ed25519.PrivateKey, challenge, channelID []byte) (string, error) {
	if len(key) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("%w: Ed25519 private key of %d bytes, want %d", ErrBadKey, len(key), ed25519.PrivateKeySize)
	}
	msg, err := cryptosignMessage(challenge, channelID)
	if err != nil {
		return "", err
	}
	var out [CryptosignSignatureSize]byte
	copy(out[:], ed25519.Sign(key, msg))
	copy(out[ed25519.SignatureSize:], msg)
	return hex.EncodeToString(out[:]), nil
}

// ParseCryptosignSignature splits an AUTHENTICATE signature of cryptosign
// into the Ed25519 signature (64 bytes) and the message signed (32 bytes).
// The signature must be exactly 192 hex characters (either case). Errors
// wrap [ErrBadSignature].
func ParseCryptosignSignature(s string) (signature, message []byte, err error) {
	if len(s) != 2*CryptosignSignatureSize {
		return nil, nil, fmt.Errorf("%w: cryptosign: %d characters, want %d hex", ErrBadSignature, len(s), 2*CryptosignSignatureSize)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: cryptosign: not hex", ErrBadSignature)
	}
	return b[:ed25519.SignatureSize:ed25519.SignatureSize], b[ed25519.SignatureSize:], nil
}

// VerifyCryptosign checks a cryptosign AUTHENTICATE signature against the
// client's public key (32 bytes), the challenge the router sent (32 bytes)
// and, with channel binding, the channel ID (32 bytes; nil without). It
// returns nil when the signature is valid, else an error wrapping
// [ErrBadSignature] (or [ErrBadKey] for a malformed public key). It is for
// the router.
func VerifyCryptosign(pub ed25519.PublicKey, challenge, channelID []byte, signature string) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: Ed25519 public key of %d bytes, want %d", ErrBadKey, len(pub), ed25519.PublicKeySize)
	}
	want, err := cryptosignMessage(challenge, channelID)
	if err != nil {
		return err
	}
	sig, msg, err := ParseCryptosignSignature(signature)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(msg, want) != 1 {
		return fmt.Errorf("%w: cryptosign: the message signed is not the challenge", ErrBadSignature)
	}
	if !ed25519.Verify(pub, msg, sig) {
		return fmt.Errorf("%w: cryptosign: Ed25519 signature does not verify", ErrBadSignature)
	}
	return nil
}

// ParseCryptosignPublicKey decodes a public key in hex (64 characters), as
// sent in HELLO.Details.authextra.pubkey. Errors wrap [ErrBadKey].
func ParseCryptosignPublicKey(s string) (ed25519.PublicKey, error) {
	if len(s) != 2*ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: public key of %d characters, want %d hex", ErrBadKey, len(s), 2*ed25519.PublicKeySize)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: public key is not hex", ErrBadKey)
	}
	return ed25519.PublicKey(b), nil
}

// NewCryptosignChallenge returns a fresh random 32-byte challenge and the
// CHALLENGE.Extra a router sends with it, without channel binding:
// {"challenge": <hex>, "channel_binding": null}.
func NewCryptosignChallenge() (challenge []byte, extra wamp.Dict) {
	challenge = make([]byte, CryptosignChallengeSize)
	rand.Read(challenge) // never fails (crypto/rand.Read crashes the program instead)
	return challenge, wamp.Dict{"challenge": hex.EncodeToString(challenge), "channel_binding": nil}
}
