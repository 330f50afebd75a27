package auth

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// maxKeyFileSize bounds what LoadCryptosignKey reads.
const maxKeyFileSize = 64 << 10

// Tags of Crossbar/Autobahn key files.
const (
	keyTagPrivate = "private-key-ed25519"
	keyTagPublic  = "public-key-ed25519"
)

// GenerateCryptosignKey returns a new random Ed25519 private key.
func GenerateCryptosignKey() (ed25519.PrivateKey, error) {
	_, k, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, fmt.Errorf("auth: generating Ed25519 key: %w", err)
	}
	return k, nil
}

// CryptosignPublicKey returns the public key of key (a 64-byte Ed25519
// private key or its 32-byte seed) in hex, as announced in HELLO, or "" when
// key has neither size.
func CryptosignPublicKey(key ed25519.PrivateKey) string {
	c, err := NewCryptosign(key)
	if err != nil {
		return ""
	}
	return c.PublicKey()
}

// LoadCryptosignKey reads an Ed25519 private key from the file at path, in
// one of the formats of the package doc. Errors name the file but never
// quote its contents.
func LoadCryptosignKey(path string) (ed25519.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("auth: cryptosign key: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("auth: cryptosign key %s: %w", path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("%w: cryptosign key %s: larger than %d bytes", ErrBadKey, path, maxKeyFileSize)
	}
	k, err := ParseCryptosignKey(data)
	if err != nil {
		return nil, fmt.Errorf("cryptosign key %s: %w", path, err)
	}
	return k, nil
}

// ParseCryptosignKey decodes an Ed25519 private key from the contents of a
// key file (formats in the package doc). Errors wrap [ErrBadKey] and never
// quote the data.
func ParseCryptosignKey(data []byte) (ed25519.PrivateKey, error) {
	if t := bytes.TrimSpace(data); len(t) == 2*ed25519.SeedSize {
		if seed, err := hex.DecodeString(string(t)); err == nil {
			return ed25519.NewKeyFromSeed(seed), nil
		}
	}
	if len(data) == ed25519.SeedSize {
		return ed25519.NewKeyFromSeed(data), nil
	}
	var priv, pub []byte
	for line := range bytes.Lines(data) {
		tag, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue // a comment
		}
		tag = bytes.ToLower(bytes.TrimSpace(tag))
		var dst *[]byte
		switch string(tag) {
		case keyTagPrivate:
			dst = &priv
		case keyTagPublic:
			dst = &pub
		default:
			continue
		}
		if *dst != nil {
			return nil, fmt.Errorf("%w: %s given twice", ErrBadKey, tag)
		}
		value = bytes.TrimSpace(value)
		b, err := hex.DecodeString(string(value))
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("%w: %s is not 64 hex characters", ErrBadKey, tag)
		}
		*dst = b
	}
	if priv == nil {
		if pub != nil {
			return nil, fmt.Errorf("%w: the file holds only a public key (no %s)", ErrBadKey, keyTagPrivate)
		}
		return nil, fmt.Errorf("%w: neither 64 hex characters, 32 raw bytes nor a %s line", ErrBadKey, keyTagPrivate)
	}
	k := ed25519.NewKeyFromSeed(priv)
	if pub != nil && !bytes.Equal(pub, k.Public().(ed25519.PublicKey)) {
		return nil, fmt.Errorf("%w: %s does not match %s", ErrBadKey, keyTagPublic, keyTagPrivate)
	}
	return k, nil
}

// MarshalCryptosignKey returns key (a 64-byte Ed25519 private key or its
// 32-byte seed) as a key file in the Crossbar/Autobahn format (see the
// package doc), readable by [ParseCryptosignKey] and by AutobahnPython's
// CryptosignKey.from_keyfile. Write it with mode 0600.
func MarshalCryptosignKey(key ed25519.PrivateKey) ([]byte, error) {
	c, err := NewCryptosign(key)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("edgewamp WAMP-Cryptosign key (Ed25519); keep this file private.\n\n")
	fmt.Fprintf(&b, "%s: %s\n", keyTagPublic, c.PublicKey())
	fmt.Fprintf(&b, "%s: %s\n", keyTagPrivate, hex.EncodeToString(c.key.Seed()))
	return b.Bytes(), nil
}
