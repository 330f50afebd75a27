package auth

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseCryptosignKey(t *testing.T) {
	seedHex := cryptosignVectors[0].privateKey
	seed := mustHex(t, seedHex)
	want := ed25519.NewKeyFromSeed(seed)
	pubHex := hex.EncodeToString(want.Public().(ed25519.PublicKey))
	// The example key file of AutobahnPython's CryptosignKey.from_keyfile doc.
	autobahnFile := `This is a comment (all lines until the first empty line are comments indeed).

creator: oberstet@intel-nuci7
created-at: 2022-07-05T12:29:48.832Z
user-id: oberstet@intel-nuci7
public-key-ed25519: ` + pubHex + `
public-adr-eth: 0x10848feBdf7f200Ba989CDf7E3eEB3EC03ae7768
private-key-ed25519: ` + seedHex + `
private-key-eth: 4d787714dcb0ae52e1c5d2144648c255d660b9a55eac9deeb80d9f506f501025
`
	tests := []struct {
		name string
		data string
	}{
		{"hex", seedHex},
		{"hex with newline", seedHex + "\n"},
		{"hex upper case with spaces", "  " + strings.ToUpper(seedHex) + " \r\n"},
		{"raw 32 bytes", string(seed)},
		{"key file", autobahnFile},
		{"key file, private only", "private-key-ed25519: " + seedHex},
		{"key file, tag case and spacing", "# comment\n\n  Private-Key-ED25519 :   " + seedHex + "  \r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCryptosignKey([]byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("key = %x, want %x", got, want)
			}
		})
	}
}

func TestParseCryptosignKeyErrors(t *testing.T) {
	seedHex := cryptosignVectors[0].privateKey
	otherPub := CryptosignPublicKey(ed25519.NewKeyFromSeed(mustHex(t, cryptosignVectors[1].privateKey)))
	tests := []struct {
		name, data, text string
	}{
		{"empty", "", "neither"},
		{"short hex", seedHex[:62], "neither"},
		{"long hex", seedHex + "00", "neither"},
		{"hex with junk", seedHex[:63] + "g", "neither"},
		{"public only", "public-key-ed25519: " + otherPub, "only a public key"},
		{"private not hex", "private-key-ed25519: " + strings.Repeat("zz", 32), "not 64 hex"},
		{"private short", "private-key-ed25519: " + seedHex[:32], "not 64 hex"},
		{"private twice", "private-key-ed25519: " + seedHex + "\nprivate-key-ed25519: " + seedHex, "twice"},
		{"public mismatch", "public-key-ed25519: " + otherPub + "\nprivate-key-ed25519: " + seedHex, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCryptosignKey([]byte(tt.data))
			if !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %v, want ErrBadKey mentioning %q", err, tt.text)
			}
			if strings.Contains(err.Error(), seedHex) || strings.Contains(err.Error(), seedHex[:32]) {
				t.Errorf("error %q quotes the secret", err)
			}
		})
	}
}

func TestMarshalLoadCryptosignKey(t *testing.T) {
	key, err := GenerateCryptosignKey()
	if err != nil {
		t.Fatal(err)
	}
	data, err := MarshalCryptosignKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("public-key-ed25519: "+CryptosignPublicKey(key)+"\n")) {
		t.Errorf("key file lacks the public key:\n%s", data)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "device.key")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCryptosignKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, key) {
		t.Errorf("loaded %x, want %x", got, key)
	}
	if _, err := MarshalCryptosignKey(key[:10]); !errors.Is(err, ErrBadKey) {
		t.Errorf("MarshalCryptosignKey(short) err = %v", err)
	}

	if _, err := LoadCryptosignKey(filepath.Join(dir, "missing.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
	big := filepath.Join(dir, "big.key")
	if err := os.WriteFile(big, bytes.Repeat([]byte("#\n"), maxKeyFileSize), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCryptosignKey(big); !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), "larger") {
		t.Errorf("big file: err = %v", err)
	}
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("nonsense"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCryptosignKey(bad); !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad file: err = %v, want ErrBadKey naming the file", err)
	}
}
