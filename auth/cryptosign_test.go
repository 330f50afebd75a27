package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// cryptosignVectors are the test vectors of the WAMP spec, "WAMP-Cryptosign
// ... Test Vectors" (also in AutobahnPython's test_wamp_cryptosign.py).
var cryptosignVectors = []struct {
	channelID, privateKey, challenge, signature string
}{
	{"", "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510",
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		"b32675b221f08593213737bef8240e7c15228b07028e19595294678c90d11c0cae80a357331bfc5cc9fb71081464e6e75013517c2cf067ad566a6b7b728e5d03ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
	{"", "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd",
		"b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
		"d4209ad10d5aff6bfbc009d7e924795de138a63515efc7afc6b01b7fe5201372190374886a70207b042294af5bd64ce725cd8dceb344e6d11c09d1aaaf4d660fb26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d"},
	{"", "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b",
		"b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2",
		"7beb282184baadd08f166f16dd683b39cab53816ed81e6955def951cb2ddad1ec184e206746fd82bda075af03711d3d5658fc84a76196b0fa8d1ebc92ef9f30bb05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2"},
	{"62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff", "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510",
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		"9b6f41540c9b95b4b7b281c3042fa9c54cef43c842d62ea3fd6030fcb66e70b3e80d49d44c29d1635da9348d02ec93f3ed1ef227dfb59a07b580095c2b82f80f9d16ca518aa0c2b707f2b2a609edeca73bca8dd59817a633f35574ac6fd80d00"},
	{"62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff", "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd",
		"b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
		"305aaa3ac25e98f651427688b3fc43fe7d8a68a7ec1d7d61c61517c519bd4a427c3015599d83ca28b4c652333920223844ef0725eb5dc2febfd6af7677b73f01d0852a29b460fc92ec943242ac638a053bbacc200512b18b30d15083cbdc9282"},
	{"62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff", "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b",
		"b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2",
		"ee3c7644fd8070532bc1fde3d70d742267da545d8c8f03e63bda63f1ad4214f4d2c4bfdb4eb9526def42deeb7e31602a6ff99eba893e0a4ad4d45892ca75e608d2b75e24a189a7f78ca776ba36fc53f6c3e31c32f251f2c524f0a44202f2902d"},
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	if s == "" {
		return nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCryptosignVectors(t *testing.T) {
	for i, v := range cryptosignVectors {
		key := ed25519.NewKeyFromSeed(mustHex(t, v.privateKey))
		challenge, channelID := mustHex(t, v.challenge), mustHex(t, v.channelID)
		sig, err := SignCryptosign(key, challenge, channelID)
		if err != nil || sig != v.signature {
			t.Errorf("vector %d: SignCryptosign = %q, %v\nwant %q", i, sig, err, v.signature)
		}
		pub := key.Public().(ed25519.PublicKey)
		if err := VerifyCryptosign(pub, challenge, channelID, v.signature); err != nil {
			t.Errorf("vector %d: VerifyCryptosign: %v", i, err)
		}
		if err := VerifyCryptosign(pub, challenge, channelID, strings.ToUpper(v.signature)); err != nil {
			t.Errorf("vector %d: VerifyCryptosign (upper case hex): %v", i, err)
		}
		if channelID == nil {
			c, err := NewCryptosign(key)
			if err != nil {
				t.Fatal(err)
			}
			a, err := c.Respond(context.Background(), &wamp.Challenge{AuthMethod: "cryptosign",
				Extra: wamp.Dict{"challenge": v.challenge, "channel_binding": nil}})
			if err != nil || a.Signature != v.signature {
				t.Errorf("vector %d: Respond = %+v, %v", i, a, err)
			}
		}
	}
}

func TestCryptosignSpecExample(t *testing.T) {
	// The spec's example exchange: HELLO authextra.pubkey and the
	// AUTHENTICATE answer to its CHALLENGE verify against each other.
	pub, err := ParseCryptosignPublicKey("545efb0a2192db8d43f118e9bf9aee081466e1ef36c708b96ee6f62dddad9122")
	if err != nil {
		t.Fatal(err)
	}
	challenge := mustHex(t, "fa034062ad76352b53a25358854577730db82f367aa439709c91296d04a5716c")
	sig := "e2f0297a193b63b7a4a92028e9e2e6107f82730560d54a657bd982cb4b3151490399debbbde998e494d3c3b2a5e2e91271291e10dee85a6cfaa127885ddd8b0afa034062ad76352b53a25358854577730db82f367aa439709c91296d04a5716c"
	if err := VerifyCryptosign(pub, challenge, nil, sig); err != nil {
		t.Errorf("VerifyCryptosign(spec example): %v", err)
	}
}

func TestNewCryptosign(t *testing.T) {
	seed := mustHex(t, cryptosignVectors[0].privateKey)
	full := ed25519.NewKeyFromSeed(seed)
	want := hex.EncodeToString(full.Public().(ed25519.PublicKey))
	for _, key := range []ed25519.PrivateKey{full, ed25519.PrivateKey(seed)} {
		c, err := NewCryptosign(key)
		if err != nil {
			t.Fatal(err)
		}
		if c.PublicKey() != want || c.AuthExtra()["pubkey"] != want || c.Name() != "cryptosign" {
			t.Errorf("NewCryptosign(%d bytes): pubkey %q, extra %v", len(key), c.PublicKey(), c.AuthExtra())
		}
	}
	// A 64-byte key whose public half is wrong is repaired from its seed.
	bad := append(ed25519.PrivateKey{}, full...)
	bad[40] ^= 1
	if c, err := NewCryptosign(bad); err != nil || c.PublicKey() != want {
		t.Errorf("NewCryptosign(bad public half) = %v, %v", c, err)
	}
	for _, n := range []int{0, 31, 33, 63, 65} {
		if _, err := NewCryptosign(make(ed25519.PrivateKey, n)); !errors.Is(err, ErrBadKey) {
			t.Errorf("NewCryptosign(%d bytes) err = %v, want ErrBadKey", n, err)
		}
	}
	if CryptosignPublicKey(full) != want || CryptosignPublicKey(nil) != "" {
		t.Errorf("CryptosignPublicKey wrong")
	}
}

func TestCryptosignRespondErrors(t *testing.T) {
	c, err := NewCryptosign(ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	ok := strings.Repeat("ab", 32)
	tests := []struct {
		name  string
		extra wamp.Dict
		want  error
	}{
		{"no challenge", wamp.Dict{}, ErrBadChallenge},
		{"challenge not a string", wamp.Dict{"challenge": []byte("x")}, ErrBadChallenge},
		{"challenge short", wamp.Dict{"challenge": ok[:62]}, ErrBadChallenge},
		{"challenge long", wamp.Dict{"challenge": ok + "ab"}, ErrBadChallenge},
		{"challenge not hex", wamp.Dict{"challenge": strings.Repeat("zz", 32)}, ErrBadChallenge},
		{"channel binding not a string", wamp.Dict{"challenge": ok, "channel_binding": int64(1)}, ErrBadChallenge},
		{"channel binding empty", wamp.Dict{"challenge": ok, "channel_binding": ""}, ErrBadChallenge},
		{"tls-unique", wamp.Dict{"challenge": ok, "channel_binding": "tls-unique"}, ErrChannelBinding},
		{"tls-exporter", wamp.Dict{"challenge": ok, "channel_binding": "tls-exporter"}, ErrChannelBinding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Respond(context.Background(), &wamp.Challenge{AuthMethod: "cryptosign", Extra: tt.extra})
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	_, err = c.Respond(context.Background(), &wamp.Challenge{AuthMethod: "cryptosign", Extra: wamp.Dict{"challenge": ok, "channel_binding": "tls-unique"}})
	if err == nil || !strings.Contains(err.Error(), `"tls-unique"`) {
		t.Errorf("channel binding error %q does not name the binding", err)
	}
}

func TestVerifyCryptosignRejects(t *testing.T) {
	key := ed25519.NewKeyFromSeed(mustHex(t, cryptosignVectors[1].privateKey))
	pub := key.Public().(ed25519.PublicKey)
	other := ed25519.NewKeyFromSeed(mustHex(t, cryptosignVectors[2].privateKey)).Public().(ed25519.PublicKey)
	challenge, extra := NewCryptosignChallenge()
	if extra["challenge"] != hex.EncodeToString(challenge) || extra["channel_binding"] != nil {
		t.Fatalf("NewCryptosignChallenge extra = %v", extra)
	}
	if got, cb, err := ParseCryptosignChallenge(extra); err != nil || cb != "" || hex.EncodeToString(got) != extra["challenge"] {
		t.Fatalf("ParseCryptosignChallenge(new) = %x, %q, %v", got, cb, err)
	}
	channelID := mustHex(t, cryptosignVectors[3].channelID)
	sig, err := SignCryptosign(key, challenge, nil)
	if err != nil {
		t.Fatal(err)
	}
	bound, err := SignCryptosign(key, challenge, channelID)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		return string(b)
	}
	tests := []struct {
		name      string
		pub       ed25519.PublicKey
		channelID []byte
		sig       string
		want      error
	}{
		{"valid", pub, nil, sig, nil},
		{"valid bound", pub, channelID, bound, nil},
		{"other key", other, nil, sig, ErrBadSignature},
		{"signature bit", pub, nil, flip(sig, 3), ErrBadSignature},
		{"message bit", pub, nil, flip(sig, 150), ErrBadSignature},
		{"bound sig without binding", pub, nil, bound, ErrBadSignature},
		{"plain sig with binding", pub, channelID, sig, ErrBadSignature},
		{"signature only", pub, nil, sig[:128], ErrBadSignature},
		{"not hex", pub, nil, "x" + sig[1:], ErrBadSignature},
		{"empty", pub, nil, "", ErrBadSignature},
		{"short public key", pub[:31], nil, sig, ErrBadKey},
		{"short channel ID", pub, channelID[:16], sig, ErrChannelBinding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyCryptosign(tt.pub, challenge, tt.channelID, tt.sig)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("VerifyCryptosign = %v, want %v", err, tt.want)
			}
		})
	}
	if err := VerifyCryptosign(pub, challenge[:31], nil, sig); !errors.Is(err, ErrBadChallenge) {
		t.Errorf("short challenge: %v", err)
	}
	if _, err := SignCryptosign(key[:32], challenge, nil); !errors.Is(err, ErrBadKey) {
		t.Errorf("SignCryptosign(seed only): %v", err)
	}
}

func TestParseCryptosignPublicKey(t *testing.T) {
	for _, s := range []string{"", "ab", strings.Repeat("zz", 32), strings.Repeat("ab", 33)} {
		if _, err := ParseCryptosignPublicKey(s); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseCryptosignPublicKey(%q) err = %v", s, err)
		}
	}
}

func BenchmarkSignCryptosign(b *testing.B) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	challenge, _ := NewCryptosignChallenge()
	b.ReportAllocs()
	for b.Loop() {
		SignCryptosign(key, challenge, nil)
	}
}

func BenchmarkVerifyCryptosign(b *testing.B) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	challenge, _ := NewCryptosignChallenge()
	sig, _ := SignCryptosign(key, challenge, nil)
	pub := key.Public().(ed25519.PublicKey)
	b.ReportAllocs()
	for b.Loop() {
		if VerifyCryptosign(pub, challenge, nil, sig) != nil {
			b.Fatal("does not verify")
		}
	}
}
