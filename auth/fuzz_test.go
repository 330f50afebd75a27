package auth

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// FuzzParseCryptosignSignature checks that any string either fails to parse
// with ErrBadSignature or splits into 64 + 32 bytes that re-encode to the
// input (up to hex case), and that verification never panics.
func FuzzParseCryptosignSignature(f *testing.F) {
	for _, v := range cryptosignVectors {
		f.Add(v.signature)
		f.Add(strings.ToUpper(v.signature))
		f.Add(v.signature[:128])
	}
	f.Add("")
	f.Add(strings.Repeat("g", 192))
	pub := ed25519.NewKeyFromSeed(mustHex(f, cryptosignVectors[0].privateKey)).Public().(ed25519.PublicKey)
	challenge := mustHex(f, cryptosignVectors[0].challenge)
	f.Fuzz(func(t *testing.T, s string) {
		sig, msg, err := ParseCryptosignSignature(s)
		if err != nil {
			if sig != nil || msg != nil {
				t.Fatalf("error %v with results", err)
			}
			return
		}
		if len(sig) != ed25519.SignatureSize || len(msg) != CryptosignChallengeSize {
			t.Fatalf("sizes %d, %d", len(sig), len(msg))
		}
		if again := hex.EncodeToString(sig) + hex.EncodeToString(msg); again != strings.ToLower(s) {
			t.Fatalf("re-encoded %q, want %q", again, strings.ToLower(s))
		}
		sig2, msg2, err := ParseCryptosignSignature(hex.EncodeToString(sig) + hex.EncodeToString(msg))
		if err != nil || !bytes.Equal(sig, sig2) || !bytes.Equal(msg, msg2) {
			t.Fatalf("decode→encode→decode unstable: %v", err)
		}
		_ = VerifyCryptosign(pub, challenge, nil, s)
	})
}

// FuzzParseCryptosignChallenge feeds arbitrary challenge and channel_binding
// strings through the client's cryptosign answer: it must never panic, and a
// challenge it accepts must be 32 bytes whose signature verifies.
func FuzzParseCryptosignChallenge(f *testing.F) {
	for _, v := range cryptosignVectors {
		f.Add(v.challenge, "", false)
		f.Add(v.challenge, "tls-unique", true)
	}
	f.Add("", "", false)
	f.Add(strings.Repeat("x", 64), "", true)
	key := ed25519.NewKeyFromSeed(mustHex(f, cryptosignVectors[1].privateKey))
	c, err := NewCryptosign(key)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, challenge, binding string, withBinding bool) {
		extra := wamp.Dict{"challenge": challenge}
		if withBinding {
			extra["channel_binding"] = binding
		}
		raw, cb, err := ParseCryptosignChallenge(extra)
		if err != nil {
			return
		}
		if len(raw) != CryptosignChallengeSize || (withBinding && cb != binding) || (!withBinding && cb != "") {
			t.Fatalf("ParseCryptosignChallenge(%q, %q) = %x, %q", challenge, binding, raw, cb)
		}
		a, err := c.Respond(t.Context(), &wamp.Challenge{AuthMethod: "cryptosign", Extra: extra})
		if cb != "" {
			if err == nil {
				t.Fatal("channel binding accepted")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyCryptosign(key.Public().(ed25519.PublicKey), raw, nil, a.Signature); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzParseCryptosignKey checks that key file parsing never panics and
// that a key it returns is a valid 64-byte key that marshals and parses back.
func FuzzParseCryptosignKey(f *testing.F) {
	seedHex := cryptosignVectors[0].privateKey
	f.Add([]byte(seedHex))
	f.Add(mustHex(f, seedHex))
	f.Add([]byte("comment\n\nprivate-key-ed25519: " + seedHex + "\n"))
	f.Add([]byte("public-key-ed25519: " + seedHex + "\n"))
	f.Add([]byte(":\n:::\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseCryptosignKey(data)
		if err != nil {
			return
		}
		if len(k) != ed25519.PrivateKeySize {
			t.Fatalf("key of %d bytes", len(k))
		}
		out, err := MarshalCryptosignKey(k)
		if err != nil {
			t.Fatal(err)
		}
		k2, err := ParseCryptosignKey(out)
		if err != nil || !bytes.Equal(k, k2) {
			t.Fatalf("marshal→parse: %v", err)
		}
	})
}
